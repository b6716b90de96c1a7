import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config/index.ts';
import { openStore } from '../src/store/db.ts';
import { CONNECTIONS, type Measurement, measureHttp, measureLoop } from './measure.ts';
import {
  type AuthorizedClient,
  authorizationRequest,
  authorizeNewClient,
  BENCH_REDIRECT_URI,
  exchangeCode,
  FormsBrowser,
  refreshTokens,
  registrationBody,
} from './oauth-client.ts';
import { type Child, freePort, ROOT, rssBytes, startBaseline, startUserplane } from './processes.ts';
import {
  BENCH_USER,
  benchStoreOpener,
  type OpenBenchStore,
  type SeededWorkspace,
  seedManyRecordings,
  seedRecordings,
  seedUser,
  seedWorkspace,
} from './seed.ts';
import { benchUploads, printUploads, UPLOAD_KEYS, type UploadResults, uploadChecks } from './upload.ts';

// `npm run bench`: the server as a child process on loopback, seeded directly in its database,
// measured against a bare node:http server in the same run. See bench/README.md.

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    db: { type: 'string', default: 'all' },
    small: { type: 'string', default: '10000' },
    big: { type: 'string', default: '1000000' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const SECONDS = Number(flags.duration);
const SMALL = Number(flags.small);
const BIG = Number(flags.big);
const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
const LIFTED = '1000000000';
const MB = 1024 * 1024;
// The floors of issue 11 (bench/README.md): ratios to the baseline's ops/s, measured in the same run.
const RSS_LIMIT = 150 * MB;
/** CPU time per userplane_get_profile call, in ms: steadier than ops/s on a shared machine. */
const PROFILE_CPU_LIMIT_MS = 0.25;
/** list_recordings' p50 at BIG recordings may be at most this many times its p50 at SMALL. */
const BIG_LIST_P50_FACTOR = 1.5;
/** `--only get_profile,refresh`: run just these scenarios (and the baseline). */
const ONLY = flags.only ? new Set(['baseline', ...flags.only.split(',')]) : undefined;
const selected = (key: string) => !ONLY || ONLY.has(key);

interface Row {
  key: string;
  label: string;
  m?: Measurement;
  /** Minimum ratio to the baseline's ops/s. */
  target?: number;
  /** Maximum server CPU time per operation, in ms. */
  cpuTarget?: number;
  note?: string;
}

interface Check {
  name: string;
  pass: boolean;
  detail: string;
}

interface Section {
  database: string;
  rows: Row[];
  checks: Check[];
  uploads?: UploadResults;
}

const log = (line: string) => console.log(line);

function mcpHeaders(token: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    authorization: `Bearer ${token}`,
  };
}

function toolCall(name: string, args: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });
}

/** The JSON-RPC message of an MCP answer, whether sent as JSON or as one SSE event. */
function mcpMessage(
  text: string,
  contentType: string | null,
): { result?: Record<string, unknown>; error?: unknown } {
  if (contentType?.includes('text/event-stream')) {
    const data = text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .join('');
    return JSON.parse(data);
  }
  return JSON.parse(text);
}

/** One call checked by hand before it is put under load, so the bench never measures errors. */
async function preflight(url: string, token: string, body: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: mcpHeaders(token), body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} from ${url}: ${text.slice(0, 300)}`);
  const message = mcpMessage(text, res.headers.get('content-type'));
  const result = message.result;
  if (!result || result.isError) throw new Error(`tool call failed: ${text.slice(0, 300)}`);
  return (result.structuredContent as Record<string, unknown> | undefined) ?? {};
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function progressLine(label: string, done: number, total: number, started: number) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\r  ${label}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${seconds} s)`,
  );
  if (done >= total) process.stdout.write('\n');
}

/** A token that parses and names a real key but whose signature is wrong: full verification work. */
function forgedToken(real: string): string {
  const [header, payload] = real.split('.');
  return `${header}.${payload}.${randomBytes(64).toString('base64url')}`;
}

