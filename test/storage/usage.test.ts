import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { backfillWorkspaceUsage } from '../../src/store/migrations/0040_storage_usage.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { upsertResource } from '../../src/store/recorder.ts';
import {
  deleteResources,
  insertRecording,
  insertResources,
  softDeleteRecording,
} from '../../src/store/recordings.ts';
import type { Database, RecordingResourcesTable, RecordingsTable } from '../../src/store/schema.ts';
import { adjustWorkspaceUsage, getWorkspaceUsage } from '../../src/store/usage.ts';
import { newRecordingFromRow, newResourceFromRow } from '../helpers/store-rows.ts';
import { openTestStore, testDialect, testPostgresUrl } from '../helpers/test-app.ts';

// workspace_usage: the counters behind "Storage: 1.2 MB in 14 recordings". Rows are inserted directly;
// this suite checks the repository (the upsert under concurrency, the store writes that keep the
// counters, the migration's backfill), not the services' rules.

const T0 = Date.UTC(2026, 2, 1);
let seq = 0;

interface Fixture {
  workspaceId: string;
  projectId: string;
  linkId: string;
  memberId: string;
}

/** A user, a workspace with its owner, a project, a verified domain and a reusable link. */
async function seedWorkspace(db: Kysely<Database>): Promise<Fixture> {
  seq++;
  const userId = newId('usr', T0);
  await db
    .insertInto('users')
    .values({
      id: userId,
      email: `usage${seq}@example.com`,
      email_normalized: `usage${seq}@example.com`,
      name: `Usage ${seq}`,
      password_hash: null,
      email_verified: 0,
      image: null,
      created_at: T0,
      updated_at: T0,
    })
    .execute();
  const workspaceId = newId('ws', T0);
  await db
    .insertInto('workspaces')
    .values({
      id: workspaceId,
      name: `W${seq}`,
      owner_user_id: userId,
      created_at: T0,
      updated_at: T0,
      deleted_at: null,
    })
    .execute();
  const memberId = newId('mem', T0);
  await db
    .insertInto('members')
    .values({
      id: memberId,
      workspace_id: workspaceId,
      user_id: userId,
      role: 'owner',
      joined_at: T0,
      removed_at: null,
    })
    .execute();
  const projectId = newId('prj', T0);
  await db
    .insertInto('projects')
    .values({
      id: projectId,
      workspace_id: workspaceId,
      title: 'Default',
      is_default: 1,
      retention_days: null,
      created_at: T0,
      updated_at: T0,
      deleted_at: null,
    })
    .execute();
  const domainId = newId('dom', T0);
  await db
    .insertInto('domains')
    .values({
      id: domainId,
      workspace_id: workspaceId,
      host: `usage${seq}.example.com`,
      status: 'verified',
      verification_token: 'x',
      verified_at: T0,
      created_at: T0,
      updated_at: T0,
      deleted_at: null,
    })
    .execute();
  const linkId = newId('lnk', T0);
  await db
    .insertInto('links')
    .values({
      id: linkId,
      workspace_id: workspaceId,
      project_id: projectId,
      domain_id: domainId,
      creator_member_id: memberId,
      title: null,
      type: 'file',
      reusable: 1,
      provider_type: null,
      provider_id: null,
      provider_reference: null,
      meta: '{}',
      created_at: T0,
      updated_at: T0,
      deleted_at: null,
    })
    .execute();
  return { workspaceId, projectId, linkId, memberId };
}

function recordingRow(f: Fixture, options: { deletedAt?: number | null } = {}): RecordingsTable {
  seq++;
  const at = T0 + seq;
  return {
    id: newId('rec', at),
    workspace_id: f.workspaceId,
    project_id: f.projectId,
    link_id: f.linkId,
    creator_member_id: f.memberId,
    status: 'ready',
    duration_ms: 15_000,
    started_at: at,
    system_meta: '{}',
    custom_meta: '{}',
    notes: null,
    expires_at: null,
    created_at: at,
    updated_at: at,
    deleted_at: options.deletedAt ?? null,
  };
}

function resourceRow(
  recordingId: string,
  kind: RecordingResourcesTable['kind'],
  size: number,
  storagePath = `${recordingId}/${kind}`,
): RecordingResourcesTable {
  return {
    recording_id: recordingId,
    kind,
    storage_path: storagePath,
    content_type: 'application/octet-stream',
    size,
    duration_ms: null,
    created_at: T0,
  };
}

