import { type Kysely, sql } from 'kysely';

// The recorder (issue 8):
// - links.recording_count: how many recordings a link has taken (deleted ones included, abandoned
//   uploads not). A single-use link's one recording is claimed by ONE conditional write,
//   `update links set recording_count = recording_count + 1 where id = ? and (reusable = 1 or
//   recording_count = 0)`, so concurrent starts on any number of processes yield exactly one.
// - projects.max_recording_seconds: the length limit of new recordings (null → 180 s).
// - recordings.failure_reason: why an upload ended `failed` (abandoned, refused content).
// - recording_resources.dropped_entries: log lines the server dropped as malformed.

/** Adds the recorder's columns and backfills the link counters. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('links')
    .addColumn('recording_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update links set recording_count = (select count(*) from recordings r where r.link_id = links.id)`.execute(
    db,
  );
  await db.schema.alterTable('projects').addColumn('max_recording_seconds', 'integer').execute();
  await db.schema.alterTable('recordings').addColumn('failure_reason', 'text').execute();
  await db.schema
    .alterTable('recording_resources')
    .addColumn('dropped_entries', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The maintenance job looks for uploads left pending.
  await db.schema
    .createIndex('recordings_pending')
    .on('recordings')
    .columns(['updated_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

/** Drops them again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('recordings_pending').execute();
  await db.schema.alterTable('recording_resources').dropColumn('dropped_entries').execute();
  await db.schema.alterTable('recordings').dropColumn('failure_reason').execute();
  await db.schema.alterTable('projects').dropColumn('max_recording_seconds').execute();
  await db.schema.alterTable('links').dropColumn('recording_count').execute();
}
