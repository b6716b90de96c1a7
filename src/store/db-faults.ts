import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { DatabaseUnavailableError } from '../domain/errors.ts';
import type { Logger } from '../lib/logger.ts';

// What the server does when PostgreSQL goes away (a failover, a proxy restart, an administrator's
// pg_terminate_backend): the driver's connection errors become DatabaseUnavailableError, which
// every surface answers with a 503-class reply; the pool drops broken connections and opens new
// ones on the next request, so the server recovers by itself. The outage is logged once when it
// starts and once when it ends, not once per failed request.

// Node's socket errors and PostgreSQL's SQLSTATEs that mean "the connection, not the query, failed":
// class 08 (connection exception), 57P01–57P03 (administrator/crash shutdown, cannot connect now),
// 53300 (too many connections).
const FAULT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
// node-postgres reports some losses by message only.
const FAULT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|is not queryable|Query read timeout|connection timeout/i;

/** Whether a driver error means the database could not be reached (rather than a bad query). */
export function isConnectionFault(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (FAULT_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  // A connect to a name with several addresses fails with all of them.
  if (error instanceof AggregateError) return error.errors.some(isConnectionFault);
  return FAULT_MESSAGES.test(error.message);
}

export interface FaultReporter {
  /** Logs the first fault of an outage (later ones are counted, not logged). */
  fault(error: unknown): void;
  /** A query succeeded: logs the end of an outage, if one was going on. */
  recovered(): void;
  /** Whether the last thing heard from the database was a fault. */
  readonly down: boolean;
}

/** Faults closer together than this belong to one outage (one log line). */
const BURST_GAP_MS = 10_000;
/** While an outage goes on, a reminder this often, so the last line never says "back" while it is not. */
const REMINDER_MS = 30_000;

/**
 * One log line when the database becomes unreachable and one when it is back. A failover often
 * drops connections one after another with successes in between: faults within BURST_GAP_MS of
 * the previous one count as the same outage.
 */
export function faultReporter(log: Logger | undefined): FaultReporter {
  let down = false;
  let lastFaultAt = Number.NEGATIVE_INFINITY;
  let lastLoggedAt = 0;
  let burstStartedAt = 0;
  let failures = 0;
  let recoveryLogged = false;
  return {
    fault(error) {
      const now = Date.now();
      const cause = error instanceof DatabaseUnavailableError ? error.cause : error;
      if (now - lastFaultAt >= BURST_GAP_MS) {
        burstStartedAt = now;
        failures = 0;
        recoveryLogged = false;
        lastLoggedAt = now;
        log?.error(
          { err: describe(cause) },
          'database unreachable: requests that need it answer 503 until it is back',
        );
      } else if (down && now - lastLoggedAt >= REMINDER_MS) {
        lastLoggedAt = now;
        log?.error(
          { err: describe(cause), failures, outageMs: now - burstStartedAt },
          'database still unreachable',
        );
      }
      failures++;
      lastFaultAt = now;
      down = true;
    },
    recovered() {
      if (!down) return;
      down = false;
      if (recoveryLogged) return;
      recoveryLogged = true;
      log?.info({ outageMs: Date.now() - burstStartedAt, failures }, 'database reachable again');
    },
    get down() {
      return down;
    },
  };
}

// Connection errors carry no secrets, but their stacks are noise here: the code and message say it.
function describe(error: unknown): { message: string; code?: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** Turns a driver error into DatabaseUnavailableError when the connection failed; others pass. */
export function translateFault(error: unknown, faults: FaultReporter): unknown {
  if (!isConnectionFault(error)) return error;
  faults.fault(error);
  return error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error);
}

/**
 * The pool Kysely sees: the same connections, with connection faults translated and recoveries
 * noticed. One wrapper per pg client, so Kysely's per-client bookkeeping still finds it.
 */
export function faultTranslatingPool(pool: pg.Pool, faults: FaultReporter): PostgresPool {
  // An idle connection the server closed: without a listener, pg's Pool re-emits this as an
  // unhandled 'error' event, which ends the process.
  pool.on('error', (error) => faults.fault(error));
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let wrapper = wrappers.get(client);
    if (wrapper) return wrapper;
    // The pool listens for errors only while a connection is idle; one that breaks between two
    // queries of a transaction would otherwise emit an unhandled 'error' too. The query in flight
    // fails on its own, and the pool discards the connection when it is released.
    client.on('error', (error) => faults.fault(error));
    wrapper = {
      query: ((text: unknown, parameters?: ReadonlyArray<unknown>) => {
        // Cursors (streaming) are handed through as they are; the app does not stream queries.
        if (typeof text !== 'string') return client.query(text as never);
        return client.query(text, parameters as unknown[]).then(
          (result) => {
            if (faults.down) faults.recovered();
            return result;
          },
          (error: unknown) => {
            throw translateFault(error, faults);
          },
        );
      }) as unknown as PostgresPoolClient['query'],
      release: (destroy?: boolean) => client.release(destroy),
    };
    wrappers.set(client, wrapper);
    return wrapper;
  };
  return {
    connect: async () => {
      try {
        return wrap(await pool.connect());
      } catch (error) {
        throw translateFault(error, faults);
      }
    },
    end: () => pool.end(),
  };
}
