import type { Db } from './db.ts';

// Leases of maintenance jobs (maintenance_leases, migration 0041): at most one holder per job at a
// time, on any number of processes, with the same statements on SQLite and PostgreSQL.

/**
 * Takes the lease `name` for `holder` until `now + ttlMs` with ONE conditional upsert: a new row, or
 * the existing one when it has expired (or is already ours). The row update is the check, so of two
 * processes racing for a free lease exactly one gets it, whatever the isolation level.
 */
export async function takeLease(
  db: Db,
  name: string,
  holder: string,
  now: number,
  ttlMs: number,
): Promise<boolean> {
  const row = await db
    .insertInto('maintenance_leases')
    .values({ name, holder, expires_at: now + ttlMs })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: now + ttlMs })
        .where((eb) =>
          eb.or([
            eb('maintenance_leases.expires_at', '<=', now),
            eb('maintenance_leases.holder', '=', holder),
          ]),
        ),
    )
    .returning('holder')
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Extends a lease `holder` still holds; false when it expired and someone else took it. */
export async function renewLease(
  db: Db,
  name: string,
  holder: string,
  now: number,
  ttlMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable('maintenance_leases')
    .set({ expires_at: now + ttlMs })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives a lease back at once (nothing happens when `holder` no longer holds it). */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db
    .updateTable('maintenance_leases')
    .set({ expires_at: 0 })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .execute();
}

/** Who holds a lease and until when, or undefined when it was never taken (operators, tests). */
export async function findLease(
  db: Db,
  name: string,
): Promise<{ holder: string; expiresAt: number } | undefined> {
  const row = await db
    .selectFrom('maintenance_leases')
    .select(['holder', 'expires_at'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row && { holder: row.holder, expiresAt: Number(row.expires_at) };
}
