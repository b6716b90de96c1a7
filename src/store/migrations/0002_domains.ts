import { type Kysely, sql } from 'kysely';

/**
 * One live domain per host and workspace. The service checks first to answer a friendly 409; this
 * index makes two concurrent adds of the same host unable to both succeed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('domains_live_host')
    .on('domains')
    .columns(['workspace_id', 'host'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
}

/** Drops the index. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('domains_live_host').execute();
}
