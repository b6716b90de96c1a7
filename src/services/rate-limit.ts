import { sql } from 'kysely';
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

function decide(count: number, limit: number, windowStart: number, windowMs: number): RateDecision {
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetAt: windowStart + windowMs,
  };
}

/**
 * In-process counters. Right for SQLite, where one process owns the database file; with
 * PostgreSQL and many processes the shared limiter below keeps one count across them.
 */
export function memoryRateLimiter(now: () => number): RateLimiter {
  const counters = new Map<string, { windowStart: number; count: number }>();
  let lastSweep = 0;
  return {
    async hit(bucket, limit, windowMs) {
      const t = now();
      const windowStart = t - (t % windowMs);
      const key = `${bucket}|${windowMs}`;
      let entry = counters.get(key);
      if (!entry || entry.windowStart !== windowStart) {
        entry = { windowStart, count: 0 };
        counters.set(key, entry);
      }
      entry.count += 1;
      if (t - lastSweep > 60_000) {
        lastSweep = t;
        for (const [k, v] of counters) if (v.windowStart + 86_400_000 < t) counters.delete(k);
      }
      return decide(entry.count, limit, windowStart, windowMs);
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
      const row = await deps.db
        .insertInto('rate_limit_counters')
        .values({ bucket: `${bucket}|${windowMs}`, window_start: windowStart, count: 1 })
        .onConflict((oc) =>
          oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limit_counters.count + 1` }),
        )
        .returning('count')
        .executeTakeFirstOrThrow();
      if (t - lastSweep > 60_000) {
        lastSweep = t;
        await deps.db
          .deleteFrom('rate_limit_counters')
          .where('window_start', '<', t - 2 * 86_400_000)
          .execute();
      }
      return decide(Number(row.count), limit, windowStart, windowMs);
    },
  };
}
