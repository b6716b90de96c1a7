import { countRateLimitHit, deleteRateLimitWindowsBefore } from '../store/rate-limits.ts';
import type { Deps } from './deps.ts';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms when the current window ends. */
  resetAt: number;
}

/** Counts hits in fixed windows; one implementation per deployment shape. */
export interface RateLimiter {
  hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision>;
}

/**
 * Seconds until every refused decision allows again (at least 1, for Retry-After), or undefined
 * when none refused.
 */
export function retryAfterSeconds(decisions: readonly RateDecision[], now: number): number | undefined {
  const refused = decisions.filter((d) => !d.allowed);
  if (refused.length === 0) return undefined;
  const resetAt = Math.max(...refused.map((d) => d.resetAt));
  return Math.max(1, Math.ceil((resetAt - now) / 1000));
}

function decide(count: number, limit: number, windowStart: number, windowMs: number): RateDecision {
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetAt: windowStart + windowMs,
  };
}

/**
 * How many buckets the in-process limiter tracks at once (~150 bytes each, so ~8 MB at most). Buckets
 * are keyed by caller-chosen input (source addresses, account emails, API keys), so without a cap a
 * flood of distinct ones would grow memory for as long as their windows last.
 */
export const MEMORY_RATE_LIMIT_MAX_BUCKETS = 50_000;

/**
 * In-process counters. Right for SQLite, where one process owns the database file; with
 * PostgreSQL and many processes the shared limiter below keeps one count across them.
 *
 * At most `maxBuckets` counters: a counter whose window ended is never read again and is dropped
 * (every minute, and whenever the limiter is full); when every counter is still live, the least
 * recently hit are forgotten, 1% at a time. Forgetting a live counter gives its bucket a fresh
 * window, but only a bucket that went quiet while `maxBuckets` others were hit: a caller hammering
 * one bucket keeps it among the newest, which is the price of bounded memory we accept.
 */
export function memoryRateLimiter(
  now: () => number,
  options: { maxBuckets?: number } = {},
): RateLimiter & { readonly size: number } {
  const maxBuckets = options.maxBuckets ?? MEMORY_RATE_LIMIT_MAX_BUCKETS;
  // Insertion-ordered, and an entry is moved last at each hit: the first is the least recently hit.
  const counters = new Map<string, { windowStart: number; windowEnd: number; count: number }>();
  let lastSweep = 0;
  const sweep = (t: number) => {
    lastSweep = t;
    for (const [k, v] of counters) if (v.windowEnd <= t) counters.delete(k);
  };
  const makeRoom = (t: number) => {
    // A full sweep is O(size): at most once a second, so a flood cannot make every hit pay it.
    if (t - lastSweep >= 1000) sweep(t);
    if (counters.size < maxBuckets) return;
    let drop = Math.max(1, Math.floor(maxBuckets / 100));
    for (const k of counters.keys()) {
      counters.delete(k);
      if (--drop === 0) break;
    }
  };
  return {
    get size() {
      return counters.size;
    },
    async hit(bucket, limit, windowMs) {
      const t = now();
      const windowStart = t - (t % windowMs);
      const key = `${bucket}|${windowMs}`;
      let entry = counters.get(key);
      if (entry) counters.delete(key);
      else if (counters.size >= maxBuckets) makeRoom(t);
      if (!entry || entry.windowStart !== windowStart)
        entry = { windowStart, windowEnd: windowStart + windowMs, count: 0 };
      counters.set(key, entry);
      entry.count += 1;
      const decision = decide(entry.count, limit, windowStart, windowMs);
      if (t - lastSweep > 60_000) sweep(t);
      return decision;
    },
  };
}

/** Counters in the rate_limit_counters table: one atomic upsert per hit, shared by every instance. */
export function databaseRateLimiter(deps: Pick<Deps, 'db' | 'clock'>): RateLimiter {
  let lastSweep = 0;
  return {
    async hit(bucket, limit, windowMs) {
      const t = deps.clock.now();
      const windowStart = t - (t % windowMs);
      const count = await countRateLimitHit(deps.db, `${bucket}|${windowMs}`, windowStart);
      if (t - lastSweep > 60_000) {
        lastSweep = t;
        await deleteRateLimitWindowsBefore(deps.db, t - 2 * 86_400_000);
      }
      return decide(count, limit, windowStart, windowMs);
    },
  };
}
