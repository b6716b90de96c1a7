import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
  sql,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { Database as DatabaseSetting } from '../config/index.ts';
import type { Logger } from '../lib/logger.ts';
import { type FaultReporter, faultReporter, faultTranslatingPool, isConnectionFault } from './db-faults.ts';
import { migrationProvider } from './migrations/index.ts';
import type { Database } from './schema.ts';

/**
 * The database itself (not a transaction): what `Deps.db` holds and `Store.db` opens. Services use
 * it only to hand to repositories and to open transactions (`.transaction().execute(...)`), so
 * this alias is the one name they need: neither `kysely` nor the row schema (schema.ts) has to be
 * imported outside store/.
 */
export type RootDb = Kysely<Database>;

/** A query handle: the database or an open transaction. Repositories accept either. */
export type Db = RootDb | Transaction<Database>;

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: RootDb;
  dialect: Dialect;
  close(): Promise<void>;
  /** Runs `hook` at the start of `close()`, before the connections end (background work stops first). */
  onClose?(hook: () => Promise<void> | void): void;
  /**
   * PostgreSQL only: LISTENs on `channel` over a dedicated connection (retrying every second after a
   * failure or a loss, reported to `onError`) and calls `onPayload` for each NOTIFY; resolves after
   * the first attempt to the function that stops it (`close()` stops it too).
   */
  listen?(
    channel: string,
    onPayload: (payload: string) => void,
    onError: (error: Error) => void,
  ): Promise<() => Promise<void>>;
}

/** The channel revokeGrant notifies on PostgreSQL; every /mcp process LISTENs on it (S20). */
export const GRANT_REVOKED_CHANNEL = 'userplane_grant_revoked';

/** Whether this handle talks to PostgreSQL (the adapter tells, also inside a transaction). */
export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

function closeHooks() {
  const hooks: Array<() => Promise<void> | void> = [];
  return {
    add: (hook: () => Promise<void> | void) => {
      hooks.push(hook);
    },
    run: async () => {
      for (const hook of hooks.splice(0)) await hook();
    },
  };
}

/**
 * A dedicated client for LISTEN: pooled connections are handed to other queries, which would miss
 * notifications or hold the pool's slot. Reconnects after a second when the connection is lost;
 * callers poll as well, so nothing is missed in the meantime.
 */
function listenOn(
  connection: pg.ClientConfig,
  channel: string,
  onPayload: (payload: string) => void,
  onError: (error: Error) => void,
  faults: FaultReporter,
): { ready: Promise<void>; stop: () => Promise<void> } {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  // Never rejects: a failed attempt is reported and retried a second later until stopped.
  const connect = async (): Promise<void> => {
    if (stopped) return;
    const next = new pg.Client(connection);
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload) onPayload(message.payload);
    });
    const lost = (error?: Error) => {
      if (client !== next) return;
      client = undefined;
      next.end().catch(() => {});
      // An outage is logged once by the fault reporter, not at every retry.
      if (error && isConnectionFault(error)) faults.fault(error);
      else if (error) onError(error);
      if (stopped) return;
      retry = setTimeout(() => void connect(), 1000);
      retry.unref();
    };
    next.on('error', lost);
    next.on('end', () => lost());
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      faults.recovered();
    } catch (error) {
      lost(error as Error);
    }
  };
  return {
    ready: connect(),
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}

// pg returns BIGINT (OID 20) as a string to avoid precision loss; our bigints are epoch ms and
// sizes, far below 2^53, so numbers are safe and keep both dialects returning the same types.
const pgTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 || oid === 1700) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

// Kysely prepares every query anew; better-sqlite3 statements are reusable, and the app issues a
// small, fixed set of SQL texts, so keeping prepared statements saves the parse on every request.
// Kysely runs each statement to completion (all/run) before the next, so sharing one is safe.
export const STATEMENT_CACHE_SIZE = 500;

