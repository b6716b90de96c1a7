import { ApiError } from '../../domain/errors.ts';
import { OAuthError } from '../../domain/oauth/errors.ts';
import { sha256Hex } from '../../lib/crypto.ts';
import { findClients, type OAuthClient } from '../../store/oauth-clients.ts';
import {
  findGrant,
  findRefreshToken,
  latestLiveRefreshExpiry,
  listGrantsRevokedSince,
  listUserGrants,
  revokeGrant,
  touchGrant,
} from '../../store/oauth-grants.ts';
import { InvalidTokenError, verifyAccessToken } from '../access-tokens.ts';
import { audit, type RequestOrigin } from '../audit.ts';
import type { Deps } from '../deps.ts';

/** One row of Account Settings > Connections. */
export interface ConnectedApp {
  grantId: string;
  clientId: string;
  name: string;
  logoUri: string | null;
  verifiedVendor: string | null;
  scope: string;
  status: 'active' | 'inactive';
  authorizedAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Listeners told when a grant is revoked (the MCP resource server's revocation view). */
export type GrantRevokedListener = (grantId: string) => void;
const listeners = new Set<GrantRevokedListener>();

/** Subscribes to grant revocations in this process; returns the unsubscribe function. */
export function onGrantRevoked(listener: GrantRevokedListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * The user's Connected Apps: one per client, the newest grant. Active while the grant is not
 * revoked and a refresh token (or a recently issued access token) is still valid.
 */
export async function listConnectedApps(deps: Deps, userId: string): Promise<ConnectedApp[]> {
  const grants = await listUserGrants(deps.db, userId);
  const newest = new Map<string, (typeof grants)[number]>();
  for (const grant of grants) if (!newest.has(grant.clientId)) newest.set(grant.clientId, grant);
  const chosen = [...newest.values()];
  const now = deps.clock.now();
  const [clients, liveRefresh] = await Promise.all([
    findClients(
      deps.db,
      chosen.map((g) => g.clientId),
    ),
    latestLiveRefreshExpiry(
      deps.db,
      chosen.map((g) => g.id),
      now,
    ),
  ]);
  const accessWindow = deps.config.accessTokenTtlSeconds * 1000;
  return chosen.map((grant) => {
    const client: OAuthClient | undefined = clients.get(grant.clientId);
    const recentlyUsed = grant.lastUsedAt !== null && grant.lastUsedAt + accessWindow > now;
    return {
      grantId: grant.id,
      clientId: grant.clientId,
      name: client?.name ?? 'Removed application',
      logoUri: client?.logoUri ?? null,
      verifiedVendor: client?.verifiedVendor ?? null,
      scope: grant.scope,
      status: grant.revokedAt === null && (liveRefresh.has(grant.id) || recentlyUsed) ? 'active' : 'inactive',
      authorizedAt: grant.createdAt,
      lastUsedAt: grant.lastUsedAt,
      revokedAt: grant.revokedAt,
    };
  });
}

/** Grants revoked at or after `since` (epoch ms): the MCP revocation view's load and polling (S20). */
export async function listRecentlyRevokedGrants(
  deps: Pick<Deps, 'db'>,
  since: number,
): Promise<Array<{ id: string; revokedAt: number }>> {
  return await listGrantsRevokedSince(deps.db, since);
}

/** Records that a grant was used now (Connected Apps' "last used"); a no-op within a minute of the last. */
export async function recordGrantUse(deps: Pick<Deps, 'db' | 'clock'>, grantId: string): Promise<void> {
  await touchGrant(deps.db, grantId, deps.clock.now());
}

async function endGrant(deps: Deps, grantId: string, reason: string): Promise<boolean> {
  const revoked = await revokeGrant(deps.db, grantId, reason, deps.clock.now());
  if (revoked) for (const listener of listeners) listener(grantId);
  return revoked;
}

/**
 * Revokes one of the user's Connected Apps: its refresh tokens end and the grant is marked so its
 * access tokens are refused (S20). The user's other grants are untouched.
 */
export async function revokeConnectedApp(
  deps: Deps,
  userId: string,
  grantId: string,
  origin: RequestOrigin,
): Promise<void> {
  const grant = await findGrant(deps.db, grantId);
  if (!grant || grant.userId !== userId)
    throw new ApiError(404, 'NOT_FOUND', 'No such connected application');
  await endGrant(deps, grantId, 'user_revoked');
  await audit(deps, 'grant.revoked', {
    userId,
    clientId: grant.clientId,
    grantId,
    origin,
    detail: { by: 'user' },
  });
}

/**
 * RFC 7009 revocation. A refresh token ends its grant (S36); so does an access token of ours, since
 * a JWT cannot be recalled alone. A token of another client, or one we do not know, changes nothing
 * and still answers 200 (RFC 7009 §2.2), so the endpoint tells nobody whether a token exists.
 */
export async function revokeToken(
  deps: Deps,
  client: OAuthClient,
  token: string | undefined,
  hint: string | undefined,
  origin: RequestOrigin,
): Promise<void> {
  if (!token) throw new OAuthError('invalid_request', 'token is required');
  let grantId: string | undefined;
  if (hint !== 'access_token') {
    const refresh = await findRefreshToken(deps.db, sha256Hex(token));
    if (refresh && refresh.clientId === client.id) grantId = refresh.grantId;
  }
  if (!grantId && token.split('.').length === 3) {
    try {
      const claims = await verifyAccessToken(token, {
        issuer: deps.config.publicUrl,
        audience: `${deps.config.publicUrl}/mcp`,
        getKey: (kid) => deps.keys.publicKeyFor(kid),
        now: deps.clock.now(),
      });
      if (claims.client_id === client.id) grantId = claims.grant_id;
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
    }
  }
  if (!grantId) return;
  const grant = await findGrant(deps.db, grantId);
  if (await endGrant(deps, grantId, 'token_revoked')) {
    await audit(deps, 'token.revoked', { userId: grant?.userId, clientId: client.id, grantId, origin });
  }
}