/** The counters recomputed from the rows, the way the backfill defines them. */
async function recount(db: Kysely<Database>, workspaceId: string) {
  const bytes = await db
    .selectFrom('recording_resources as rr')
    .innerJoin('recordings as r', 'r.id', 'rr.recording_id')
    .select((eb) => eb.fn.sum<number>('rr.size').as('n'))
    .where('r.workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  const live = await db
    .selectFrom('recordings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { bytes: Number(bytes.n ?? 0), recordings: Number(live.n) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function currentSchema(db: Kysely<Database>): Promise<string | undefined> {
  if (testDialect !== 'postgres') return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}

describe(`workspace usage repository [${testDialect}]`, () => {
  let dataDir: string;
  let store: Store;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'userplane-store-usage-'));
    ({ store, drop } = await openTestStore(dataDir));
  });
  afterAll(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads zeros for a workspace with no row, and adds and subtracts deltas', async () => {
    const f = await seedWorkspace(store.db);
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({ bytes: 0, recordings: 0 });
    await adjustWorkspaceUsage(store.db, f.workspaceId, { bytes: 1_500, recordings: 2 }, T0);
    await adjustWorkspaceUsage(store.db, f.workspaceId, { bytes: -500, recordings: -1 }, T0 + 1);
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({ bytes: 1_000, recordings: 1 });
    const row = await store.db
      .selectFrom('workspace_usage')
      .selectAll()
      .where('workspace_id', '=', f.workspaceId)
      .executeTakeFirstOrThrow();
    expect(row.updated_at).toBe(T0 + 1);
    // Larger than 2^32: bigint on both databases, read back as a number.
    await adjustWorkspaceUsage(store.db, f.workspaceId, { bytes: 6_000_000_000, recordings: 0 }, T0 + 2);
    expect((await getWorkspaceUsage(store.db, f.workspaceId)).bytes).toBe(6_000_001_000);
    await expect(
      adjustWorkspaceUsage(store.db, f.workspaceId, { bytes: 0.5, recordings: 0 }, T0),
    ).rejects.toThrow(/integers/);
  });

  it('loses no update under 20 concurrent adjustments in transactions, the first ones racing to create the row', async () => {
    const f = await seedWorkspace(store.db);
    // On PostgreSQL a second pool stands in for a second server process: 20 transactions on up to 20
    // connections, each reading, adjusting, and holding its transaction open a moment. SQLite has
    // one writer at a time (the driver serializes them); the same statement must still add up.
    const second =
      testDialect === 'postgres'
        ? openStore({ kind: 'postgres', url: testPostgresUrl }, { schema: (await currentSchema(store.db))! })
        : undefined;
    try {
      const deltas = Array.from({ length: 20 }, (_, i) => ({
        bytes: i % 4 === 3 ? -(i + 1) * 10 : (i + 1) * 1_000,
        recordings: i % 4 === 3 ? -1 : 1,
      }));
      await Promise.all(
        deltas.map((delta, i) => {
          const db = second && i % 2 === 1 ? second.db : store.db;
          return db.transaction().execute(async (trx) => {
            await getWorkspaceUsage(trx, f.workspaceId);
            await adjustWorkspaceUsage(trx, f.workspaceId, delta, T0 + i);
            await sleep(5);
          });
        }),
      );
      const expected = {
        bytes: deltas.reduce((s, d) => s + d.bytes, 0),
        recordings: deltas.reduce((s, d) => s + d.recordings, 0),
      };
      expect(expected).toEqual({ bytes: 149_400, recordings: 10 });
      expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual(expected);
      const rows = await store.db
        .selectFrom('workspace_usage')
        .select('workspace_id')
        .where('workspace_id', '=', f.workspaceId)
        .execute();
      expect(rows).toHaveLength(1);
    } finally {
      await second?.close();
    }
  });

  it('an adjustment in a transaction that rolls back leaves no trace', async () => {
    const f = await seedWorkspace(store.db);
    await adjustWorkspaceUsage(store.db, f.workspaceId, { bytes: 10, recordings: 1 }, T0);
    await expect(
      store.db.transaction().execute(async (trx) => {
        await insertRecording(trx, newRecordingFromRow(recordingRow(f)));
        await adjustWorkspaceUsage(trx, f.workspaceId, { bytes: 99, recordings: 0 }, T0);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({ bytes: 10, recordings: 1 });
  });

  it('the store writes keep the counters equal to a recount of the rows', async () => {
    const f = await seedWorkspace(store.db);
    const other = await seedWorkspace(store.db);
    const a = recordingRow(f);
    const b = recordingRow(f);
    // Inserted already deleted (a restore, an import): no recording counted, its bytes are.
    const gone = recordingRow(f, { deletedAt: T0 + 5 });
    for (const row of [a, b, gone]) await insertRecording(store.db, newRecordingFromRow(row));
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({ bytes: 0, recordings: 2 });

    await insertResources(
      store.db,
      [
        resourceRow(a.id, 'video', 62_415),
        resourceRow(a.id, 'thumbnail', 18_000),
        // Two rows on one shared file (the demo): each counts.
        resourceRow(b.id, 'video', 62_415, 'demo-assets/video.webm'),
        resourceRow(gone.id, 'console-log', 300),
      ].map(newResourceFromRow),
    );
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({
      bytes: 62_415 + 18_000 + 62_415 + 300,
      recordings: 2,
    });

    // Replacing a resource: − old size + new size; adding a new kind: + its size.
    const upsert = (recordingId: string, kind: RecordingResourcesTable['kind'], size: number) =>
      upsertResource(
        store.db,
        newResourceFromRow({ ...resourceRow(recordingId, kind, size), dropped_entries: 0 }),
      );
    await upsert(a.id, 'thumbnail', 20_000);
    await upsert(b.id, 'network-log', 777);
    expect((await getWorkspaceUsage(store.db, f.workspaceId)).bytes).toBe(
      62_415 + 20_000 + 62_415 + 300 + 777,
    );

    // Soft delete: one recording fewer, bytes stay (the files are kept until purged); once only.
    expect(await softDeleteRecording(store.db, a.id, T0 + 10)).toBe(true);
    expect(await softDeleteRecording(store.db, a.id, T0 + 11)).toBe(false);
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({
      bytes: 62_415 + 20_000 + 62_415 + 300 + 777,
      recordings: 1,
    });

    // Files removed for good: their rows go and their bytes with them.
    expect(await deleteResources(store.db, a.id, T0 + 12)).toBe(62_415 + 20_000);
    expect(await deleteResources(store.db, a.id, T0 + 13)).toBe(0);
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({
      bytes: 62_415 + 300 + 777,
      recordings: 1,
    });
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual(await recount(store.db, f.workspaceId));
    // Another workspace is untouched.
    expect(await getWorkspaceUsage(store.db, other.workspaceId)).toEqual({ bytes: 0, recordings: 0 });
  });

  it('backfillWorkspaceUsage recomputes every workspace from the rows (and repairs drifted counters)', async () => {
    const f = await seedWorkspace(store.db);
    const empty = await seedWorkspace(store.db);
    const a = recordingRow(f);
    const gone = recordingRow(f, { deletedAt: T0 + 3 });
    await insertRecording(store.db, newRecordingFromRow(a));
    await insertRecording(store.db, newRecordingFromRow(gone));
    await insertResources(
      store.db,
      [resourceRow(a.id, 'video', 1_000), resourceRow(gone.id, 'video', 234)].map(newResourceFromRow),
    );
    const incremental = await getWorkspaceUsage(store.db, f.workspaceId);
    expect(incremental).toEqual({ bytes: 1_234, recordings: 1 });

    await adjustWorkspaceUsage(store.db, f.workspaceId, { bytes: 5, recordings: 7 }, T0);
    await store.db.deleteFrom('workspace_usage').where('workspace_id', '=', empty.workspaceId).execute();
    await backfillWorkspaceUsage(store.db as unknown as Kysely<unknown>, T0 + 99);
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual(incremental);
    const row = await store.db
      .selectFrom('workspace_usage')
      .selectAll()
      .where('workspace_id', '=', empty.workspaceId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ workspace_id: empty.workspaceId, bytes: 0, recordings: 0, updated_at: T0 + 99 });
  });
});

