import { type Kysely, sql } from 'kysely';

// Retention that deletes (issue 9):
// - maintenance_leases: one row per maintenance job (`retention`). An instance works only while it
//   holds the row's lease, taken with ONE conditional upsert (`… on conflict (name) do update …
//   where expires_at <= now`), renewed between steps and released at the end, so on PostgreSQL (and
//   on SQLite, when `userplane maintenance` runs beside the server) one process at a time does the
//   work. A lease row rather than an advisory lock: the same statements on both databases, no
//   connection pinned for the length of the job, works behind PgBouncer's transaction pooling, and
//   `select * from maintenance_leases` shows who holds it.
// - recordings.files_purge_started_at: set (by one conditional UPDATE) before the job removes a
//   recording's files. From then on the row no longer claims them: a restore or a new expiry date
//   refuses, unless the recording is expired anyway. files_purged_at: set in the transaction that
//   deletes the resource rows and subtracts their bytes from the workspace's storage use, after the
//   files are gone. Started but not purged = a purge a crash interrupted; the next run finishes it.
// - indexes for the job's queries (partial ones stay small: rows leave them when purged) and for
//   the foreign keys the purge deletes along (PostgreSQL checks them by looking up the referencing
//   rows; without an index each deleted link or project would scan recordings).

/** Creates maintenance_leases, the recordings' purge columns and the indexes the purge needs. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('maintenance_leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('recordings').addColumn('files_purge_started_at', 'bigint').execute();
  await db.schema.alterTable('recordings').addColumn('files_purged_at', 'bigint').execute();

  // Recordings whose files are still kept, by expiry: the job's "expired, files not yet removed".
  await db.schema
    .createIndex('recordings_expiry_due')
    .on('recordings')
    .columns(['expires_at'])
    .where(sql.ref('files_purge_started_at'), 'is', null)
    .where(sql.ref('expires_at'), 'is not', null)
    .execute();
  // File removals a crash interrupted (normally empty).
  await db.schema
    .createIndex('recordings_files_purging')
    .on('recordings')
    .columns(['files_purge_started_at'])
    .where(sql.ref('files_purge_started_at'), 'is not', null)
    .where(sql.ref('files_purged_at'), 'is', null)
    .execute();
  for (const table of ['recordings', 'links', 'projects'] as const) {
    // The job: soft-deleted rows past the grace period, oldest deletion first.
    await db.schema
      .createIndex(`${table}_deleted`)
      .on(table)
      .columns(['deleted_at'])
      .where(sql.ref('deleted_at'), 'is not', null)
      .execute();
  }
  for (const table of ['recordings', 'links'] as const) {
    // The dashboard's "Recently deleted": one workspace's deleted rows, newest deletion first.
    await db.schema
      .createIndex(`${table}_deleted_by_workspace`)
      .on(table)
      .columns(['workspace_id', 'deleted_at', 'id'])
      .where(sql.ref('deleted_at'), 'is not', null)
      .execute();
  }
  // Foreign keys the purge deletes along: recordings → links, recordings → projects, links → projects.
  await db.schema.createIndex('recordings_link').on('recordings').columns(['link_id']).execute();
  await db.schema.createIndex('recordings_project').on('recordings').columns(['project_id']).execute();
  await db.schema.createIndex('links_project').on('links').columns(['project_id']).execute();
}

/** Drops them again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'links_project',
    'recordings_project',
    'recordings_link',
    'links_deleted_by_workspace',
    'recordings_deleted_by_workspace',
    'projects_deleted',
    'links_deleted',
    'recordings_deleted',
    'recordings_files_purging',
    'recordings_expiry_due',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
  await db.schema.alterTable('recordings').dropColumn('files_purged_at').execute();
  await db.schema.alterTable('recordings').dropColumn('files_purge_started_at').execute();
  await db.schema.dropTable('maintenance_leases').execute();
}
