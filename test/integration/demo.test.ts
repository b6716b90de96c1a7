import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseActionLog,
  parseConsoleNdjson,
  parseNetworkLog,
  RESOURCE_KINDS,
} from '../../src/domain/recording-resources.ts';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { createApiKey } from '../../src/services/api-keys.ts';
import { type DemoSummary, runDemo } from '../../src/services/demo.ts';
import { authenticate } from '../../src/services/users.ts';
import { findMembership } from '../../src/store/workspaces.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

const ASSET_VIDEO = readFileSync(join(import.meta.dirname, '../../assets/demo/demo-recording.webm'));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BIN = join(import.meta.dirname, '../../bin/userplane.js');

interface WireRecording {
  recordingId: string;
  createdAt: string;
  expiresAt: string | null;
  expired: boolean;
  status: string;
  recordingDurationMs: number;
  notes: string;
  systemMeta: Record<string, unknown>;
  customMeta: Record<string, unknown>;
  link: { linkId: string; linkTitle: string };
  project: { projectId: string; title: string };
  domain: { url: string; status: string };
  creator: { workspaceMemberId: string };
}

describe(`userplane demo [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 6, 15, 9, 30));
  let t: TestApp;
  let summary: DemoSummary;
  const progress: [number, number][] = [];
  const headers: Record<string, Record<string, string>> = {};
  let recordings: WireRecording[];

  const base = () => `/api/v1/public/workspace/${summary.workspaceId}`;
  const local = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };

  beforeAll(async () => {
    t = await createTestApp({ clock });
    summary = await runDemo(t.deps, {
      recordings: 5,
      seed: 'demo-test',
      onProgress: (d, n) => progress.push([d, n]),
    });
    for (const user of summary.users) {
      const { secret } = await createApiKey(t.deps, { userId: user.userId });
      headers[user.role] = { authorization: `Bearer ${secret}` };
    }
    const res = await t.request(`${base()}/recordings?per_page=20`, { headers: headers.member });
    recordings = (await res.json()).data.recordings;
  });
  afterAll(async () => t.close());

  it('creates an owner, an admin and a member who can sign in with the printed passwords', async () => {
    expect(summary.users.map((u) => u.role)).toEqual(['owner', 'admin', 'member']);
    for (const user of summary.users) {
      expect(user.email).toMatch(/^[a-z]+-[0-9a-f]{8}@example\.com$/);
      expect(user.password.length).toBeGreaterThanOrEqual(16);
      expect((await authenticate(t.deps, user.email, user.password))?.id).toBe(user.userId);
      expect((await findMembership(t.deps.db, user.userId, summary.workspaceId))?.member.role).toBe(
        user.role,
      );
    }
    // Only the hash is stored.
    const rows = await t.store.db.selectFrom('users').select('password_hash').execute();
    for (const user of summary.users) expect(JSON.stringify(rows)).not.toContain(user.password);
  });

  it('creates a verified app.example.com, three projects and links (reusable, single-use, Intercom, Zendesk)', async () => {
    const res = await t.request(`${base()}/links?per_page=20`, { headers: headers.member });
    expect(res.status).toBe(200);
    const links = (await res.json()).data.links as {
      linkReusable: boolean;
      linkProviderType: string | null;
      domain: { url: string; status: string };
    }[];
    expect(links.length).toBeGreaterThanOrEqual(4);
    expect(links.some((l) => l.linkReusable)).toBe(true);
    expect(links.some((l) => !l.linkReusable)).toBe(true);
    const providers = new Set(links.map((l) => l.linkProviderType));
    expect(providers).toContain('intercom');
    expect(providers).toContain('zendesk');
    expect(links.every((l) => l.domain.url === 'app.example.com' && l.domain.status === 'verified')).toBe(
      true,
    );
    expect(summary.projects.map((p) => p.title)).toEqual(['Default', 'Web App', 'Mobile Beta']);
  });

  it('creates N recordings over the last 30 days, newest first, reporting progress', async () => {
    expect(progress.at(-1)).toEqual([5, 5]);
    expect(recordings).toHaveLength(5);
    const times = recordings.map((r) => Date.parse(r.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    for (const r of recordings) {
      expect(Date.parse(r.createdAt)).toBeGreaterThanOrEqual(clock.now() - 30 * DAY_MS);
      expect(Date.parse(r.createdAt)).toBeLessThanOrEqual(clock.now());
      expect(r).toMatchObject({
        status: 'ready',
        recordingDurationMs: 15_000,
        domain: { url: 'app.example.com' },
      });
      expect(r.notes.length).toBeGreaterThan(10);
      expect(r.systemMeta).toMatchObject({ browser: expect.any(String), userAgent: expect.any(String) });
      expect(r.customMeta).toMatchObject({ ticketId: expect.any(Number) });
      // Retention comes from the project: only Mobile Beta has one (21 days).
      if (r.project.title === 'Mobile Beta') {
        expect(Date.parse(r.expiresAt!)).toBe(Date.parse(r.createdAt) + 21 * DAY_MS);
        expect(r.expired).toBe(Date.parse(r.expiresAt!) <= clock.now());
      } else {
        expect(r.expiresAt).toBeNull();
        expect(r.expired).toBe(false);
      }
    }
    // A single-use link never holds more than one recording.
    const perLink = new Map<string, number>();
    for (const r of recordings) perLink.set(r.link.linkId, (perLink.get(r.link.linkId) ?? 0) + 1);
    for (const link of summary.links.filter((l) => !l.reusable))
      expect(perLink.get(link.id) ?? 0).toBeLessThanOrEqual(1);
    expect(new Set(recordings.map((r) => r.link.linkId)).size).toBeGreaterThan(1);
  });

  it('serves the real WebM through a signed URL, with Range → 206', async () => {
    const live = recordings.filter((r) => !r.expired);
    expect(live.length).toBeGreaterThan(0);
    for (const r of live) {
      const res = await t.request(`${base()}/recordings/${r.recordingId}/video`, { headers: headers.admin });
      expect(res.status).toBe(200);
      const { resource } = (await res.json()).data;
      expect(resource).toMatchObject({ type: 'video/webm', size: ASSET_VIDEO.length, durationMs: 15_000 });
      const part = await t.request(local(resource.url), { headers: { range: 'bytes=0-1023' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-type')).toBe('video/webm');
      expect(part.headers.get('content-range')).toBe(`bytes 0-1023/${ASSET_VIDEO.length}`);
      expect(Buffer.from(await part.arrayBuffer())).toEqual(ASSET_VIDEO.subarray(0, 1024));
      const thumb = await t.request(`${base()}/recordings/${r.recordingId}/thumbnail`, {
        headers: headers.admin,
      });
      const thumbUrl = (await thumb.json()).data.resource.url;
      const png = Buffer.from(await (await t.request(local(thumbUrl))).arrayBuffer());
      expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    }
  });

  it('gives each recording its own valid logs, or none (url null) where capture was off', async () => {
    let withLogs = 0;
    let withoutLogs = 0;
    const consoles = new Set<string>();
    for (const r of recordings.filter((x) => !x.expired)) {
      const fetchKind = async (kind: string) => {
        const res = await t.request(`${base()}/recordings/${r.recordingId}/${kind}`, {
          headers: headers.owner,
        });
        expect(res.status).toBe(200);
        return (await res.json()).data.resource as { url: string | null; captureEnabled: boolean };
      };
      const consoleLog = await fetchKind('console-log');
      if (consoleLog.url === null) {
        withoutLogs++;
        expect(consoleLog.captureEnabled).toBe(false);
        expect((await fetchKind('network-log')).url).toBeNull();
        expect((await fetchKind('action')).url).toBeNull();
        continue;
      }
      withLogs++;
      const text = async (url: string | null) => (await t.request(local(url!))).text();
      const consoleText = await text(consoleLog.url);
      consoles.add(consoleText);
      const parsed = [
        parseConsoleNdjson(consoleText),
        parseNetworkLog(await text((await fetchKind('network-log')).url)),
        parseActionLog(await text((await fetchKind('action')).url)),
      ];
      for (const log of parsed) {
        expect(log.invalidLines).toEqual([]);
        expect(log.entries.length).toBeGreaterThanOrEqual(20);
        expect(log.entries.every((e) => e.ts >= 0 && e.ts <= 15_000)).toBe(true);
      }
    }
    // The seed is fixed, so both cases are known to occur.
    expect(withLogs).toBeGreaterThan(0);
    expect(withoutLogs).toBeGreaterThan(0);
    // Seeded per recording: no two recordings share a console log.
    expect(consoles.size).toBe(withLogs);
    expect(withLogs + withoutLogs).toBe(recordings.filter((x) => !x.expired).length);
  });

  it('an expired demo recording is reported as expired: metadata yes, files no', async () => {
    clock.advance(30 * DAY_MS);
    try {
      const expired = (
        await (await t.request(`${base()}/recordings?per_page=20`, { headers: headers.member })).json()
      ).data.recordings as WireRecording[];
      const mobile = expired.filter((r) => r.project.title === 'Mobile Beta');
      expect(mobile.length).toBeGreaterThan(0);
      for (const r of mobile) {
        expect(r.expired).toBe(true);
        for (const kind of RESOURCE_KINDS) {
          const res = await t.request(`${base()}/recordings/${r.recordingId}/${kind}`, {
            headers: headers.member,
          });
          expect(res.status).toBe(410);
          expect((await res.json()).error).toBe('RECORDING_EXPIRED');
        }
      }
    } finally {
      clock.advance(-30 * DAY_MS);
    }
  });

  it('the CLI prints the workspace id and sign-ins on stdout, progress on stderr', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'userplane-demo-cli-'));
    try {
      const env = {
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        USERPLANE_SECRET: 'demo-cli-secret-demo-cli-secret-0123456789',
        LOG_LEVEL: 'warn',
      };
      const ok = await run(['demo', '--recordings', '3'], env);
      expect(ok.code).toBe(0);
      const lines = ok.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^ws_[0-9a-z]{26}$/);
      for (const role of ['owner', 'admin', 'member']) {
        expect(ok.stdout).toMatch(new RegExp(`${role}\\s+\\S+@example\\.com\\s+\\S{16}`));
      }
      expect(ok.stderr).toContain('100% (3/3 recordings)');
      expect(ok.stdout).not.toContain('%');
      const bad = await run(['demo', '--recordings', '100001'], env);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('--recordings');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
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
