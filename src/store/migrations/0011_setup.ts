import type { Kysely } from 'kysely';

// First-run setup (issue 5): at most one one-time setup link at a time. Only the SHA-256 of its
// token is stored, with an expiry; completing setup marks it used with a conditional UPDATE.

/** Creates the setup_tokens table. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('setup_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
}

/** Drops the table. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('setup_tokens').execute();
}
