import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type BuiltApp, buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { type Clock, systemClock } from '../../src/lib/clock.ts';
import { type Logger, silentLogger } from '../../src/lib/logger.ts';
import type { Deps } from '../../src/services/deps.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.ts';

/** Which database this test run uses: `TEST_DATABASE=postgres` or the SQLite default. */
export const testDialect: 'sqlite' | 'postgres' =
  process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
export const testPostgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestApp extends BuiltApp {
  config: Readonly<Config>;
  store: Store;
  /** Sends a request to the in-process app. */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** A fresh real database (SQLite file or a PostgreSQL schema of its own), migrated. */
export async function openTestStore(
  dataDir: string,
): Promise<{ store: Store; database: Config['database']; drop(): Promise<void> }> {
  if (testDialect === 'postgres') {
    const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = openStore({ kind: 'postgres', url: testPostgresUrl }, { poolSize: 1 });
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    const store = openStore({ kind: 'postgres', url: testPostgresUrl }, { schema });
    await migrateToLatest(store.db);
    return {
      store,
      database: { kind: 'postgres', url: testPostgresUrl },
      drop: async () => {
        await sql`drop schema ${sql.id(schema)} cascade`.execute(admin.db);
        await admin.close();
      },
    };
  }
  const file = join(dataDir, 'test.db');
  const store = openStore({ kind: 'sqlite', file });
  await migrateToLatest(store.db);
  return { store, database: { kind: 'sqlite', file }, drop: async () => {} };
}

/** The real app on a real database in a temporary DATA_DIR; only the outside world is replaced. */
export async function createTestApp(
  options: {
    clock?: Clock;
    env?: Record<string, string>;
    verifyDomain?: Deps['verifyDomain'];
    /** Serves Client ID Metadata Documents without the internet (the only mocked part of CIMD). */
    fetchMetadataDocument?: Deps['fetchMetadataDocument'];
    /** Receives the app's log lines (silent by default). */
    log?: Logger;
  } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'userplane-test-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    USERPLANE_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    PUBLIC_URL: 'http://localhost:3000',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const { store, database, drop } = await openTestStore(dataDir);
  const built = buildApp({
    config: { ...config, database },
    store,
    log: options.log ?? silentLogger(),
    clock: options.clock ?? systemClock,
    ...(options.verifyDomain ? { verifyDomain: options.verifyDomain } : {}),
    ...(options.fetchMetadataDocument ? { fetchMetadataDocument: options.fetchMetadataDocument } : {}),
  });
  return {
    ...built,
    config,
    store,
    request: async (path, init) => built.app.request(path, init),
    close: async () => {
      // A pooled SMTP connection would otherwise keep the test's SMTP server from closing.
      built.deps.mailer?.close();
      await store.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
