import { type Kysely, sql } from 'kysely';

// The /mcp revocation view polls "grants revoked since t" every second in every process (S20); a
// partial index keeps that a lookup among revoked grants instead of a scan of every grant.

/** Indexes revoked grants by revocation time. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('oauth_grants_revoked_at')
    .on('oauth_grants')
    .columns(['revoked_at'])
    .where(sql.ref('revoked_at'), 'is not', null)
    .execute();
}

/** Drops the index. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('oauth_grants_revoked_at').execute();
}
