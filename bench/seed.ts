import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { buildApp } from '../src/app.ts';
import type { Config } from '../src/config/index.ts';
import { newId } from '../src/lib/ids.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { createUser } from '../src/services/users.ts';
import { createWorkspace } from '../src/services/workspaces.ts';
import { migrateToLatest, openStore, type Store } from '../src/store/db.ts';
import type { RecordingsTable } from '../src/store/schema.ts';

// Seeds the bench database directly (never through the HTTP API): users and workspaces through
// the services (argon2 password, owner membership, default project), the domain and link as rows,
// and recordings by fast multi-row inserts into the store's tables.

export const BENCH_USER = {
  email: 'bench@example.com',
  password: 'bench password 0123456789',
  name: 'Bench',
};

const DAY_MS = 86_400_000;
const INSERT_BATCH = 500;

export interface SeededWorkspace {
  workspaceId: string;
  projectId: string;
  domainId: string;
  linkId: string;
  memberId: string;
}

export type OpenBenchStore = () => Store;

/** Migrates, then creates the bench user. */
export async function seedUser(open: OpenBenchStore, config: Readonly<Config>): Promise<string> {
  const store = open();
  try {
    await migrateToLatest(store.db);
    const { deps } = buildApp({ config, store, log: silentLogger() });
    const user = await createUser(deps, BENCH_USER);
    return user.id;
  } finally {
    await store.close();
  }
}

