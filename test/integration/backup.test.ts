import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/api-keys.ts';
import { createUser } from '../../src/services/users.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { API, jsonInit, startBody, tusUpload } from '../helpers/builders-recorder.ts';
import {
  DEMO_THUMBNAIL,
  DEMO_VIDEO,
  insertDomainRow,
  insertLinkRow,
  makeRecording,
} from '../helpers/builders-recordings.ts';
import { tokensOverHttp } from '../helpers/oauth-http.ts';
import { ALICE } from '../helpers/oauth-scenarios.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { testDialect } from '../helpers/test-app.ts';

// `userplane backup` / `userplane restore` as an operator runs them (issue 9, "Must show"): the real
// bin against a real `userplane serve` process that keeps taking writes, then a second server
// started on the restored DATA_DIR. SQLite only: on PostgreSQL the database half of a backup is
// pg_dump's and pg_restore's (docs/operations.md, Backups), and `userplane backup` there archives
// just the files; the one PostgreSQL test below checks that it says so.

const LIMITS = { API_RATE_LIMIT_PER_MINUTE: '1000000', API_RATE_LIMIT_PER_DAY: '100000000' };

interface Seed {
  apiKey: string;
  workspaceId: string;
  domainId: string;
  /** The link the seeded recordings were made through. */
  seedLinkId: string;
  /** A second link, for recordings the write load makes. */
  loadLinkId: string;
  recordingIds: string[];
}

async function seed(withDeps: ServerProcesses['withDeps']): Promise<Seed> {
  return withDeps(async (deps) => {
    const user = await createUser(deps, { ...ALICE, name: 'Alice' });
    const { secret } = await createApiKey(deps, { userId: user.id, name: 'backup test' });
    const { workspace, defaultProject, ownerMemberId } = await createWorkspace(deps, {
      name: 'Backup Co',
      ownerUserId: user.id,
    });
    const domainId = await insertDomainRow(deps, workspace.id, { host: 'app.example.com' });
    const link = (title: string) =>
      insertLinkRow(deps, {
        workspaceId: workspace.id,
        projectId: defaultProject.id,
        domainId,
        creatorMemberId: ownerMemberId,
        title,
      });
    const seedLinkId = await link('seeded');
    const loadLinkId = await link('load');
    const recordingIds: string[] = [];
    for (let i = 0; i < 3; i++) recordingIds.push((await makeRecording(deps, seedLinkId)).id);
    return { apiKey: secret, workspaceId: workspace.id, domainId, seedLinkId, loadLinkId, recordingIds };
  });
}

const mcpProfile = (base: string, token: string) =>
  fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'userplane_get_profile', arguments: {} },
    }),
  });

/** The text of an MCP answer, JSON or one SSE event. */
async function mcpText(res: Response): Promise<string> {
  const body = await res.text();
  return body.startsWith('{') ? body : body.replace(/^(event|id):.*$/gm, '').replace(/^data: /gm, '');
}

/** One recording through the recorder API, as the recorder page makes it; its id once finished. */
async function recordOverHttp(base: string, linkId: string, refused: string[]): Promise<string | undefined> {
  const started = await fetch(
    `${base}${API}/links/${linkId}/recordings`,
    jsonInit('POST', startBody(DEMO_VIDEO.length)),
  );
  if (started.status !== 201) {
    refused.push(`start ${started.status} ${await started.text()}`);
    return undefined;
  }
  const { recordingId, uploadToken } = (
    (await started.json()) as {
      data: { recordingId: string; uploadToken: string };
    }
  ).data;
  const auth = { authorization: `Bearer ${uploadToken}` };
  await tusUpload(base, uploadToken, DEMO_VIDEO);
  const thumbnail = await fetch(`${base}${API}/recordings/${recordingId}/thumbnail`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'image/png' },
    body: DEMO_THUMBNAIL,
  });
  const finish = await fetch(`${base}${API}/recordings/${recordingId}/finish`, {
    method: 'POST',
    headers: auth,
  });
  if (thumbnail.status !== 200 || finish.status !== 200) {
    refused.push(`thumbnail ${thumbnail.status}, finish ${finish.status} ${await finish.text()}`);
    return undefined;
  }
  return recordingId;
}

