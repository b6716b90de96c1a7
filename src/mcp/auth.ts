import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createRemoteJWKSet, errors as joseErrors } from 'jose';
import { DatabaseUnavailableError } from '../domain/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { type AccessTokenClaims, InvalidTokenError, verifyAccessToken } from '../services/access-tokens.ts';
import type { RevocationView } from './revocation-view.ts';

// Bearer-token checks of the MCP resource server: S17 (what is refused), S18 (the challenges), S19
// (header only), S20 (revoked grants), S21 (remote JWKS with a cooldown).
//
// Cost: a verified token is cached by its string until `exp`, so a client's repeated calls do no
// signature work; only its first call per token pays for ES256. A refused token's verdict is cached
// as well (a token never becomes valid later, except one naming a key we do not know yet).

/** The scope every MCP call needs (INTEROP item 6). */
export const MCP_SCOPE = 'mcp:tools';
/** Verified (and refused) tokens remembered per process; the oldest are dropped beyond this. */
export const TOKEN_CACHE_MAX_ENTRIES = 10_000;
/** A remote JWKS is trusted this long; the AS publishes keys 10 minutes before they sign (S21). */
export const REMOTE_JWKS_MAX_AGE_MS = 5 * 60_000;
/** An unknown `kid` refetches a remote JWKS at most once per this cooldown (S21). */
export const REMOTE_JWKS_COOLDOWN_MS = 10_000;
/** "Last used" is written at most once a minute per grant (PRODUCT.md Connected Apps). */
export const GRANT_TOUCH_INTERVAL_MS = 60_000;

export type KeySource = (kid: string) => Promise<CryptoKey | undefined>;

/**
 * A remote JWKS (for `serve --only mcp`): cached `cacheMaxAgeMs`; an unknown kid refetches only when
 * `cooldownMs` has passed since the last fetch, so random kids cannot hammer the AS (S21).
 */
export function remoteKeySource(
  jwksUrl: string,
  options: { cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number } = {},
): KeySource {
  const jwks = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: options.cooldownMs ?? REMOTE_JWKS_COOLDOWN_MS,
    cacheMaxAge: options.cacheMaxAgeMs ?? REMOTE_JWKS_MAX_AGE_MS,
    timeoutDuration: options.timeoutMs ?? 5000,
  });
  return async (kid) => {
    try {
      return await jwks({ alg: 'ES256', kid });
    } catch (error) {
      // No key (or no single key) for this kid: the token is refused. A fetch failure is ours, not
      // the client's, and propagates (503), so a client does not throw away a good token.
      if (
        error instanceof joseErrors.JWKSNoMatchingKey ||
        error instanceof joseErrors.JWKSMultipleMatchingKeys
      )
        return undefined;
      throw error;
    }
  };
}

/** The caller of an MCP request as the SDK hands it to tool handlers (`extra.authInfo`). */
export interface McpAuthInfo extends AuthInfo {
  extra: { userId: string; grantId: string };
}

interface CacheEntry {
  /** Until when (epoch ms) the verdict holds. */
  until: number;
  claims?: AccessTokenClaims;
  authInfo?: McpAuthInfo;
  error?: InvalidTokenError;
}

export interface TokenVerifier {
  /** The claims and SDK auth info of a valid token; throws InvalidTokenError otherwise. */
  verify(token: string): Promise<{ claims: AccessTokenClaims; authInfo: McpAuthInfo }>;
}

// Refusals that stay refusals whatever happens later; `unknown_kid` and `not_yet_valid` may not.
const PERMANENT_REFUSALS = new Set<InvalidTokenError['reason']>([
  'malformed',
  'unsupported_alg',
  'wrong_typ',
  'bad_signature',
  'expired',
  'wrong_issuer',
  'wrong_audience',
  'missing_claim',
]);
const REFUSAL_CACHE_MS = 5 * 60_000;

/** Verifies access tokens (S17) for one resource, caching each verdict until it could change. */
export function createTokenVerifier(options: {
  issuer: string;
  audience: string;
  getKey: KeySource;
  now: () => number;
  maxEntries?: number;
}): TokenVerifier {
  const maxEntries = options.maxEntries ?? TOKEN_CACHE_MAX_ENTRIES;
  const resource = new URL(options.audience);
  // Insertion-ordered: the first key is the least recently used one (a hit moves its entry last).
  const cache = new Map<string, CacheEntry>();

  const remember = (token: string, entry: CacheEntry) => {
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(token, entry);
  };

  return {
    async verify(token) {
      const now = options.now();
      const hit = cache.get(token);
      if (hit) {
        if (hit.until > now) {
          cache.delete(token);
          cache.set(token, hit);
          if (hit.error) throw hit.error;
          return { claims: hit.claims!, authInfo: hit.authInfo! };
        }
        cache.delete(token);
      }
      let claims: AccessTokenClaims;
      try {
        claims = await verifyAccessToken(token, {
          issuer: options.issuer,
          audience: options.audience,
          getKey: options.getKey,
          now,
        });
      } catch (error) {
        if (error instanceof InvalidTokenError && PERMANENT_REFUSALS.has(error.reason)) {
          remember(token, { until: now + REFUSAL_CACHE_MS, error });
        }
        throw error;
      }
      const authInfo: McpAuthInfo = Object.freeze({
        token,
        clientId: claims.client_id,
        scopes: claims.scope.split(' ').filter(Boolean),
        expiresAt: claims.exp,
        resource,
        extra: Object.freeze({ userId: claims.sub, grantId: claims.grant_id }),
      });
      // Valid until `exp`; the verifier's leeway past it is left to a fresh verification.
      remember(token, { until: claims.exp * 1000, claims, authInfo });
      return { claims, authInfo };
    },
  };
}

