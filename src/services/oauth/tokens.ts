import { OAuthError } from '../../domain/oauth/errors.ts';
import { isValidCodeVerifier, verifyS256 } from '../../domain/oauth/pkce.ts';
import { resolveResource } from '../../domain/oauth/resource.ts';
import { refreshScope } from '../../domain/oauth/scope.ts';
import { randomToken, sha256Hex } from '../../lib/crypto.ts';
import { newId } from '../../lib/ids.ts';
import { openString, sealString } from '../../lib/secret-box.ts';
import { markClientAuthorized, type OAuthClient } from '../../store/oauth-clients.ts';
import {
  clearSuccessorPayload,
  consumeCode,
  findCode,
  findGrant,
  findRefreshToken,
  findRefreshTokenById,
  insertRefreshToken,
  markRotated,
  type NewRefreshToken,
  revokeGrant,
  touchGrant,
} from '../../store/oauth-grants.ts';
import { issueAccessToken } from '../access-tokens.ts';
import { audit, type RequestOrigin } from '../audit.ts';
import type { Deps } from '../deps.ts';
import { REFRESH_ABSOLUTE_MS, REFRESH_GRACE_MS, REFRESH_IDLE_MS } from './lifetimes.ts';

const GRACE_LABEL = 'refresh-grace';

/** The token endpoint's success body (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** The MCP resource our tokens are for: `PUBLIC_URL/mcp`. */
export function mcpResourceUrl(deps: Pick<Deps, 'config'>): string {
  return `${deps.config.publicUrl}/mcp`;
}

async function mintPair(
  deps: Deps,
  grant: { id: string; userId: string; clientId: string },
  scope: string,
  resource: string,
  absoluteExpiresAt: number,
): Promise<{ response: TokenResponse; stored: NewRefreshToken }> {
  const now = deps.clock.now();
  const { token, expiresIn } = await issueAccessToken(deps.keys, {
    issuer: deps.config.publicUrl,
    subject: grant.userId,
    audience: resource,
    clientId: grant.clientId,
    scope,
    grantId: grant.id,
    ttlSeconds: deps.config.accessTokenTtlSeconds,
    now,
  });
  const refreshToken = randomToken(32);
  return {
    response: {
      access_token: token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: refreshToken,
      scope,
    },
    stored: {
      id: newId('rtk', now),
      tokenHash: sha256Hex(refreshToken),
      grantId: grant.id,
      clientId: grant.clientId,
      scope,
      resource,
      createdAt: now,
      expiresAt: Math.min(now + REFRESH_IDLE_MS, absoluteExpiresAt),
      absoluteExpiresAt,
    },
  };
}

/**
 * authorization_code grant (RFC 6749 §4.1.3, OAuth 2.1 §4.1.3). Checks run before the code is
 * consumed, so a request with a wrong verifier changes nothing (S7, S10); the code is then consumed
 * with one conditional update (S9), and losing that race means a replay: the grant is revoked (S10).
 */
export async function exchangeCode(
  deps: Deps,
  client: OAuthClient,
  params: { code?: string; redirectUri?: string; codeVerifier?: string; resource?: string | string[] },
  origin: RequestOrigin,
): Promise<TokenResponse> {
  if (!params.code) throw new OAuthError('invalid_request', 'code is required');
  if (!params.codeVerifier) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
  if (!isValidCodeVerifier(params.codeVerifier)) {
    throw new OAuthError('invalid_grant', 'code_verifier is malformed (RFC 7636 §4.1)');
  }
  const codeHash = sha256Hex(params.code);
  const code = await findCode(deps.db, codeHash);
  const now = deps.clock.now();
  if (!code) throw new OAuthError('invalid_grant', 'The authorization code is invalid');
  if (code.clientId !== client.id)
    throw new OAuthError('invalid_grant', 'The code was issued to another client');
  checkRedirectUri(client, code.redirectUri, params.redirectUri);
  // S8: a resource other than the one authorized is invalid_grant, even one we never serve.
  if (params.resource !== undefined && !sameResource(deps, params.resource, code.resource)) {
    throw new OAuthError('invalid_grant', 'resource differs from the authorization request');
  }
  if (!verifyS256(params.codeVerifier, code.codeChallenge)) {
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
  }
  if (code.expiresAt <= now) throw new OAuthError('invalid_grant', 'The authorization code has expired');

  // The pair is minted first (signing may read keys, which must not happen inside the transaction
  // on SQLite), then consuming the code and storing its refresh token commit together: a concurrent
  // replay only learns the code is used once the winner's tokens exist, so its revocation ends
  // them, and it can never revoke the grant under the winner before the winner is answered (S9).
  // The bookkeeping of a successful exchange (the client's last authorization for S24, the grant's
  // last use, the audit event) joins that same commit, after the code is consumed so the order
  // above is unchanged: one commit per exchange, and none of it is stored for a losing exchange.
  const { response, stored } = await mintPair(
    deps,
    { id: code.grantId, userId: code.userId, clientId: code.clientId },
    code.scope,
    code.resource,
    now + REFRESH_ABSOLUTE_MS,
  );
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const consumed = await consumeCode(trx, codeHash, now);
    if (!consumed) return 'replay' as const;
    const current = await findGrant(trx, consumed.grantId);
    if (!current || current.revokedAt !== null) return 'revoked' as const;
    await insertRefreshToken(trx, stored);
    await markClientAuthorized(trx, client.id, now);
    await touchGrant(trx, current.id, now);
    await audit(
      deps,
      'token.issued',
      { userId: current.userId, clientId: client.id, grantId: current.id, origin },
      trx,
    );
    return current;
  });
  if (outcome === 'replay') {
    // A second valid exchange: someone else holds this code. End everything issued from it.
    await revokeGrant(deps.db, code.grantId, 'code_replay', now);
    await audit(deps, 'code.replay_detected', {
      userId: code.userId,
      clientId: client.id,
      grantId: code.grantId,
      origin,
    });
    throw new OAuthError('invalid_grant', 'The authorization code was already used');
  }
  if (outcome === 'revoked') throw new OAuthError('invalid_grant', 'The authorization was revoked');
  return response;
}

