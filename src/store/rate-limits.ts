import { sql } from 'kysely';
import type { Db } from './db.ts';

/** Counts one hit in the bucket's window (one atomic upsert, shared by every instance); the new count. */
export async function countRateLimitHit(db: Db, bucket: string, windowStart: number): Promise<number> {
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ bucket, window_start: windowStart, count: 1 })
    .onConflict((oc) =>
      oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limit_counters.count + 1` }),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Deletes the counters of windows that started before `before`. */
export async function deleteRateLimitWindowsBefore(db: Db, before: number): Promise<void> {
  await db.deleteFrom('rate_limit_counters').where('window_start', '<', before).execute();
}