describe(`migration 0040_storage_usage [${testDialect}]`, () => {
  let dataDir: string;
  let store: Store;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'userplane-store-usage-migration-'));
    ({ store, drop } = await openTestStore(dataDir));
  });
  afterAll(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates workspace_usage filled from the recordings and resources stored before it', async () => {
    const schema = await currentSchema(store.db);
    const migrator = new Migrator({
      db: store.db,
      provider: migrationProvider,
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    // Back to the schema before the table existed, then rows as that version wrote them.
    const down = await migrator.migrateTo('0030_recorder');
    expect(down.error).toBeUndefined();
    // (Migrations added after this one are undone and redone too.)
    const undone = down.results?.map((r) => [r.migrationName, r.direction]) ?? [];
    expect(undone).toContainEqual(['0040_storage_usage', 'Down']);
    expect(undone.every(([name, direction]) => name! > '0030_recorder' && direction === 'Down')).toBe(true);

    const f = await seedWorkspace(store.db);
    const quiet = await seedWorkspace(store.db);
    const live = [recordingRow(f), recordingRow(f), recordingRow(f)];
    const deleted = recordingRow(f, { deletedAt: T0 + 50 });
    await store.db
      .insertInto('recordings')
      .values([...live, deleted])
      .execute();
    await store.db
      .insertInto('recording_resources')
      .values([
        resourceRow(live[0]!.id, 'video', 62_415),
        resourceRow(live[0]!.id, 'thumbnail', 18_204),
        resourceRow(live[1]!.id, 'video', 62_415, 'demo-assets/demo-recording.webm'),
        resourceRow(live[2]!.id, 'video', 62_415, 'demo-assets/demo-recording.webm'),
        resourceRow(live[2]!.id, 'console-log', 4_321),
        resourceRow(deleted.id, 'video', 1_000_000),
      ])
      .execute();

    const up = await migrator.migrateToLatest();
    expect(up.error).toBeUndefined();
    expect(up.results?.map((r) => r.migrationName)).toContain('0040_storage_usage');
    expect(await getWorkspaceUsage(store.db, f.workspaceId)).toEqual({
      bytes: 62_415 + 18_204 + 62_415 + 62_415 + 4_321 + 1_000_000,
      recordings: 3,
    });
    expect(await getWorkspaceUsage(store.db, quiet.workspaceId)).toEqual({ bytes: 0, recordings: 0 });
    expect(
      await store.db.selectFrom('workspace_usage').select('workspace_id').orderBy('workspace_id').execute(),
    ).toEqual([f.workspaceId, quiet.workspaceId].sort().map((workspace_id) => ({ workspace_id })));
  });
});
