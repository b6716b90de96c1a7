import { type Kysely, sql } from 'kysely';

// Delivery (issue 10): everything the server sends out goes through one outbox.
// - deliveries: one row per message to send (an e-mail, a webhook call, a Slack post, a help-desk
//   note), inserted in the same transaction as the event that causes it, so an event that
//   committed always has its deliveries and one that rolled back has none. A worker claims due
//   rows (claimed_until: a claim, not a lock held open; a crashed worker's claim simply runs out),
//   sends, and writes the outcome. `id` doubles as the idempotency key the receiver sees
//   (webhook-id, Message-ID, Idempotency-Key), so a resend after a crash is recognisable.
//   payload: the message's content, sealed (it can hold an invitation link, customer notes).
// - delivery_attempts: the log the dashboard shows, one row per try (status code, error, at most
//   1 KB of the response body).
// - webhook_endpoints: per workspace; the signing secret sealed, shown once at creation/rotation.
// - workspace_integrations: Slack, Intercom, Zendesk, one row per workspace and provider; the
//   token (or the Slack webhook URL, itself a credential) sealed; `status` says whether the last
//   delivery found the credentials refused (needs_reconnect).
// - notification_preferences: only the choices a user changed; a missing row means the default.

/** Creates the outbox, its log, webhook endpoints, integrations and notification preferences. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  // The worker's query: pending rows by due time (rows leave the partial index once finished).
  await db.schema
    .createIndex('deliveries_due')
    .on('deliveries')
    .columns(['next_attempt_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  // The dashboard's delivery log, newest first, per workspace (and per webhook endpoint).
  await db.schema
    .createIndex('deliveries_by_workspace')
    .on('deliveries')
    .columns(['workspace_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('deliveries_by_target')
    .on('deliveries')
    .columns(['target_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('response_body', 'text')
    .addPrimaryKeyConstraint('delivery_attempts_pk', ['delivery_id', 'attempt'])
    .execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('webhook_endpoints_by_workspace')
    .on('webhook_endpoints')
    .columns(['workspace_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('workspace_integrations')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_detail', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('workspace_integrations_pk', ['workspace_id', 'provider'])
    .execute();

  await db.schema
    .createTable('notification_preferences')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    // '' for choices that belong to the account rather than one workspace (new Connected App).
    .addColumn('workspace_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_preferences_pk', ['user_id', 'workspace_id', 'topic', 'channel'])
    .execute();
}

/** Drops them again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notification_preferences').execute();
  await db.schema.dropTable('workspace_integrations').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
  await db.schema.dropTable('delivery_attempts').execute();
  await db.schema.dropTable('deliveries').execute();
}
