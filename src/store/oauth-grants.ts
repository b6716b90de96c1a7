import { sql } from 'kysely';
import { type Db, GRANT_REVOKED_CHANNEL, isPostgres } from './db.ts';
import { encodeJsonColumn } from './json-columns.ts';
import type { OAuthCodesTable, OAuthGrantsTable, OAuthRefreshTokensTable } from './schema.ts';

export interface Grant {
  id: string;
  userId: string;
  clientId: string;
  scope: string;
  resource: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  revokeReason: string | null;
}

function toGrant(row: OAuthGrantsTable): Grant {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    resource: row.resource,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
  };
}

/** A new, unused grant as the service describes it. */
export type NewGrant = Pick<Grant, 'id' | 'userId' | 'clientId' | 'scope' | 'resource' | 'createdAt'>;

/** Inserts a grant (a Connected App). */
export async function insertGrant(db: Db, grant: NewGrant): Promise<Grant> {
  const row: OAuthGrantsTable = {
    id: grant.id,
    user_id: grant.userId,
    client_id: grant.clientId,
    scope: grant.scope,
    resource: grant.resource,
    created_at: grant.createdAt,
    last_used_at: null,
    revoked_at: null,
    revoke_reason: null,
  };
  await db.insertInto('oauth_grants').values(row).execute();
  return toGrant(row);
}

/** A grant by id. */
export async function findGrant(db: Db, id: string): Promise<Grant | undefined> {
  const row = await db.selectFrom('oauth_grants').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toGrant(row);
}

/** The user's active grant for a client, if any. */
export async function findActiveGrant(db: Db, userId: string, clientId: string): Promise<Grant | undefined> {
  const row = await db
    .selectFrom('oauth_grants')
    .selectAll()
    .where('user_id', '=', userId)
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row && toGrant(row);
}

/** Every grant of a user, newest first (history included; the service keeps one per client). */
export async function listUserGrants(db: Db, userId: string): Promise<Grant[]> {
  const rows = await db
    .selectFrom('oauth_grants')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toGrant);
}

/** Ids of grants revoked at or after `since` (the resource server's revocation view polls this). */
export async function listGrantsRevokedSince(
  db: Db,
  since: number,
): Promise<Array<{ id: string; revokedAt: number }>> {
  const rows = await db
    .selectFrom('oauth_grants')
    .select(['id', 'revoked_at'])
    .where('revoked_at', '>=', since)
    .execute();
  return rows.map((r) => ({ id: r.id, revokedAt: r.revoked_at! }));
}

/**
 * Revokes a grant and every refresh token of it; false when it was already revoked. On PostgreSQL it
 * also NOTIFYs every /mcp process (delivered at commit when `db` is a transaction), S20.
 */
export async function revokeGrant(db: Db, grantId: string, reason: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('oauth_grants')
    .set({ revoked_at: now, revoke_reason: reason })
    .where('id', '=', grantId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1 && isPostgres(db)) {
    await sql`select pg_notify(${GRANT_REVOKED_CHANNEL}, ${grantId})`.execute(db);
  }
  await db
    .updateTable('oauth_refresh_tokens')
    .set({ revoked_at: now, successor_payload: null })
    .where('grant_id', '=', grantId)
    .where('revoked_at', 'is', null)
    .execute();
  return Number(result.numUpdatedRows) === 1;
}

/** Records use at most once a minute per grant, so token checks stay reads. */
export async function touchGrant(db: Db, grantId: string, now: number): Promise<void> {
  await db
    .updateTable('oauth_grants')
    .set({ last_used_at: now })
    .where('id', '=', grantId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - 60_000)]))
    .execute();
}

export interface AuthorizationCode {
  clientId: string;
  userId: string;
  grantId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  resource: string;
  expiresAt: number;
  consumedAt: number | null;
}

function toCode(row: OAuthCodesTable): AuthorizationCode {
  return {
    clientId: row.client_id,
    userId: row.user_id,
    grantId: row.grant_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    scope: row.scope,
    resource: row.resource,
    expiresAt: row.expires_at,
    consumedAt: row.consumed_at,
  };
}

