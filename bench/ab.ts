// A/B harness (scratch, not committed): several source trees' servers run side by side on the same
// machine, loaded in alternating short bursts, so contention from other work hits all alike.
// usage: node --import tsx /tmp/w11/ab.ts <scenario> <db> <treeA> <treeB> ...
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';

const [scenario = 'get_profile', db = 'sqlite', ...given] = process.argv.slice(2);
const trees = given.map((tree) => resolve(tree));
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const BURST = Number(process.env.BURST ?? 2);
const PG = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
function cpuMs(pid: number) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
function rss(pid: number) {
  const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

interface Srv {
  tree: string;
  pid: number;
  url: string;
  body: string;
  headers: Record<string, string>;
  expect: number;
  ops: number;
  cpu: number;
  secs: number;
  rssPeak: number;
  kill(): Promise<void>;
}

// Should this script die on an exception, no server outlives it.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function setup(tree: string, i: number): Promise<Srv> {
  const seed = await import(join(tree, 'bench/seed.ts'));
  const oauth = await import(join(tree, 'bench/oauth-client.ts'));
  const { loadConfig } = await import(join(tree, 'src/config/index.ts'));
  const dataDir = mkdtempSync(join(tmpdir(), 'ab-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    DATA_DIR: dataDir,
    USERPLANE_SECRET: 'bench-secret-bench-secret-bench-secret-0123456789',
    LOG_LEVEL: 'warn',
    API_RATE_LIMIT_PER_MINUTE: '1000000000',
    API_RATE_LIMIT_PER_DAY: '1000000000',
    DCR_RATE_LIMIT_PER_MINUTE: '1000000000',
    DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000000000',
    SIGNIN_RATE_LIMIT_PER_MINUTE: '1000000000',
  };
  let open: unknown;
  let schema: string | undefined;
  if (db === 'postgres') {
    schema = `ab_${i}_${randomBytes(3).toString('hex')}`;
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
    env.DATABASE_URL = `${PG}${PG.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    open = seed.benchStoreOpener({ kind: 'postgres', url: PG, schema });
  } else {
    open = seed.benchStoreOpener({ kind: 'sqlite', file: join(dataDir, 'userplane.db') });
  }
  const config = loadConfig(env);
  const userId = await seed.seedUser(open, config);
  const ws = await seed.seedWorkspace(open, config, userId, 'Bench small');
  await seed.seedRecordings(open, ws, 10_000);
  const child = spawn(
    process.execPath,
    [...(process.env.NODEARGS?.split(' ') ?? []).filter(Boolean), join(tree, 'bin/userplane.js'), 'serve'],
    {
      cwd: tree,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  children.add(child);
  for (;;) {
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  const { tokens } = await oauth.authorizeNewClient(base, seed.BENCH_USER);
  const token = scenario === 'invalid_token' ? randomBytes(32).toString('base64url') : tokens.access_token;
  const args =
    scenario === 'list_recordings'
      ? { name: 'userplane_list_recordings', arguments: { workspaceId: ws.workspaceId, per_page: 10 } }
      : scenario === 'list_links'
        ? { name: 'userplane_list_links', arguments: { workspaceId: ws.workspaceId, per_page: 10 } }
        : { name: 'userplane_get_profile', arguments: {} };
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: args });
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-06-18',
    authorization: `Bearer ${token}`,
  };
  const check = await fetch(`${base}/mcp`, { method: 'POST', headers, body });
  const text = await check.text();
  const expect = scenario === 'invalid_token' ? 401 : 200;
  if (check.status !== expect || (expect === 200 && text.includes('"isError":true')))
    throw new Error(`${tree}: ${check.status} ${text.slice(0, 300)}`);
  if (process.env.SHOW) console.log(tree, check.status, [...check.headers].join(' | '), text.slice(0, 400));
  return {
    tree,
    pid: child.pid!,
    url: `${base}/mcp`,
    body,
    headers,
    expect,
    ops: 0,
    cpu: 0,
    secs: 0,
    rssPeak: 0,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      if (schema) {
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: PG });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function burst(s: Srv, seconds: number, count: boolean) {
  let ok = 0;
  let bad = 0;
  const before = cpuMs(s.pid);
  const t0 = performance.now();
  const inst = autocannon({
    url: s.url,
    method: 'POST',
    headers: s.headers,
    body: s.body,
    connections: 10,
    duration: seconds,
  });
  inst.on('response', (_c: unknown, status: number) => {
    if (status === s.expect) ok++;
    else bad++;
  });
  const result = await inst;
  const secs = (performance.now() - t0) / 1000;
  if (count) {
    s.ops += ok;
    s.cpu += cpuMs(s.pid) - before;
    s.secs += secs;
    s.rssPeak = Math.max(s.rssPeak, rss(s.pid));
    if (bad || result.errors) console.log(`  ${s.tree}: ${bad} unexpected, ${result.errors} errors`);
  }
}

const servers: Srv[] = [];
try {
  for (const [i, t] of trees.entries()) servers.push(await setup(t, i));
  for (const s of servers) await burst(s, 1, false);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...servers].reverse() : servers;
    for (const s of order) await burst(s, BURST, true);
  }
  console.log(
    `${scenario} on ${db}, ${ROUNDS} × ${BURST} s each, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
  );
  for (const s of servers)
    console.log(
      `  ${s.tree.padEnd(20)} ${(s.ops / s.secs).toFixed(0).padStart(6)} ops/s  ${(s.cpu / s.ops).toFixed(3)} CPU ms/op  rss ${s.rssPeak.toFixed(0)} MB`,
    );
} finally {
  for (const s of servers) await s.kill();
}