async function benchDatabase(kind: 'sqlite' | 'postgres'): Promise<Section> {
  const section: Section = { database: kind === 'sqlite' ? 'SQLite' : 'PostgreSQL', rows: [], checks: [] };
  log(`\n=== ${section.database} ===`);
  const dataDir = mkdtempSync(join(tmpdir(), 'userplane-bench-'));
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    DATA_DIR: dataDir,
    USERPLANE_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    // The bench setting: rate limits lifted, so the bench measures work rather than refusals.
    API_RATE_LIMIT_PER_MINUTE: LIFTED,
    API_RATE_LIMIT_PER_DAY: LIFTED,
    DCR_RATE_LIMIT_PER_MINUTE: LIFTED,
    DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: LIFTED,
    SIGNIN_RATE_LIMIT_PER_MINUTE: LIFTED,
  };
  let open: OpenBenchStore;
  let bulkTarget: Parameters<typeof seedManyRecordings>[0];
  if (kind === 'postgres') {
    const admin = openStore({ kind: 'postgres', url: POSTGRES_URL }, { poolSize: 1 });
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    await admin.close();
    env.DATABASE_URL = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    open = benchStoreOpener({ kind: 'postgres', url: POSTGRES_URL, schema });
    bulkTarget = { kind: 'postgres', open };
  } else {
    const file = join(dataDir, 'userplane.db');
    open = benchStoreOpener({ kind: 'sqlite', file });
    bulkTarget = { kind: 'sqlite', file };
  }
  const config = loadConfig(env);
  let server: Child | undefined;
  let baseline: Child | undefined;
  try {
    // Seed before the server starts: user, workspace, verified domain, link, recordings.
    let started = performance.now();
    const userId = await seedUser(open, config);
    const small = await seedWorkspace(open, config, userId, 'Bench small');
    await seedRecordings(open, small, SMALL);
    log(
      `  seeded ${SMALL.toLocaleString('en')} recordings in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const profileArgs = flags.profile
      ? ['--cpu-prof', '--cpu-prof-dir', join(ROOT, 'bench/results/profiles', `${kind}-${Date.now()}`)]
      : [];
    server = await startUserplane(env, profileArgs);
    baseline = await startBaseline();
    log(`  server pid ${server.pid} at ${base}; baseline pid ${baseline.pid}`);

    // A token through the real OAuth flow: DCR → authorize (sign-in and consent forms) → token.
    const browser = new FormsBrowser(base, BENCH_USER);
    const main = await authorizeNewClient(base, BENCH_USER, browser);
    const token = main.tokens.access_token;
    const mcpUrl = `${base}/mcp`;
    const profileBody = toolCall('userplane_get_profile', {});
    const listBody = (ws: SeededWorkspace) =>
      toolCall('userplane_list_recordings', { workspaceId: ws.workspaceId, per_page: 10 });

    const measure = async (row: Row, fn: () => Promise<Measurement>) => {
      if (!selected(row.key)) return;
      process.stdout.write(`  ${row.label} …`);
      try {
        row.m = await fn();
        process.stdout.write(` ${Math.round(row.m.opsPerSec)} ops/s\n`);
      } catch (error) {
        row.note = error instanceof Error ? error.message.slice(0, 200) : String(error);
        process.stdout.write(` skipped: ${row.note}\n`);
      }
      section.rows.push(row);
    };

    // (a) the baseline
    await measure({ key: 'baseline', label: 'baseline: bare node:http' }, () =>
      measureHttp(
        {
          url: baseline!.url,
          method: 'POST',
          headers: mcpHeaders(token),
          body: profileBody,
          expectStatus: 200,
        },
        SECONDS,
        baseline!.pid,
      ),
    );

    // (b) (c) authenticated tool calls
    await measure(
      {
        key: 'get_profile',
        label: 'tools/call userplane_get_profile',
        target: 0.2,
        cpuTarget: PROFILE_CPU_LIMIT_MS,
      },
      async () => {
        await preflight(mcpUrl, token, profileBody);
        return await measureHttp(
          { url: mcpUrl, method: 'POST', headers: mcpHeaders(token), body: profileBody, expectStatus: 200 },
          SECONDS,
          server!.pid,
        );
      },
    );
    await measure(
      {
        key: 'list_recordings',
        label: `tools/call userplane_list_recordings (${short(SMALL)})`,
        target: 0.12,
      },
      async () => {
        const listed = await preflight(mcpUrl, token, listBody(small));
        const total = listed.total ?? (listed.pagination as { total?: number } | undefined)?.total;
        if (total !== undefined && total !== SMALL)
          throw new Error(`listed total ${total}, expected ${SMALL}`);
        return await measureHttp(
          {
            url: mcpUrl,
            method: 'POST',
            headers: mcpHeaders(token),
            body: listBody(small),
            expectStatus: 200,
          },
          SECONDS,
          server!.pid,
        );
      },
    );

    // (d) invalid tokens: an opaque string, and a well-formed token with a forged signature
    await measure({ key: 'invalid_token', label: 'tools/call, invalid token (401)', target: 0.4 }, () =>
      measureHttp(
        {
          url: mcpUrl,
          method: 'POST',
          headers: mcpHeaders(randomBytes(32).toString('base64url')),
          body: profileBody,
          expectStatus: 401,
        },
        SECONDS,
        server!.pid,
      ),
    );
    await measure(
      { key: 'forged_token', label: 'tools/call, forged signature (401)', note: 'informational' },
      () =>
        measureHttp(
          {
            url: mcpUrl,
            method: 'POST',
            headers: mcpHeaders(forgedToken(token)),
            body: profileBody,
            expectStatus: 401,
          },
          SECONDS,
          server!.pid,
        ),
    );

    // (e) refresh grants, each rotating: one client (and grant) per worker, each using its newest token
    await measure({ key: 'refresh', label: 'refresh grant (rotating)', target: 0.06 }, async () => {
      const chains: AuthorizedClient[] = [];
      for (let i = 0; i < CONNECTIONS; i++) chains.push(await authorizeNewClient(base, BENCH_USER, browser));
      return await measureLoop(
        async (worker) => {
          const chain = chains[worker]!;
          chain.tokens = await refreshTokens(base, chain.clientId, chain.tokens.refresh_token);
        },
        SECONDS,
        server!.pid,
      );
    });

    // (f) full authorization flows of a signed-in user who already consented: authorize → 302 → token
    await measure(
      { key: 'authorization', label: 'authorization flow (signed in)', target: 0.04 },
      async () => {
        const cookie = browser.jar.header();
        return await measureLoop(
          async () => {
            const request = authorizationRequest(base, main.clientId);
            const res = await fetch(request.url, {
              headers: { cookie, accept: 'text/html' },
              redirect: 'manual',
            });
            await res.body?.cancel();
            const location = res.headers.get('location') ?? '';
            if (res.status !== 302 || !location.startsWith(BENCH_REDIRECT_URI)) {
              throw new Error(`authorize answered ${res.status} ${location}`);
            }
            await exchangeCode(base, main.clientId, new URL(location), request.verifier);
          },
          SECONDS,
          server!.pid,
        );
      },
    );

    // (g) dynamic client registrations
    await measure({ key: 'dcr', label: 'DCR registration', target: 0.12 }, () =>
      measureHttp(
        {
          url: `${base}/register`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(registrationBody()),
          expectStatus: 201,
        },
        SECONDS,
        server!.pid,
      ),
    );

    // (h) the recorder's resumable upload (bench/upload.ts), on the seeded reusable link
    if (UPLOAD_KEYS.some(selected)) {
      section.uploads = await benchUploads({
        base,
        pid: server.pid,
        linkId: small.linkId,
        dataDir,
        selected,
        progress: progressLine,
        log,
      });
    }

    // (i) list_recordings in a second workspace of BIG recordings. The server is stopped while
    // they are written (a writer racing the server's own writes on SQLite would just wait on
    // locks) and started again on the same database; the token stays valid across the restart.
    if (selected('list_recordings_big')) {
      await server.stop();
      started = performance.now();
      const big = await seedWorkspace(open, config, userId, 'Bench big');
      await seedManyRecordings(bulkTarget, big, BIG, (done) =>
        progressLine(`seeding ${short(BIG)} recordings`, done, BIG, started),
      );
      server = await startUserplane(env, profileArgs);
      await measure(
        {
          key: 'list_recordings_big',
          label: `tools/call userplane_list_recordings (${short(BIG)})`,
          target: 0.12,
        },
        async () => {
          await preflight(mcpUrl, token, listBody(big));
          return await measureHttp(
            {
              url: mcpUrl,
              method: 'POST',
              headers: mcpHeaders(token),
              body: listBody(big),
              expectStatus: 200,
            },
            SECONDS,
            server!.pid,
          );
        },
      );
    }
    section.checks = checks(section.rows, server.pid, section.uploads);
  } finally {
    await baseline?.stop();
    await server?.stop();
    if (kind === 'postgres') {
      const admin = openStore({ kind: 'postgres', url: POSTGRES_URL }, { poolSize: 1 });
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      await admin.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return section;
}

function short(n: number): string {
  return n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n);
}

function checks(rows: Row[], serverPid: number, uploads?: UploadResults): Check[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const baseline = byKey.get('baseline')?.m;
  const out: Check[] = [];
  for (const row of rows) {
    if (row.cpuTarget !== undefined) {
      const cpu = row.m?.cpuPerOp ?? Number.NaN;
      out.push({
        name: `${row.key} CPU ≤ ${row.cpuTarget.toFixed(2)} ms/op`,
        pass: cpu <= row.cpuTarget && (row.m?.unexpected ?? 1) === 0,
        detail: Number.isNaN(cpu) ? (row.note ?? 'not measured') : `${cpu.toFixed(3)} ms/op`,
      });
    }
    if (row.target === undefined) continue;
    const ratio = baseline && row.m ? row.m.opsPerSec / baseline.opsPerSec : Number.NaN;
    out.push({
      name: `${row.key} ≥ ${row.target.toFixed(2)} × baseline`,
      pass: ratio >= row.target && (row.m?.unexpected ?? 1) === 0,
      detail: Number.isNaN(ratio)
        ? (row.note ?? 'not measured')
        : `${ratio.toFixed(3)}${row.m?.unexpected ? `, ${row.m.unexpected} unexpected answers` : ''}`,
    });
  }
  const smallList = byKey.get('list_recordings')?.m;
  const bigList = byKey.get('list_recordings_big')?.m;
  // With --only, checks of scenarios that were not selected are left out rather than reported as misses.
  if (selected('list_recordings') && selected('list_recordings_big'))
    out.push({
      name: `list p50 at ${short(BIG)} ≤ ${BIG_LIST_P50_FACTOR} × p50 at ${short(SMALL)}`,
      pass: !!smallList && !!bigList && bigList.p50 <= BIG_LIST_P50_FACTOR * smallList.p50,
      detail:
        smallList && bigList
          ? `${bigList.p50.toFixed(2)} ms vs ${smallList.p50.toFixed(2)} ms (${(bigList.p50 / smallList.p50).toFixed(2)}×)`
          : 'not measured',
    });
  const peak = Math.max(0, ...rows.filter((r) => r.key !== 'baseline').map((r) => r.m?.rssPeak ?? 0));
  if (peak > 0 || !ONLY)
    out.push({
      name: `server RSS under load ≤ ${RSS_LIMIT / MB} MB`,
      pass: peak > 0 && peak <= RSS_LIMIT,
      detail: `peak ${(peak / MB).toFixed(0)} MB (now ${(rssBytes(serverPid) / MB).toFixed(0)} MB)`,
    });
  out.push(...uploadChecks(uploads));
  return out;
}

function printSection(section: Section) {
  const baseline = section.rows.find((r) => r.key === 'baseline')?.m;
  const header = ['scenario', 'ops/s', 'p50 ms', 'p99 ms', 'ratio', 'RSS MB', 'CPU ms/op', 'target'];
  const lines = section.rows.map((row) => {
    const m = row.m;
    const ratio =
      m && baseline && row.key !== 'baseline' ? (m.opsPerSec / baseline.opsPerSec).toFixed(3) : '';
    return [
      row.label,
      m ? String(Math.round(m.opsPerSec)) : 'n/a',
      m ? m.p50.toFixed(2) : '',
      m ? m.p99.toFixed(2) : '',
      ratio,
      m?.rssPeak ? (m.rssPeak / MB).toFixed(0) : '',
      m && Number.isFinite(m.cpuPerOp) ? m.cpuPerOp.toFixed(3) : '',
      [
        row.target !== undefined ? `≥ ${row.target.toFixed(2)}` : '',
        row.cpuTarget !== undefined ? `CPU ≤ ${row.cpuTarget.toFixed(2)} ms` : '',
      ]
        .filter(Boolean)
        .join(', '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  log(`\n${section.database}: ${CONNECTIONS} connections, ${SECONDS} s per scenario`);
  log(fmt(header));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) log(fmt(line));
  for (const row of section.rows) if (row.note && !row.m) log(`  ${row.label}: ${row.note}`);
  printUploads(section.uploads, log);
  log('');
  for (const check of section.checks)
    log(`  ${check.pass ? 'PASS' : 'MISS'}  ${check.name}: ${check.detail}`);
}

async function main() {
  const kinds: ('sqlite' | 'postgres')[] = [];
  if (flags.db === 'all' || flags.db === 'sqlite') kinds.push('sqlite');
  if (flags.db === 'all' || flags.db === 'postgres') {
    if (await postgresReachable()) kinds.push('postgres');
    else log(`PostgreSQL at ${POSTGRES_URL.replace(/\/\/[^@]*@/, '//')} is not reachable; SQLite only`);
  }
  const startedAt = new Date();
  log(`Userplane bench: node ${process.version}, ${cpus().length} CPUs, ${SECONDS} s per scenario`);
  const sections: Section[] = [];
  for (const kind of kinds) sections.push(await benchDatabase(kind));
  for (const section of sections) printSection(section);
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        seconds: (Date.now() - startedAt.getTime()) / 1000,
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        connections: CONNECTIONS,
        secondsPerScenario: SECONDS,
        recordings: { small: SMALL, big: BIG },
        sections,
      },
      null,
      2,
    )}\n`,
  );
  log(`\nresults: ${file} (${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s)`);
  const missed = sections.flatMap((s) => s.checks).filter((c) => !c.pass).length;
  if (missed) log(`${missed} target(s) missed`);
}

await main();