/** A workspace owned by `userId` with a verified domain and one reusable link. */
export async function seedWorkspace(
  open: OpenBenchStore,
  config: Readonly<Config>,
  userId: string,
  name: string,
): Promise<SeededWorkspace> {
  const store = open();
  try {
    const { deps } = buildApp({ config, store, log: silentLogger() });
    const { workspace, defaultProject, ownerMemberId } = await createWorkspace(deps, {
      name,
      ownerUserId: userId,
    });
    const now = Date.now();
    const domainId = newId('dom', now);
    await store.db
      .insertInto('domains')
      .values({
        id: domainId,
        workspace_id: workspace.id,
        host: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.example.com`,
        status: 'verified',
        verification_token: randomHex(),
        verified_at: now,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })
      .execute();
    const linkId = newId('lnk', now);
    await store.db
      .insertInto('links')
      .values({
        id: linkId,
        workspace_id: workspace.id,
        project_id: defaultProject.id,
        domain_id: domainId,
        creator_member_id: ownerMemberId,
        title: 'Bench link',
        type: 'file',
        reusable: 1,
        provider_type: null,
        provider_id: null,
        provider_reference: null,
        meta: '{}',
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })
      .execute();
    return {
      workspaceId: workspace.id,
      projectId: defaultProject.id,
      domainId,
      linkId,
      memberId: ownerMemberId,
    };
  } finally {
    await store.close();
  }
}

function randomHex(): string {
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}

const SYSTEM_META = JSON.stringify({
  browser: { name: 'Chrome', version: '131.0' },
  os: { name: 'macOS', version: '15.1' },
  viewport: { width: 1512, height: 982 },
  url: 'https://app.example.com/settings/billing',
});

function recordingRow(ws: SeededWorkspace, createdAt: number, index: number): RecordingsTable {
  return {
    id: newId('rec', createdAt),
    workspace_id: ws.workspaceId,
    project_id: ws.projectId,
    link_id: ws.linkId,
    creator_member_id: ws.memberId,
    status: 'ready',
    duration_ms: 30_000 + (index % 90) * 1000,
    started_at: createdAt - 60_000,
    system_meta: SYSTEM_META,
    custom_meta: JSON.stringify({ ticket: `T-${index}` }),
    notes: null,
    expires_at: null,
    created_at: createdAt,
    updated_at: createdAt,
    deleted_at: null,
  };
}

/**
 * `count` recordings spread over the last year, by multi-row INSERTs through Kysely in batches of
 * 500 (one transaction). Fine for tens of thousands; `seedManyRecordings` is for a million.
 */
export async function seedRecordings(
  open: OpenBenchStore,
  ws: SeededWorkspace,
  count: number,
): Promise<void> {
  const store = open();
  try {
    const end = Date.now() - 60_000;
    const step = Math.max(1, Math.floor((365 * DAY_MS) / count));
    await store.db.transaction().execute(async (trx) => {
      for (let start = 0; start < count; start += INSERT_BATCH) {
        const rows: RecordingsTable[] = [];
        for (let i = start; i < Math.min(count, start + INSERT_BATCH); i++) {
          rows.push(recordingRow(ws, end - (count - i) * step, i));
        }
        await trx.insertInto('recordings').values(rows).execute();
      }
    });
  } finally {
    await store.close();
  }
}

/**
 * A million-scale top-up: on SQLite one transaction over a prepared statement (better-sqlite3,
 * synchronous); on PostgreSQL `INSERT … SELECT generate_series` in chunks, then VACUUM ANALYZE (as
 * autovacuum would after a bulk load). `progress` gets the number inserted so far.
 */
export async function seedManyRecordings(
  target: { kind: 'sqlite'; file: string } | { kind: 'postgres'; open: OpenBenchStore },
  ws: SeededWorkspace,
  count: number,
  progress: (done: number) => void,
): Promise<void> {
  const end = Date.now() - 60_000;
  const step = Math.max(1, Math.floor((365 * DAY_MS) / count));
  const chunk = 100_000;
  if (target.kind === 'sqlite') {
    const db = new SqliteDatabase(target.file);
    try {
      db.pragma('busy_timeout = 30000');
      const insert = db.prepare(
        `insert into recordings (id, workspace_id, project_id, link_id, creator_member_id, status, duration_ms,
           started_at, system_meta, custom_meta, notes, expires_at, created_at, updated_at, deleted_at)
         values (@id, @workspace_id, @project_id, @link_id, @creator_member_id, @status, @duration_ms,
           @started_at, @system_meta, @custom_meta, @notes, @expires_at, @created_at, @updated_at, @deleted_at)`,
      );
      const insertChunk = db.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) insert.run(recordingRow(ws, end - (count - i) * step, i));
      });
      // One transaction per 100,000 rows keeps the WAL bounded and lets progress show.
      for (let from = 0; from < count; from += chunk) {
        const to = Math.min(count, from + chunk);
        insertChunk(from, to);
        progress(to);
      }
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    return;
  }
  const store = target.open();
  try {
    for (let from = 0; from < count; from += chunk) {
      const to = Math.min(count, from + chunk);
      await sql`
        insert into recordings (id, workspace_id, project_id, link_id, creator_member_id, status, duration_ms,
          started_at, system_meta, custom_meta, notes, expires_at, created_at, updated_at, deleted_at)
        select 'rec_' || lpad(to_hex(g), 26, '0'), ${ws.workspaceId}, ${ws.projectId}, ${ws.linkId},
          ${ws.memberId}, 'ready', 30000 + (g % 90) * 1000, ${end}::bigint - (${count}::bigint - g) * ${step} - 60000,
          ${SYSTEM_META}, '{"ticket":"T-' || g || '"}', null, null,
          ${end}::bigint - (${count}::bigint - g) * ${step}, ${end}::bigint - (${count}::bigint - g) * ${step}, null
        from generate_series(${from}::bigint, ${to - 1}::bigint) as g`.execute(store.db);
      progress(to);
    }
    // As autovacuum would after a bulk load (PostgreSQL 13+ vacuums on inserts too): fresh
    // statistics, and a visibility map that lets count(*) use index-only scans.
    await sql`vacuum analyze recordings`.execute(store.db);
  } finally {
    await store.close();
  }
}

/** Opens the bench database: SQLite in DATA_DIR, or PostgreSQL in its own schema. */
export function benchStoreOpener(
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema: string },
): OpenBenchStore {
  return database.kind === 'sqlite'
    ? () => openStore({ kind: 'sqlite', file: database.file })
    : () => openStore({ kind: 'postgres', url: database.url }, { schema: database.schema, poolSize: 2 });
}
