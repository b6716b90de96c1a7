import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import type { Deps } from '../../src/services/deps.ts';
import { deleteRecording } from '../../src/services/recordings.ts';
import { RETENTION_LEASE, runRetention } from '../../src/services/retention.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.ts';
import { accessOf } from '../helpers/builders-links.ts';
import {
  insertLinkRow,
  insertProjectRow,
  makeRecording,
  recordingsWorkspace,
} from '../helpers/builders-recordings.ts';
import { testDialect, testPostgresUrl } from '../helpers/test-app.ts';

// Issue 9, "Must show": killing the process in the middle of a purge batch and running the job
// again finishes the batch with nothing half-deleted. The first run is a process of its own
// (test/helpers/retention-child.ts) that stops after the files of the batch's first recording were
// removed and before the batch is committed; it is SIGKILLed there. The second run is the operator's
// command, `userplane maintenance`, on the same database and DATA_DIR.

const ROOT = join(import.meta.dirname, '../..');
const CHILD = join(ROOT, 'test/helpers/retention-child.ts');
const BIN = join(ROOT, 'bin/userplane.js');

let dataDir: string;
let schema: string;
let env: Record<string, string>;
let store: Store;
let deps: Deps;

function run(args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits until the child prints `marker`; returns its output. */
function waitFor(child: ChildProcess, marker: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${marker}: ${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (marker.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!marker.test(output)) reject(new Error(`exited (${code ?? signal}) before ${marker}: ${output}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'userplane-retention-crash-'));
  schema = `crash_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  env = {
    DATA_DIR: dataDir,
    USERPLANE_SECRET: 'crash-secret-crash-secret-crash-secret-0123456789',
    PUBLIC_URL: 'http://localhost:3000',
    LOG_LEVEL: 'silent',
  };
  if (testDialect === 'postgres') {
    const admin = openStore({ kind: 'postgres', url: testPostgresUrl }, { poolSize: 1 });
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    await admin.close();
    env.DATABASE_URL = `${testPostgresUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    store = openStore({ kind: 'postgres', url: testPostgresUrl }, { schema, poolSize: 2 });
  } else {
    store = openStore({ kind: 'sqlite', file: join(dataDir, 'userplane.db') });
  }
  await migrateToLatest(store.db);
  // The data is made 40 days in the past; the processes run on the real clock.
  const { deps: built } = buildApp({
    config: loadConfig(env),
    store,
    log: silentLogger(),
    clock: fakeClock(Date.now() - 40 * DAY_MS),
  });
  deps = built;
});

afterAll(async () => {
  await store?.close();
  if (testDialect === 'postgres') {
    const admin = openStore({ kind: 'postgres', url: testPostgresUrl }, { poolSize: 1 });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
    await admin.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`retention: killed in the middle of a purge batch [${testDialect}]`, () => {
  // Killed after the first recording's files of the batch, and after the last one's (all files of
  // the batch gone, nothing committed).
  it.each([1, 3])(
    'killed after %i file removal(s), the next run finishes the batch; nothing is left half-deleted',
    { timeout: 90_000 },
    async (pauseAfter) => {
      const w = await recordingsWorkspace(deps);
      const ws = w.workspace.id;
      const owner = await accessOf(deps, w.owner, ws);
      const doomed: string[] = [];
      for (let i = 0; i < 3; i++) doomed.push((await makeRecording(deps, w.links.member)).id);
      for (const id of doomed) await deleteRecording(deps, owner, id);
      const expiringProject = await insertProjectRow(deps, ws, { retentionDays: 1 });
      const expiringLink = await insertLinkRow(deps, {
        workspaceId: ws,
        projectId: expiringProject,
        domainId: w.domainId,
        creatorMemberId: w.memberIds.member!,
      });
      const expired = (await makeRecording(deps, expiringLink)).id;
      const kept = (await makeRecording(deps, w.links.owner)).id;

      const resources = async (id: string) =>
        deps.db
          .selectFrom('recording_resources')
          .select(['storage_path', 'size'])
          .where('recording_id', '=', id)
          .execute();
      const paths = new Map<string, string[]>();
      let bytes = 0;
      for (const id of [...doomed, expired, kept]) {
        const rows = await resources(id);
        paths.set(
          id,
          rows.map((r) => r.storage_path),
        );
        if (id !== kept) bytes += rows.reduce((n, r) => n + Number(r.size), 0);
      }
      const usage = async () => {
        const row = await deps.db
          .selectFrom('workspace_usage')
          .select(['bytes', 'recordings'])
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow();
        return { bytes: Number(row.bytes), recordings: Number(row.recordings) };
      };
      const before = await usage();
      const row = (id: string) =>
        deps.db
          .selectFrom('recordings')
          .select(['id', 'deleted_at', 'files_purge_started_at', 'files_purged_at'])
          .where('id', '=', id)
          .executeTakeFirst();

      // First run: killed after the files of the batch's first recording were removed.
      const child = run(['--import', 'tsx', CHILD], {
        RETENTION_CHILD_PAUSE_AFTER: String(pauseAfter),
        RETENTION_CHILD_LEASE_MS: '3000',
      });
      const output = await waitFor(child, /PAUSED (rec_\w+)/);
      child.kill('SIGKILL');
      await exited(child);
      expect(child.signalCode).toBe('SIGKILL');
      // The batch works through its recordings in id order.
      const removedFirst = [...doomed].sort().slice(0, pauseAfter);
      expect(/PAUSED (rec_\w+)/.exec(output)![1]).toBe(removedFirst.at(-1));

      // Half-way: those recordings' files are gone and their rows say they no longer claim them; the
      // others of the batch are claimed, their files still there; nothing committed yet.
      for (const id of doomed) {
        const r = await row(id);
        expect(r?.deleted_at, id).not.toBeNull();
        expect(r?.files_purge_started_at, id).not.toBeNull();
        expect(r?.files_purged_at, id).toBeNull();
        expect((await resources(id)).length, id).toBe(paths.get(id)!.length);
        const left = (await deps.files.list(id)).length;
        expect(left, id).toBe(removedFirst.includes(id) ? 0 : paths.get(id)!.length);
      }
      expect(await deps.files.list(expired)).toHaveLength(paths.get(expired)!.length);
      expect(await usage()).toEqual(before);
      const events = () =>
        deps.db
          .selectFrom('audit_events')
          .where('workspace_id', '=', ws)
          .select(['type', 'detail'])
          .where('type', 'like', 'retention.%')
          .execute();
      expect(await events()).toEqual([]);

      // The killed process still holds the lease until it runs out: another run does nothing now.
      const lease = await deps.db
        .selectFrom('maintenance_leases')
        .selectAll()
        .where('name', '=', RETENTION_LEASE)
        .executeTakeFirstOrThrow();
      expect((await runRetention({ ...deps, clock: { now: () => Date.now() } })).ran).toBe(false);
      while (Date.now() <= Number(lease.expires_at)) await new Promise((r) => setTimeout(r, 100));

      // Second run: the operator's command.
      const again = run([BIN, 'maintenance', '--json']);
      const printed = await waitFor(again, /\{"ran".*\}\n/);
      await exited(again);
      expect(again.exitCode, printed).toBe(0);
      const report = JSON.parse(/\{"ran".*\}/.exec(printed)![0]);
      expect(report).toMatchObject({
        ran: true,
        interrupted: false,
        purged: { recordings: 3, links: 0, projects: 0 },
        expired: { recordings: 1 },
      });
      expect(report.purged.bytes + report.expired.bytes).toBe(bytes);

      // Nothing half-deleted: no row left whose files are gone, no file left whose row is gone.
      for (const id of doomed) {
        expect(await row(id), id).toBeUndefined();
        expect(await resources(id), id).toEqual([]);
        expect(await deps.files.list(id), id).toEqual([]);
        for (const p of paths.get(id)!) expect(await deps.files.size(p), p).toBeUndefined();
      }
      const expiredRow = await row(expired);
      expect(expiredRow?.files_purged_at).not.toBeNull();
      expect(await resources(expired)).toEqual([]);
      expect(await deps.files.list(expired)).toEqual([]);
      // The live recording is whole.
      for (const p of paths.get(kept)!) expect(await deps.files.size(p), p).toBeGreaterThan(0);
      // Every remaining resource row has its file, and every file its row.
      const all = await deps.db
        .selectFrom('recording_resources')
        .select(['recording_id', 'storage_path'])
        .execute();
      for (const r of all) expect(await deps.files.size(r.storage_path), r.storage_path).toBeDefined();
      const ids = (await deps.db.selectFrom('recordings').select('id').execute()).map((r) => r.id);
      for (const id of ids) {
        const listed = await deps.files.list(id);
        const claimed = all.filter((r) => r.recording_id === id).map((r) => r.storage_path);
        expect(listed.sort(), id).toEqual(claimed.sort());
      }
      // Storage use lost exactly the bytes of the files removed, once.
      expect(await usage()).toEqual({ bytes: before.bytes - bytes, recordings: before.recordings });
      // The batch's audit event names all three, written when it committed.
      const written = (await events()).map((e) => ({ type: e.type, detail: JSON.parse(e.detail) }));
      const purgedEvent = written.find((e) => e.type === 'retention.recordings_purged');
      expect(purgedEvent?.detail.recordingIds.sort()).toEqual([...doomed].sort());
      expect(written.filter((e) => e.type === 'retention.expired_files_removed')).toHaveLength(1);
    },
  );
});