/** better-sqlite3 with at most `maxStatements` prepared statements kept (the oldest go first). */
export function withStatementCache(sqlite: SqliteDatabase.Database, maxStatements = STATEMENT_CACHE_SIZE) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    /** How many prepared statements are kept (tests check the cap). */
    get size() {
      return cache.size;
    },
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (text: string) => {
      // Kysely opens transactions with a deferred `begin`: the transaction starts as a reader and
      // must upgrade to a writer at its first write, which SQLite refuses at once (SQLITE_BUSY, no
      // busy_timeout wait) when another connection — a CLI command beside `serve` — wrote meanwhile.
      // Our transactions exist to write, so they take the write lock up front and wait their turn.
      const sql = text === 'begin' ? 'begin immediate' : text;
      let statement = cache.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        // Oldest first out: a Map keeps insertion order.
        if (cache.size >= maxStatements) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

// Bounds on waiting for PostgreSQL, so no request hangs while it is unreachable: opening a connection
// (or waiting for a free one in the pool), and one query's round trip when the network swallows
// packets without an error. Our queries take milliseconds; the query bound is far above them.
export const CONNECT_TIMEOUT_MS = 3000;
export const QUERY_TIMEOUT_MS = 15_000;

/**
 * Opens the configured database. `schema` (PostgreSQL only) isolates tests in their own schema;
 * `log` receives one line when the database becomes unreachable and one when it is back.
 */
export function openStore(
  setting: DatabaseSetting,
  options: { schema?: string; poolSize?: number; log?: Logger } = {},
): Store {
  if (setting.kind === 'postgres') {
    const faults = faultReporter(options.log);
    const connection: pg.ClientConfig = {
      connectionString: setting.url,
      types: pgTypes,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // TCP keep-alive notices a peer that vanished without a word (a failover, a cut network).
      keepAlive: true,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    };
    const pool = new pg.Pool({ ...connection, query_timeout: QUERY_TIMEOUT_MS, max: options.poolSize ?? 10 });
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: faultTranslatingPool(pool, faults) }),
    });
    const hooks = closeHooks();
    return {
      db,
      dialect: 'postgres',
      close: async () => {
        await hooks.run();
        await db.destroy();
      },
      onClose: hooks.add,
      listen: async (channel, onPayload, onError) => {
        const { ready, stop } = listenOn(connection, channel, onPayload, onError, faults);
        hooks.add(stop);
        await ready;
        return stop;
      },
    };
  }
  if (setting.file !== ':memory:') mkdirSync(dirname(setting.file), { recursive: true });
  const sqlite = new SqliteDatabase(setting.file);
  // WAL lets readers run beside the writer. In WAL mode synchronous=NORMAL writes each commit to the
  // WAL without an fsync (the WAL is synced at checkpoints): a commit is in the OS's page cache once
  // it returns, so a killed or crashed process loses nothing, and only an OS crash or a power loss
  // can lose the last commits — never corrupt the database (sqlite.org/pragma.html#pragma_synchronous,
  // sqlite.org/wal.html). FULL fsyncs the WAL at every commit: one disk flush per OAuth write on the
  // event loop, which capped every write flow at the disk's flush rate. SQLITE_SYNCHRONOUS=full
  // brings it back for those who want every commit on disk (docs/operations.md).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${setting.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const hooks = closeHooks();
  return {
    db,
    dialect: 'sqlite',
    close: async () => {
      await hooks.run();
      await db.destroy();
    },
    onClose: hooks.add,
  };
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  // On PostgreSQL, keep Kysely's bookkeeping tables in the schema we migrate (the search_path's
  // first), so databases that hold several Userplane schemas do not see each other's.
  const schema = await currentSchema(db);
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The PostgreSQL schema unqualified names resolve to; undefined on SQLite. */
async function currentSchema(db: Kysely<Database>): Promise<string | undefined> {
  const adapter = db.getExecutor().adapter;
  if (!(adapter instanceof PostgresAdapter)) return undefined;
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return result.rows[0]?.schema;
}

/** Runs a quick round trip; used by /readyz. */
export async function ping(db: Kysely<Database>): Promise<void> {
  await db.selectNoFrom((eb) => eb.lit(1).as('one')).execute();
}
