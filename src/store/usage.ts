import type { Db } from './db.ts';

// Storage use per workspace (workspace_usage, migration 0040_storage_usage): bytes of the files kept
// and live recordings, changed by the same statements (and so in the same transaction) that insert
// or delete recordings and their resource rows. Reading it is one primary-key lookup, never a scan.

/**
 * Adds `delta` (negative to subtract) to the workspace's counters with ONE upsert. The increment is
 * computed by the row update itself (`bytes = workspace_usage.bytes + excluded.bytes`), so
 * concurrent adjustments on any number of processes never lose one: PostgreSQL re-reads the row
 * under its lock, SQLite has one writer at a time. Runs in the caller's transaction when given one.
 */
export async function adjustWorkspaceUsage(
  db: Db,
  workspaceId: string,
  delta: { bytes: number; recordings: number },
  now: number,
): Promise<void> {
  if (!Number.isSafeInteger(delta.bytes) || !Number.isSafeInteger(delta.recordings)) {
    throw new Error(
      `workspace usage delta must be integers (bytes ${delta.bytes}, recordings ${delta.recordings})`,
    );
  }
  if (delta.bytes === 0 && delta.recordings === 0) return;
  await db
    .insertInto('workspace_usage')
    .values({ workspace_id: workspaceId, bytes: delta.bytes, recordings: delta.recordings, updated_at: now })
    .onConflict((oc) =>
      oc.column('workspace_id').doUpdateSet((eb) => ({
        bytes: eb('workspace_usage.bytes', '+', eb.ref('excluded.bytes')),
        recordings: eb('workspace_usage.recordings', '+', eb.ref('excluded.recordings')),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

/** The workspace's storage use; zeros when nothing was ever stored for it. */
export async function getWorkspaceUsage(
  db: Db,
  workspaceId: string,
): Promise<{ bytes: number; recordings: number }> {
  const row = await db
    .selectFrom('workspace_usage')
    .select(['bytes', 'recordings'])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return { bytes: Number(row?.bytes ?? 0), recordings: Number(row?.recordings ?? 0) };
}
