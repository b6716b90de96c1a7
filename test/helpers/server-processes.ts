import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import type { Deps } from '../../src/services/deps.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.ts';
import { testDialect, testPostgresUrl } from './test-app.ts';

// Real `userplane serve` processes (the bin, as operators run it) on one database: a SQLite file
// in a temporary DATA_DIR, or a PostgreSQL schema of their own that every process shares.

const BIN = join(import.meta.dirname, '../../bin/userplane.js');
const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ServerProcesses {
  /** Each process's own base URL (`http://127.0.0.1:<port>`); requests can go to any of them. */
  urls: string[];
  /** The PUBLIC_URL every process shares (the first process's URL): the issuer. */
  publicUrl: string;
  /** The environment the processes run with (DATA_DIR, DATABASE_URL, USERPLANE_SECRET, …). */
  env: Record<string, string>;
  /** Runs a CLI command of the bin against the same database. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A direct connection to the same database, for assertions on rows. */
  openStore(): Store;
  /**
   * Runs `fn` with the services on the same database (migrated first), in this process; faster
   * than the CLI, whose every run starts Node and compiles the sources.
   */
  withDeps<T>(fn: (deps: Deps) => Promise<T>): Promise<T>;
  /** What process `index` printed so far (stdout and stderr). */
  output(index: number): string;
  /** Whether process `index` is still running. */
  alive(index: number): boolean;
  /** SIGKILLs process `index` (no shutdown of any kind, as a crash or an OOM kill) and waits until it is gone. */
  kill(index: number): Promise<void>;
  /** Starts process `index` again on its port (after `kill`), with `env` over its settings; waits until it is ready. */
  restart(index: number, env?: Record<string, string>): Promise<void>;
  /** SIGTERMs every process (SIGKILL after a grace period), then drops the schema and DATA_DIR. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function runBin(
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

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited(child);
  clearTimeout(timer);
}

/** Waits until the process prints its "running at" line or answers /readyz; throws with its output otherwise. */
async function waitUntilReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`userplane serve exited (${child.exitCode ?? child.signalCode}): ${output()}`);
    }
    if (output().includes('running at')) return;
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`userplane serve did not start within ${STARTUP_TIMEOUT_MS} ms: ${output()}`);
}

/**
 * Starts `count` server processes on one database, one after another: the first migrates the
 * database (unless `beforeStart` did) and creates the first signing key, the others find both. `beforeStart` runs once the
 * database exists and before any server starts (e.g. to create users with the CLI). If anything
 * fails, whatever was started is stopped before the error is thrown.
 */
export async function startServerProcesses(
  count: number,
  options: {
    env?: Record<string, string>;
    beforeStart?: (processes: Pick<ServerProcesses, 'cli' | 'env' | 'withDeps'>) => Promise<unknown>;
    /** Settings for one process only, over the shared ones (e.g. a DATABASE_URL through a proxy). */
    envFor?: (index: number, env: Record<string, string>) => Record<string, string>;
  } = {},
): Promise<ServerProcesses> {
  const dataDir = mkdtempSync(join(tmpdir(), 'userplane-procs-'));
  const schema = `procs_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const publicUrl = urls[0]!;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    USERPLANE_SECRET: 'procs-secret-procs-secret-procs-secret-0123456789',
    PUBLIC_URL: publicUrl,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SIGNIN_RATE_LIMIT_PER_MINUTE: '1000',
    ...options.env,
  };
  if (testDialect === 'postgres') {
    env.DATABASE_URL = `${testPostgresUrl}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  }
  const children: ChildProcess[] = [];
  const outputs: string[] = [];

  const dropDatabase = async () => {
    if (testDialect === 'postgres') {
      const admin = openStore({ kind: 'postgres', url: testPostgresUrl }, { poolSize: 1 });
      try {
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
      } finally {
        await admin.close();
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  // Should the test worker itself exit without running afterAll, no server outlives it.
  const killLeftovers = () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killLeftovers);
  const stop = async () => {
    process.off('exit', killLeftovers);
    await Promise.all(children.map(stopChild));
    await dropDatabase();
  };
  const cli = (args: string[]) => runBin(args, env);
  const openSameStore = () =>
    testDialect === 'postgres'
      ? openStore({ kind: 'postgres', url: testPostgresUrl }, { schema, poolSize: 2 })
      : openStore({ kind: 'sqlite', file: join(dataDir, 'userplane.db') });
  const withDeps = async <T>(fn: (deps: Deps) => Promise<T>): Promise<T> => {
    const store = openSameStore();
    try {
      await migrateToLatest(store.db);
      const { deps } = buildApp({ config: loadConfig(env), store, log: silentLogger() });
      return await fn(deps);
    } finally {
      await store.close();
    }
  };

  const launch = async (index: number, extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, ...env, ...options.envFor?.(index, env), ...extra, PORT: String(ports[index]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children[index] = child;
    outputs[index] = outputs[index] ?? '';
    // A restarted process is ready when IT says so, not because its predecessor did.
    const start = outputs[index].length;
    child.stdout?.on('data', (d) => {
      outputs[index] += d;
    });
    child.stderr?.on('data', (d) => {
      outputs[index] += d;
    });
    await waitUntilReady(child, urls[index]!, () => outputs[index]!.slice(start));
  };

  try {
    if (testDialect === 'postgres') {
      const admin = openStore({ kind: 'postgres', url: testPostgresUrl }, { poolSize: 1 });
      try {
        await sql`create schema ${sql.id(schema)}`.execute(admin.db);
      } finally {
        await admin.close();
      }
    }
    await options.beforeStart?.({ cli, env, withDeps });
    for (const index of ports.keys()) await launch(index);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    urls,
    publicUrl,
    env,
    cli,
    openStore: openSameStore,
    withDeps,
    output: (index) => outputs[index] ?? '',
    alive: (index) => {
      const child = children[index];
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill: async (index) => {
      const child = children[index];
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    restart: (index, extra) => launch(index, extra),
    stop,
  };
}
