import { type Kysely, sql } from 'kysely';

// Storage use per workspace (issue 9): one row per workspace, kept current by the writes that change
// it (store/usage.ts: one `insert … on conflict do update set bytes = bytes + excluded.bytes`), so
// reading it never scans recordings. What counts (docs/storage.md, "Storage use"):
// - bytes: the sizes of every recording_resources row of the workspace's recordings, soft-deleted
//   recordings included. A row stands for a file that is kept; whoever removes files for good (the
//   purge, an abandoned upload) deletes the rows and subtracts their sizes. Demo recordings share
//   one video and thumbnail file, and each row counts its size anyway.
// - recordings: recordings that are not soft-deleted, whatever their status.

/**
 * Recomputes every workspace's row from the recordings and resources stored now (the migration's
 * backfill; also a repair if the counters were ever wrong). One statement, the same on both
 * databases; `where true` keeps SQLite from reading `on conflict` as a join constraint.
 */
export async function backfillWorkspaceUsage(db: Kysely<unknown>, now: number): Promise<void> {
  await sql`
    insert into workspace_usage (workspace_id, bytes, recordings, updated_at)
    select w.id, coalesce(b.bytes, 0), coalesce(c.n, 0), cast(${now} as bigint)
    from workspaces w
    left join (
      select r.workspace_id, sum(rr.size) as bytes
      from recording_resources rr
      inner join recordings r on r.id = rr.recording_id
      group by r.workspace_id
    ) b on b.workspace_id = w.id
    left join (
      select workspace_id, count(*) as n
      from recordings
      where deleted_at is null
      group by workspace_id
    ) c on c.workspace_id = w.id
    where true
    on conflict (workspace_id) do update set
      bytes = excluded.bytes,
      recordings = excluded.recordings,
      updated_at = excluded.updated_at
  `.execute(db);
}

/** Creates workspace_usage and fills it from the rows already stored. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('workspace_usage')
    .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('recordings', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await backfillWorkspaceUsage(db, Date.now());
}

/** Drops it again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('workspace_usage').execute();
}