/** The outcome of authenticating one request to /mcp. */
export type AuthOutcome =
  | { ok: true; authInfo: McpAuthInfo }
  | { ok: false; status: 401 | 403 | 503; challenge?: string; error: string; description: string };

/** A quoted-string for an auth-param (RFC 9110 §11.2): escape backslashes and quotes. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Authenticates requests to /mcp: Bearer header only (S19), verified token (S17), `mcp:tools`
 * scope, grant not revoked (S20); records grant use at most once a minute, off the request's path.
 */
export function createMcpAuthenticator(options: {
  verifier: TokenVerifier;
  revocations: RevocationView;
  /** PUBLIC_URL/.well-known/oauth-protected-resource/mcp, named in every challenge (S18). */
  resourceMetadataUrl: string;
  recordGrantUse: (grantId: string) => Promise<void>;
  now: () => number;
  log: Logger;
}) {
  const { verifier, revocations, log } = options;
  const base = `Bearer resource_metadata=${quoted(options.resourceMetadataUrl)}, scope=${quoted(MCP_SCOPE)}`;
  const invalidToken = `${base}, error="invalid_token"`;
  const insufficientScope = `Bearer error="insufficient_scope", scope=${quoted(MCP_SCOPE)}, resource_metadata=${quoted(options.resourceMetadataUrl)}`;
  const unavailable: AuthOutcome = {
    ok: false,
    status: 503,
    error: 'temporarily_unavailable',
    description: 'Access cannot be checked right now; try again shortly',
  };
  // grant id → when this process last recorded its use.
  const touched = new Map<string, number>();

  function touch(grantId: string): void {
    const now = options.now();
    const last = touched.get(grantId);
    if (last !== undefined && now - last < GRANT_TOUCH_INTERVAL_MS) return;
    if (touched.size >= TOKEN_CACHE_MAX_ENTRIES) {
      for (const [id, at] of touched) if (now - at >= GRANT_TOUCH_INTERVAL_MS) touched.delete(id);
      if (touched.size >= TOKEN_CACHE_MAX_ENTRIES) touched.clear();
    }
    touched.set(grantId, now);
    // Fire and forget: "last used" is informational and must not add a write to the call's latency.
    options.recordGrantUse(grantId).catch((error) => {
      if (!(error instanceof DatabaseUnavailableError))
        log.warn({ err: error, grantId }, 'grant touch failed');
    });
  }

  return {
    /** Checks the request's `Authorization` header; the token in a query string is never read (S19). */
    async authenticate(authorization: string | undefined): Promise<AuthOutcome> {
      // RFC 6750 §2.1: the scheme is case-insensitive; one space, then the token.
      const match = authorization === undefined ? null : /^Bearer +([^\s]+) *$/i.exec(authorization);
      if (!match) {
        // No credentials (or another scheme): RFC 6750 §3.1 says no error code then, S18 likewise.
        if (authorization === undefined || !/^Bearer\b/i.test(authorization)) {
          return {
            ok: false,
            status: 401,
            challenge: base,
            error: 'unauthorized',
            description: 'Sign-in required',
          };
        }
        return {
          ok: false,
          status: 401,
          challenge: invalidToken,
          error: 'invalid_token',
          description: 'The access token is malformed',
        };
      }
      let verified: Awaited<ReturnType<TokenVerifier['verify']>>;
      try {
        verified = await verifier.verify(match[1]!);
      } catch (error) {
        if (error instanceof InvalidTokenError) {
          log.debug({ reason: error.reason }, 'mcp: token refused');
          return {
            ok: false,
            status: 401,
            challenge: invalidToken,
            error: 'invalid_token',
            description: 'The access token is invalid or expired',
          };
        }
        // The key set could not be fetched: our failure, not a reason for the client to drop its token.
        log.error({ err: error }, 'mcp: token verification unavailable');
        return {
          ok: false,
          status: 503,
          error: 'temporarily_unavailable',
          description: 'Tokens cannot be verified right now; try again shortly',
        };
      }
      const { authInfo } = verified;
      if (!authInfo.scopes.includes(MCP_SCOPE)) {
        return {
          ok: false,
          status: 403,
          challenge: insufficientScope,
          error: 'insufficient_scope',
          description: `The token lacks the ${MCP_SCOPE} scope`,
        };
      }
      try {
        if (!revocations.loaded) await revocations.ready();
      } catch (error) {
        if (!(error instanceof DatabaseUnavailableError))
          log.error({ err: error }, 'mcp: revocations unavailable');
        return unavailable;
      }
      // Fail closed: a view the database has not refreshed lately might miss a revocation (S20).
      if (!revocations.isCurrent()) return unavailable;
      // The token's age too: a view that forgot old revocations to stay within its cap refuses older tokens.
      if (revocations.isRevoked(authInfo.extra.grantId, verified.claims.iat * 1000)) {
        return {
          ok: false,
          status: 401,
          challenge: invalidToken,
          error: 'invalid_token',
          description: 'Access to this application was revoked',
        };
      }
      touch(authInfo.extra.grantId);
      return { ok: true, authInfo };
    },
  };
}

export type McpAuthenticator = ReturnType<typeof createMcpAuthenticator>;
