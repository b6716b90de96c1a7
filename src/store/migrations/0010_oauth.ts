import { type Kysely, sql } from 'kysely';

// The OAuth 2.1 authorization server, browser sessions and audit events. Append-only.
// Nothing secret is stored in the clear: tokens, codes, session ids and client secrets are
// SHA-256 hashes; private signing keys and grace-window token pairs are AES-GCM encrypted under a
// key derived from USERPLANE_SECRET.

/** Creates the OAuth, session and audit tables. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // 'dynamic' (RFC 7591 registration) or 'metadata_document' (the id is an https URL).
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('client_name', 'text', (c) => c.notNull())
    .addColumn('logo_uri', 'text')
    .addColumn('client_uri', 'text')
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
    .addColumn('client_secret_hash', 'text')
    .addColumn('grant_types', 'text', (c) => c.notNull())
    .addColumn('response_types', 'text', (c) => c.notNull())
    .addColumn('application_type', 'text')
    .addColumn('software_id', 'text')
    .addColumn('software_version', 'text')
    .addColumn('scope', 'text')
    .addColumn('verified_vendor', 'text')
    .addColumn('registration_ip', 'text')
    .addColumn('metadata_fetched_at', 'bigint')
    .addColumn('metadata_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_authorized_at', 'bigint')
    .addColumn('deleted_at', 'bigint')
    .execute();
  // Cleanup of registrations that never completed an authorization (S24).
  await db.schema
    .createIndex('oauth_clients_unused')
    .on('oauth_clients')
    .columns(['created_at'])
    .where(sql.ref('last_authorized_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('oauth_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoke_reason', 'text')
    .execute();
  await db.schema
    .createIndex('oauth_grants_user')
    .on('oauth_grants')
    .columns(['user_id', 'client_id', 'created_at'])
    .execute();
  // One active grant per (user, client): a Connected App. A revoked grant stays as history and a
  // new consent creates a new grant id, so tokens of the revoked one can never come back to life.
  await db.schema
    .createIndex('oauth_grants_one_active')
    .on('oauth_grants')
    .columns(['user_id', 'client_id'])
    .unique()
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('oauth_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('oauth_codes_grant').on('oauth_codes').columns(['grant_id']).execute();

  await db.schema
    .createTable('oauth_refresh_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('grant_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Idle expiry (30 days after issue) and the grant's absolute limit (90 days).
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('absolute_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint')
    .addColumn('successor_id', 'text')
    // The token pair handed out at rotation, encrypted, kept only for the grace window (S12).
    .addColumn('successor_payload', 'text')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('oauth_refresh_tokens_grant')
    .on('oauth_refresh_tokens')
    .columns(['grant_id'])
    .execute();

  await db.schema
    .createTable('oauth_signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk_encrypted', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Published in the JWKS from created_at; signs from activates_at; stops signing at retired_at;
    // leaves the JWKS at expires_at (after every token it signed has expired) (S21).
    .addColumn('activates_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .execute();

  await db.schema
    .createTable('oauth_pending_authorizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // SHA-256 of a cookie set on the browser that started the request (S29).
    .addColumn('browser_binding_hash', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    // Set by the consent form: 'allow' or 'deny', and who decided.
    .addColumn('decision', 'text')
    .addColumn('user_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    // When the authorization response went back to the client; a request answers once.
    .addColumn('completed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('browser_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('ended_at', 'bigint')
    .execute();
  await db.schema.createIndex('browser_sessions_user').on('browser_sessions').columns(['user_id']).execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('grant_id', 'text')
    .addColumn('workspace_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_events_user')
    .on('audit_events')
    .columns(['user_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('audit_events_workspace')
    .on('audit_events')
    .columns(['workspace_id', 'created_at'])
    .execute();
  await db.schema.createIndex('audit_events_created').on('audit_events').columns(['created_at']).execute();
}

/** Refuses: reverting would delete every grant and signing key. */
export async function down(): Promise<void> {
  throw new Error('0010_oauth cannot be reverted');
}