/** Downloads a recording's video through its signed URL, sent to `base` (the URL names PUBLIC_URL). */
async function downloadVideo(base: string, seeded: Seed, recordingId: string): Promise<Buffer> {
  const res = await fetch(
    `${base}/api/v1/public/workspace/${seeded.workspaceId}/recordings/${recordingId}/video`,
    { headers: { authorization: `Bearer ${seeded.apiKey}` } },
  );
  expect(res.status).toBe(200);
  const signed = new URL(((await res.json()) as { data: { resource: { url: string } } }).data.resource.url);
  const file = await fetch(`${base}${signed.pathname}${signed.search}`);
  expect(file.status).toBe(200);
  return Buffer.from(await file.arrayBuffer());
}

describe.skipIf(testDialect !== 'sqlite')('userplane backup and restore [sqlite]', () => {
  let procs: ServerProcesses;
  let seeded: Seed;
  let tokens: Awaited<ReturnType<typeof tokensOverHttp>>;
  let work: string;
  const started: ServerProcesses[] = [];

  /** A server started on a fresh DATA_DIR that `restore --from file` filled first. */
  async function restoredServer(file: string, env: Record<string, string> = {}) {
    let restore: { code: number; stdout: string; stderr: string } | undefined;
    const server = await startServerProcesses(1, {
      // The same PUBLIC_URL as the original: the issuer and the tokens' audience, as after a real
      // restore behind the same name; requests go to the new process's own port.
      env: { ...LIMITS, PUBLIC_URL: procs.publicUrl, ...env },
      beforeStart: async ({ cli }) => {
        restore = await cli(['restore', '--from', file]);
        expect(restore.code, restore.stderr).toBe(0);
      },
    });
    started.push(server);
    return { server, url: server.urls[0]!, restore: restore! };
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'userplane-backup-'));
    procs = await startServerProcesses(1, {
      env: LIMITS,
      beforeStart: async ({ withDeps }) => {
        seeded = await seed(withDeps);
      },
    });
    // Issued through the real OAuth flow before any backup: the restored server must accept it.
    tokens = await tokensOverHttp(procs.publicUrl, 'Backup Test App', 54001);
    expect((await mcpProfile(procs.publicUrl, tokens.access_token)).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    for (const server of started) await server.stop();
    await procs?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  let loadBackup: string;

  it('a backup taken under a write load holds every write acknowledged before it started; the restored server serves it', async () => {
    const base = procs.urls[0]!;
    const acked: { links: Array<{ id: string; at: number }>; recordings: Array<{ id: string; at: number }> } =
      {
        links: [],
        recordings: [],
      };
    const refused: string[] = [];
    let stop = false;
    // Two writers, both through the server (a second process writing the same SQLite file would
    // meet SQLITE_BUSY on its own, backup or not): links through REST, and recordings through the
    // recorder API (start, tus video upload, thumbnail, finish), paced under its limit of 30 starts
    // per address per 10 minutes.
    const linkLoad = (async () => {
      for (let i = 0; !stop; i++) {
        const res = await fetch(`${base}/api/v1/public/workspace/${seeded.workspaceId}/links`, {
          method: 'POST',
          headers: { authorization: `Bearer ${seeded.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ domainId: seeded.domainId, linkReference: `load ${i}`, linkReusable: true }),
        });
        if (res.status !== 201) {
          refused.push(`${res.status} ${await res.text()}`);
          continue;
        }
        const id = ((await res.json()) as { data: { linkId: string } }).data.linkId;
        acked.links.push({ id, at: Date.now() });
      }
    })();
    const recordingLoad = (async () => {
      for (let i = 0; !stop && i < 25; i++) {
        const id = await recordOverHttp(base, seeded.loadLinkId, refused);
        if (id) acked.recordings.push({ id, at: Date.now() });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const stopLoad = async () => {
      stop = true;
      await Promise.all([linkLoad, recordingLoad]);
    };
    let backup: { code: number; stdout: string; stderr: string };
    let startedAt: number;
    let finishedAt: number;
    try {
      while (acked.links.length < 5 || acked.recordings.length < 3)
        await new Promise((r) => setTimeout(r, 20));
      loadBackup = join(work, 'under-load.backup');
      startedAt = Date.now();
      backup = await procs.cli(['backup', '--out', loadBackup]);
      finishedAt = Date.now();
    } finally {
      await stopLoad();
    }
    expect(backup.code, backup.stderr).toBe(0);
    expect(refused, procs.output(0).slice(-3000)).toEqual([]);
    expect(backup.stdout.split('\n')[0]).toBe(loadBackup);
    expect(backup.stdout).toMatch(/Secret: not included\. The restored server needs this server's secret/);
    // Progress went to stderr, a few lines (stderr is not a terminal here).
    expect(backup.stderr).toMatch(/backup: database snapshot 100%/);
    expect(backup.stderr).toMatch(/backup: files \d+\/\d+ \(/);
    expect(statSync(loadBackup).mode & 0o777).toBe(0o600);
    // The load really ran while the backup did.
    const during = (w: { at: number }) => w.at > startedAt && w.at < finishedAt;
    expect(acked.links.filter(during).length).toBeGreaterThan(0);
    expect(acked.recordings.filter(during).length).toBeGreaterThan(0);

    const { server, url, restore } = await restoredServer(loadBackup);
    expect(restore.stdout).toMatch(/^Restored database .* files/m);
    expect(restore.stderr).toMatch(/restore: entries \d+\/\d+/);

    // Every write acknowledged before the backup started is in the restored database.
    const store = server.openStore();
    try {
      const before = (list: Array<{ id: string; at: number }>) =>
        list.filter((w) => w.at < startedAt).map((w) => w.id);
      const links = new Set((await store.db.selectFrom('links').select('id').execute()).map((r) => r.id));
      const recordings = new Set(
        (await store.db.selectFrom('recordings').select('id').execute()).map((r) => r.id),
      );
      expect(before(acked.links).filter((id) => !links.has(id))).toEqual([]);
      expect(before(acked.recordings).filter((id) => !recordings.has(id))).toEqual([]);
      expect(seeded.recordingIds.filter((id) => !recordings.has(id))).toEqual([]);
      // Every file a restored row names is there, whole: the snapshot came before the files.
      const resources = await store.db
        .selectFrom('recording_resources')
        .select(['storage_path', 'size'])
        .execute();
      expect(resources.length).toBeGreaterThan(0);
      const missing = resources.filter((r) => {
        try {
          return statSync(join(server.env.DATA_DIR!, 'files', r.storage_path)).size !== r.size;
        } catch {
          return true;
        }
      });
      expect(missing).toEqual([]);
    } finally {
      await store.close();
    }

    // Smoke test: REST list, a file byte for byte through its signed URL, MCP with the old token.
    const list = await fetch(
      `${url}/api/v1/public/workspace/${seeded.workspaceId}/recordings?link_id=${seeded.seedLinkId}`,
      { headers: { authorization: `Bearer ${seeded.apiKey}` } },
    );
    expect(list.status).toBe(200);
    const listed = ((await list.json()) as { data: { recordings: Array<{ recordingId: string }> } }).data
      .recordings;
    expect(listed.map((r) => r.recordingId).sort()).toEqual([...seeded.recordingIds].sort());
    expect((await downloadVideo(url, seeded, seeded.recordingIds[0]!)).equals(DEMO_VIDEO)).toBe(true);
    const profile = await mcpProfile(url, tokens.access_token);
    expect(profile.status).toBe(200);
    const text = await mcpText(profile);
    expect(text).toContain(ALICE.email);
    expect(text).not.toContain('"isError":true');
    // The Connected App's grant and the signing keys came along: its refresh token still works and
    // the new access token (signed with a restored, decrypted key) is accepted.
    const refreshed = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: tokens.clientId,
      }).toString(),
    });
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as { access_token: string };
    expect((await mcpProfile(url, fresh.access_token)).status).toBe(200);
  }, 180_000);

  it('restore refuses a DATA_DIR that holds a database, naming it', async () => {
    const result = await procs.cli(['restore', '--from', loadBackup]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`DATA_DIR ${procs.env.DATA_DIR} already holds a database`);
    expect(result.stdout).toBe('');
  }, 60_000);

  it('a damaged backup is refused with a clear message and leaves nothing restored', async () => {
    const good = readFileSync(loadBackup);
    // A flipped byte in the compressed stream (gzip's CRC catches it), a cut-off copy, and a
    // payload changed and re-compressed (only the archive's own checksum can tell).
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0xff;
    const truncated = good.subarray(0, good.length - 200);
    const payload = gunzipSync(good);
    const trailer = payload.lastIndexOf(Buffer.from('{"end":true'));
    payload[trailer - 1]! ^= 0xff; // the last byte of the last file
    const recompressed = gzipSync(payload);
    const cases = { flipped, truncated, recompressed };
    const results = await Promise.all(
      Object.entries(cases).map(async ([name, bytes]) => {
        const file = join(work, `${name}.backup`);
        writeFileSync(file, bytes);
        const dataDir = await mkdtemp(join(tmpdir(), 'userplane-restore-bad-'));
        const run = await runCli(procs, ['restore', '--from', file], { DATA_DIR: dataDir });
        const left = await readdir(dataDir);
        await rm(dataDir, { recursive: true, force: true });
        return { name, file, run, left };
      }),
    );
    for (const { name, file, run, left } of results) {
      expect(run.code, name).toBe(1);
      expect(run.stderr, name).toContain(`userplane restore: ${file} is damaged or incomplete`);
      expect(run.stderr, name).toContain('nothing was restored');
      expect(left, name).toEqual([]);
    }
    expect(results.find((r) => r.name === 'recompressed')!.run.stderr).toMatch(/checksum does not match/);

    const notOne = join(work, 'not-a-backup.txt');
    writeFileSync(notOne, 'hello\n');
    const dataDir = await mkdtemp(join(tmpdir(), 'userplane-restore-bad-'));
    const run = await runCli(procs, ['restore', '--from', notOne], { DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${notOne} is not a Userplane backup`);
    expect(await readdir(dataDir)).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('without --include-secret a restore needs the original secret; with it, the secret comes along', async () => {
    // USERPLANE_SECRET unset: the command runs with a DATA_DIR/secret generated on the spot, which
    // is not the original, so nothing is restored and the message says what to set.
    const dataDir = await mkdtemp(join(tmpdir(), 'userplane-restore-secret-'));
    const refused = await runCli(procs, ['restore', '--from', loadBackup], {
      DATA_DIR: dataDir,
      USERPLANE_SECRET: '',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /does not include the server secret.*set USERPLANE_SECRET to the original/,
    );
    expect(await readdir(dataDir)).toEqual(['secret']);
    await rm(dataDir, { recursive: true, force: true });

    const withSecret = join(work, 'with-secret.backup');
    const backup = await procs.cli(['backup', '--out', withSecret, '--include-secret']);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/Secret: included/);
    const { url, restore } = await restoredServer(withSecret, { USERPLANE_SECRET: '' });
    expect(restore.stdout).toMatch(/Secret: restored into .*secret/);
    // The signed URL and the token only check out with the original secret and keys.
    expect((await downloadVideo(url, seeded, seeded.recordingIds[1]!)).equals(DEMO_VIDEO)).toBe(true);
    const profile = await mcpProfile(url, tokens.access_token);
    expect(profile.status).toBe(200);
    expect(await mcpText(profile)).toContain(ALICE.email);
  }, 120_000);
});

describe.skipIf(testDialect !== 'postgres')('userplane backup on PostgreSQL', () => {
  it('archives the files and prints the pg_dump command for the database', async () => {
    const procs = await startServerProcesses(1, {
      beforeStart: async ({ withDeps }) => {
        await seed(withDeps);
      },
    });
    const work = await mkdtemp(join(tmpdir(), 'userplane-backup-pg-'));
    try {
      const out = join(work, 'files.backup');
      const backup = await procs.cli(['backup', '--out', out]);
      expect(backup.code, backup.stderr).toBe(0);
      expect(backup.stdout).toContain(
        `pg_dump --format=custom --no-owner --file=${join(work, 'files.pgdump')} "$DATABASE_URL"`,
      );
      expect(backup.stdout).toMatch(/Backed up 15 files/);
      const restoreDir = await mkdtemp(join(tmpdir(), 'userplane-restore-pg-'));
      const restore = await runCli(procs, ['restore', '--from', out], { DATA_DIR: restoreDir });
      expect(restore.code, restore.stderr).toBe(0);
      expect(restore.stdout).toContain('pg_restore --no-owner');
      expect((await readdir(join(restoreDir, 'files'))).length).toBe(3);
      await rm(restoreDir, { recursive: true, force: true });
    } finally {
      await procs.stop();
      await rm(work, { recursive: true, force: true });
    }
  }, 90_000);
});

/** Runs the bin with the processes' settings and some of them replaced (another DATA_DIR, no secret). */
async function runCli(procs: ServerProcesses, args: string[], env: Record<string, string>) {
  const bin = join(import.meta.dirname, '../../bin/userplane.js');
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...procs.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