/**
 * OAuth 2.1 §4.1.3 (RFC 6749 §4.1.3): redirect_uri is REQUIRED when the authorization request
 * included one, and the two must be identical, character for character (no loopback port leeway
 * here: the client knows the exact URI it sent). Per RFC 6749 §5.2 a missing parameter is
 * invalid_request and one that "does not match the redirection URI used in the authorization
 * request" is invalid_grant (S8). `authorized` is '' when the request had none: the answer went
 * to the client's only registered URI, so a token request may omit it or name exactly that one.
 */
function checkRedirectUri(client: OAuthClient, authorized: string, presented: string | undefined): void {
  if (authorized !== '') {
    if (presented === undefined) {
      throw new OAuthError(
        'invalid_request',
        'redirect_uri is required: the authorization request carried one (OAuth 2.1 section 4.1.3)',
      );
    }
    if (presented !== authorized) {
      throw new OAuthError('invalid_grant', 'redirect_uri differs from the one in the authorization request');
    }
  } else if (presented !== undefined && !client.redirectUris.includes(presented)) {
    throw new OAuthError('invalid_grant', 'redirect_uri differs from the one the code was sent to');
  }
}

function sameResource(deps: Deps, requested: string | string[], authorized: string): boolean {
  try {
    return resolveResource(requested, mcpResourceUrl(deps)) === authorized;
  } catch (error) {
    if (error instanceof OAuthError) return false;
    throw error;
  }
}

/**
 * refresh_token grant with rotation (S11–S15, RFC 9700 §4.14.2). One conditional update decides
 * which of several concurrent refreshes mints the successor; the others get the same pair, sealed
 * on the old row for the grace window (S12). After the window, a rotated-out token is a replay and
 * revokes the grant (S13).
 */
export async function refreshTokens(
  deps: Deps,
  client: OAuthClient,
  params: { refreshToken?: string; scope?: string; resource?: string | string[] },
  origin: RequestOrigin,
): Promise<TokenResponse> {
  if (!params.refreshToken) throw new OAuthError('invalid_request', 'refresh_token is required');
  const token = await findRefreshToken(deps.db, sha256Hex(params.refreshToken));
  const now = deps.clock.now();
  if (!token) throw new OAuthError('invalid_grant', 'The refresh token is invalid');
  if (token.clientId !== client.id)
    throw new OAuthError('invalid_grant', 'The refresh token was issued to another client');
  if (token.revokedAt !== null) throw new OAuthError('invalid_grant', 'The refresh token was revoked');
  const scope = refreshScope(params.scope, token.scope);
  if (params.resource !== undefined) {
    const resource = resolveResource(params.resource, mcpResourceUrl(deps));
    if (resource !== token.resource) throw new OAuthError('invalid_target', 'resource is outside the grant');
  }

  if (token.rotatedAt !== null) return replayOrGrace(deps, client, token, origin);
  if (token.expiresAt <= now || token.absoluteExpiresAt <= now)
    throw new OAuthError('invalid_grant', 'The refresh token has expired');
  const grant = await findGrant(deps.db, token.grantId);
  if (!grant || grant.revokedAt !== null)
    throw new OAuthError('invalid_grant', 'The authorization was revoked');

  const { response, stored } = await mintPair(deps, grant, scope, token.resource, token.absoluteExpiresAt);
  const sealed = sealString(deps.config.secret, GRACE_LABEL, JSON.stringify(response));
  // The rotation, the grant's last use and the audit event commit together (one commit per
  // refresh); a refresh that loses the rotation race stores nothing and reads the winner's pair (S12).
  const won = await deps.db.transaction().execute(async (trx) => {
    if (!(await markRotated(trx, token.id, { id: stored.id, payload: sealed }, now))) return false;
    await insertRefreshToken(trx, stored);
    await touchGrant(trx, grant.id, now);
    await audit(
      deps,
      'token.refreshed',
      { userId: grant.userId, clientId: client.id, grantId: grant.id, origin },
      trx,
    );
    return true;
  });
  if (!won) {
    const latest = await findRefreshTokenById(deps.db, token.id);
    if (!latest || latest.rotatedAt === null)
      throw new OAuthError('invalid_grant', 'The refresh token was revoked');
    return replayOrGrace(deps, client, latest, origin);
  }
  return response;
}

async function replayOrGrace(
  deps: Deps,
  client: OAuthClient,
  token: { id: string; grantId: string; rotatedAt: number | null; successorPayload: string | null },
  origin: RequestOrigin,
): Promise<TokenResponse> {
  const now = deps.clock.now();
  if (token.rotatedAt !== null && now - token.rotatedAt <= REFRESH_GRACE_MS && token.successorPayload) {
    return JSON.parse(openString(deps.config.secret, GRACE_LABEL, token.successorPayload)) as TokenResponse;
  }
  if (token.successorPayload) await clearSuccessorPayload(deps.db, token.id);
  const grant = await findGrant(deps.db, token.grantId);
  await revokeGrant(deps.db, token.grantId, 'refresh_reuse', now);
  await audit(deps, 'refresh.reuse_detected', {
    userId: grant?.userId,
    clientId: client.id,
    grantId: token.grantId,
    origin,
  });
  throw new OAuthError('invalid_grant', 'The refresh token was already used');
}
