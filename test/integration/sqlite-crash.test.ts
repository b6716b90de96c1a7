import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { accessOf, verifiedDomain } from '../helpers/builders-links.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { testDialect } from '../helpers/test-app.ts';

// Issue 11, item 3: SQLite runs with synchronous=NORMAL by default (WAL mode): a commit is written to
// the WAL before the request is answered, but not fsynced, so a process that dies — SIGKILL, an OOM
// kill, a crash — loses nothing it acknowledged; only an OS crash or a power loss could lose the last
// commits (docs/operations.md). This kills a real `userplane serve` with SIGKILL in the middle of a
// write load over HTTP (OAuth dynamic client registrations and REST link creations, many at once),
// starts it again, and looks for every write that got a 2xx answer. SQLITE_SYNCHRONOUS=full, which
// fsyncs each commit, must pass the same test.

const WORKERS_PER_KIND = 8;
// Enough acknowledged writes that the kill lands in a steady load, not in its first requests.
const KILL_AFTER_ACKED = 150;

interface Load {
  /** Ids of clients and links whose creation was answered 2xx before the kill. */
  clients: string[];
  links: string[];
  /** Requests sent but not answered when the process died. */
  inFlightAtKill: number;
}

/** Runs the write load against `url` and SIGKILLs process 0 once KILL_AFTER_ACKED writes were acknowledged. */
async function writeUntilKilled(
  procs: ServerProcesses,
  target: { workspaceId: string; domainId: string; headers: Record<string, string> },
): Promise<Load> {
  const url = procs.urls[0]!;
  const clients: string[] = [];
  const links: string[] = [];
  let inFlight = 0;
  let inFlightAtKill = -1;
  let serial = 0;
  let killing: Promise<void> | undefined;
  const acked = () => clients.length + links.length;

  const send = async (kind: 'client' | 'link') => {
    const n = serial++;
    const request =
      kind === 'client'
        ? fetch(`${url}/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              client_name: `crash client ${n}`,
              redirect_uris: ['http://127.0.0.1:53682/callback'],
              token_endpoint_auth_method: 'none',
            }),
            signal: AbortSignal.timeout(15_000),
          })
        : fetch(`${url}/api/v1/public/workspace/${target.workspaceId}/links`, {
            method: 'POST',
            headers: { ...target.headers, 'content-type': 'application/json' },
            body: JSON.stringify({ domainId: target.domainId, linkReference: `crash link ${n}` }),
            signal: AbortSignal.timeout(15_000),
          });
    inFlight += 1;
    try {
      const res = await request;
      const body = (await res.json()) as { client_id?: string; data?: { linkId?: string } };
      // Only a full 2xx answer counts as acknowledged; anything else is a test failure, not a crash.
      if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${JSON.stringify(body)}`);
      if (kind === 'client') clients.push(body.client_id!);
      else links.push(body.data!.linkId!);
    } finally {
      inFlight -= 1;
    }
    if (acked() >= KILL_AFTER_ACKED && !killing) {
      inFlightAtKill = inFlight;
      killing = procs.kill(0);
    }
  };

  const worker = async (kind: 'client' | 'link') => {
    for (;;) {
      try {
        await send(kind);
      } catch (error) {
        // The process is gone: connections refused or reset. Anything before the kill is a failure.
        if (killing) return;
        throw error;
      }
    }
  };
  await Promise.all([
    ...Array.from({ length: WORKERS_PER_KIND }, () => worker('client')),
    ...Array.from({ length: WORKERS_PER_KIND }, () => worker('link')),
  ]);
  await killing;
  return { clients: [...clients], links: [...links], inFlightAtKill };
}

describe.runIf(testDialect === 'sqlite')(
  'SQLite durability: SIGKILL under a write load loses no acknowledged write (SQLite only: SQLITE_SYNCHRONOUS is a setting of our SQLite connection; PostgreSQL makes its own commits durable)',
  () => {
    let procs: ServerProcesses;
    let target: { workspaceId: string; domainId: string; headers: Record<string, string> };
    const limits = {
      DCR_RATE_LIMIT_PER_MINUTE: '1000000',
      DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000000',
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      API_RATE_LIMIT_PER_DAY: '1000000',
    };

    beforeAll(async () => {
      procs = await startServerProcesses(1, { env: limits });
      target = await procs.withDeps(async (deps) => {
        const team = await teamWorkspace(deps);
        const domain = await verifiedDomain(deps, await accessOf(deps, team.owner, team.workspace.id));
        return { workspaceId: team.workspace.id, domainId: domain.id, headers: team.owner.headers };
      });
    });
    afterAll(async () => procs?.stop());

    it.each(['normal', 'full'] as const)(
      'SQLITE_SYNCHRONOUS=%s: every registration and link answered 2xx before the kill is there after a restart',
      { timeout: 120_000 },
      async (mode) => {
        // The process runs with the mode under test (the default, normal, when unset).
        const env: Record<string, string> = mode === 'normal' ? {} : { SQLITE_SYNCHRONOUS: mode };
        await procs.kill(0);
        await procs.restart(0, env);

        const load = await writeUntilKilled(procs, target);
        expect(procs.alive(0)).toBe(false);
        expect(load.clients.length + load.links.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKED);
        expect(load.clients.length).toBeGreaterThan(0);
        expect(load.links.length).toBeGreaterThan(0);
        // The kill came while writes were in flight (their outcome is unknown, and not checked).
        expect(load.inFlightAtKill).toBeGreaterThan(0);

        // Started again on the same file: SQLite recovers the WAL, the server answers.
        await procs.restart(0, env);
        expect((await fetch(`${procs.urls[0]}/readyz`)).status).toBe(200);

        const store = procs.openStore();
        try {
          const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db);
          expect(integrity.rows.map((r) => r.integrity_check)).toEqual(['ok']);
          const clients = await store.db
            .selectFrom('oauth_clients')
            .select('id')
            .where('id', 'in', load.clients)
            .execute();
          expect(new Set(clients.map((r) => r.id))).toEqual(new Set(load.clients));
          // Each registration committed with its audit event: none is found without the other.
          const events = await store.db
            .selectFrom('audit_events')
            .select('client_id')
            .where('type', '=', 'client.registered')
            .where('client_id', 'in', load.clients)
            .execute();
          expect(new Set(events.map((r) => r.client_id))).toEqual(new Set(load.clients));
          const links = await store.db
            .selectFrom('links')
            .select('id')
            .where('id', 'in', load.links)
            .execute();
          expect(new Set(links.map((r) => r.id))).toEqual(new Set(load.links));
        } finally {
          await store.close();
        }
      },
    );

    it('the connection runs with the synchronous level asked for (WAL mode either way)', async () => {
      const file = `${procs.env.DATA_DIR}/userplane.db`;
      for (const [synchronous, level] of [
        [undefined, 1],
        ['normal', 1],
        ['full', 2],
      ] as const) {
        const store = openStore({ kind: 'sqlite', file, ...(synchronous ? { synchronous } : {}) });
        try {
          const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
          expect(sync.rows[0]?.synchronous).toBe(level);
          const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
          expect(mode.rows[0]?.journal_mode).toBe('wal');
        } finally {
          await store.close();
        }
      }
    });
  },
);