/** A new, unconsumed authorization code, by its hash (redirectUri '' when the request had none). */
export type NewAuthorizationCode = Omit<AuthorizationCode, 'consumedAt'> & {
  codeHash: string;
  createdAt: number;
};

/** Stores a code by its hash. */
export async function insertCode(db: Db, code: NewAuthorizationCode): Promise<void> {
  await db
    .insertInto('oauth_codes')
    .values({
      code_hash: code.codeHash,
      client_id: code.clientId,
      user_id: code.userId,
      grant_id: code.grantId,
      redirect_uri: code.redirectUri,
      code_challenge: code.codeChallenge,
      scope: code.scope,
      resource: code.resource,
      created_at: code.createdAt,
      expires_at: code.expiresAt,
      consumed_at: null,
    })
    .execute();
}

/**
 * Consumes a code with one conditional update, so of many concurrent exchanges (in any number of
 * processes) exactly one gets the row back (S9).
 */
export async function consumeCode(
  db: Db,
  codeHash: string,
  now: number,
): Promise<AuthorizationCode | undefined> {
  const row = await db
    .updateTable('oauth_codes')
    .set({ consumed_at: now })
    .where('code_hash', '=', codeHash)
    .where('consumed_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row && toCode(row);
}

/** A code by hash whether consumed or not (to tell a replay from an unknown code). */
export async function findCode(db: Db, codeHash: string): Promise<AuthorizationCode | undefined> {
  const row = await db
    .selectFrom('oauth_codes')
    .selectAll()
    .where('code_hash', '=', codeHash)
    .executeTakeFirst();
  return row && toCode(row);
}

/** Deletes codes that expired before `before`. */
export async function deleteExpiredCodes(db: Db, before: number): Promise<void> {
  await db.deleteFrom('oauth_codes').where('expires_at', '<', before).execute();
}

export interface RefreshToken {
  id: string;
  grantId: string;
  clientId: string;
  scope: string;
  resource: string;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
  rotatedAt: number | null;
  successorId: string | null;
  successorPayload: string | null;
  revokedAt: number | null;
}

function toRefresh(row: OAuthRefreshTokensTable): RefreshToken {
  return {
    id: row.id,
    grantId: row.grant_id,
    clientId: row.client_id,
    scope: row.scope,
    resource: row.resource,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    rotatedAt: row.rotated_at,
    successorId: row.successor_id,
    successorPayload: row.successor_payload,
    revokedAt: row.revoked_at,
  };
}

/** A new live refresh token, by its hash (not rotated, no successor yet). */
export type NewRefreshToken = Omit<
  RefreshToken,
  'rotatedAt' | 'successorId' | 'successorPayload' | 'revokedAt'
> & {
  tokenHash: string;
};

/** Stores a refresh token by its hash. */
export async function insertRefreshToken(db: Db, token: NewRefreshToken): Promise<void> {
  await db
    .insertInto('oauth_refresh_tokens')
    .values({
      id: token.id,
      token_hash: token.tokenHash,
      grant_id: token.grantId,
      client_id: token.clientId,
      scope: token.scope,
      resource: token.resource,
      created_at: token.createdAt,
      expires_at: token.expiresAt,
      absolute_expires_at: token.absoluteExpiresAt,
      rotated_at: null,
      successor_id: null,
      successor_payload: null,
      revoked_at: null,
    })
    .execute();
}

/** A refresh token by hash, in any state. */
export async function findRefreshToken(db: Db, tokenHash: string): Promise<RefreshToken | undefined> {
  const row = await db
    .selectFrom('oauth_refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && toRefresh(row);
}

/** A refresh token by id. */
export async function findRefreshTokenById(db: Db, id: string): Promise<RefreshToken | undefined> {
  const row = await db.selectFrom('oauth_refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRefresh(row);
}

/**
 * Marks a live refresh token rotated, with one conditional update: of concurrent refreshes exactly
 * one wins and mints the successor; the others find the successor's payload (S12).
 */
export async function markRotated(
  db: Db,
  id: string,
  successor: { id: string; payload: string },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('oauth_refresh_tokens')
    .set({ rotated_at: now, successor_id: successor.id, successor_payload: successor.payload })
    .where('id', '=', id)
    .where('rotated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Forgets a successor payload once the grace window is over. */
export async function clearSuccessorPayload(db: Db, id: string): Promise<void> {
  await db
    .updateTable('oauth_refresh_tokens')
    .set({ successor_payload: null })
    .where('id', '=', id)
    .execute();
}

/** Live (not rotated, not revoked, not expired) refresh tokens of a grant: S12 says exactly one. */
export async function countLiveRefreshTokens(db: Db, grantId: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('oauth_refresh_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('grant_id', '=', grantId)
    .where('rotated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Newest refresh-token expiry of a grant among live tokens (Connected Apps' Active status). */
export async function latestLiveRefreshExpiry(
  db: Db,
  grantIds: string[],
  now: number,
): Promise<Map<string, number>> {
  if (!grantIds.length) return new Map();
  const rows = await db
    .selectFrom('oauth_refresh_tokens')
    .select(['grant_id', (eb) => eb.fn.max('expires_at').as('expires')])
    .where('grant_id', 'in', grantIds)
    .where('revoked_at', 'is', null)
    .where('rotated_at', 'is', null)
    .where('expires_at', '>', now)
    .groupBy('grant_id')
    .execute();
  return new Map(rows.map((r) => [r.grant_id, Number(r.expires)]));
}

export interface PendingAuthorization {
  id: string;
  browserBindingHash: string;
  clientId: string;
  params: Record<string, string>;
  decision: 'allow' | 'deny' | null;
  userId: string | null;
  expiresAt: number;
  completedAt: number | null;
}

/** A validated authorization request, not yet decided, bound to the browser that sent it. */
export interface NewPendingAuthorization {
  id: string;
  browserBindingHash: string;
  clientId: string;
  /** The request's parameters (a plain object), stored as JSON text. */
  params: object;
  createdAt: number;
  expiresAt: number;
}

/** Stores an authorization request that waits for sign-in and consent. */
export async function insertPending(db: Db, pending: NewPendingAuthorization): Promise<void> {
  await db
    .insertInto('oauth_pending_authorizations')
    .values({
      id: pending.id,
      browser_binding_hash: pending.browserBindingHash,
      client_id: pending.clientId,
      params: encodeJsonColumn(pending.params),
      decision: null,
      user_id: null,
      created_at: pending.createdAt,
      expires_at: pending.expiresAt,
      completed_at: null,
    })
    .execute();
}

/** A pending authorization request by id. */
export async function findPending(db: Db, id: string): Promise<PendingAuthorization | undefined> {
  const row = await db
    .selectFrom('oauth_pending_authorizations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      browserBindingHash: row.browser_binding_hash,
      clientId: row.client_id,
      params: JSON.parse(row.params) as Record<string, string>,
      decision: row.decision,
      userId: row.user_id,
      expiresAt: row.expires_at,
      completedAt: row.completed_at,
    }
  );
}

/** Completes a pending request once; false when it was already used (a double submit). */
export async function completePending(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('oauth_pending_authorizations')
    .set({ completed_at: now })
    .where('id', '=', id)
    .where('completed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records the consent decision once; false when one was already recorded. */
export async function decidePending(
  db: Db,
  id: string,
  decision: 'allow' | 'deny',
  userId: string,
): Promise<boolean> {
  const result = await db
    .updateTable('oauth_pending_authorizations')
    .set({ decision, user_id: userId })
    .where('id', '=', id)
    .where('decision', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes pending requests that expired before `before`. */
export async function deleteExpiredPending(db: Db, before: number): Promise<void> {
  await db.deleteFrom('oauth_pending_authorizations').where('expires_at', '<', before).execute();
}
