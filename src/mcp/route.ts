import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { DATABASE_RETRY_AFTER_SECONDS } from '../domain/errors.ts';
import type { Deps } from '../services/deps.ts';
import { listRecentlyRevokedGrants, onGrantRevoked, recordGrantUse } from '../services/oauth/grants.ts';
import { mcpResourceUrl } from '../services/oauth/tokens.ts';
import { EXPIRY_LEEWAY_MS } from '../services/signing-keys.ts';
import {
  createMcpAuthenticator,
  createTokenVerifier,
  type KeySource,
  type McpAuthenticator,
  remoteKeySource,
  type TokenVerifier,
} from './auth.ts';
import { createRevocationView, type RevocationSource, type RevocationView } from './revocation-view.ts';
import { createMcpServer } from './server.ts';
import { createMcpHttpHandler, type McpHttpHandler } from './transport.ts';

// POST /mcp: the MCP resource server (Streamable HTTP, stateless; see transport.ts).

/** The path of the protected-resource metadata for /mcp (RFC 9728 §3.1: inserted before the path). */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource/mcp';

export interface McpRouteOptions {
  /**
   * `serve --only mcp`: verify against the authorization server's JWKS at this URL (S21) instead of
   * this process's keys.
   */
  jwksUrl?: string | null;
  /** The issuer tokens must carry, byte for byte; PUBLIC_URL by default. */
  issuer?: string;
  /** Replaces the key lookup (tests). */
  getKey?: KeySource;
  /** Extra push sources for the revocation view: PostgreSQL LISTEN (S20). */
  revocationSources?: RevocationSource[];
  /** 0 turns the revocation view's polling off (tests of the push path). */
  revocationPollMs?: number;
  /** Replaces the MCP server (tests). */
  server?: McpServer;
}

export interface McpRoutes {
  app: Hono;
  verifier: TokenVerifier;
  revocations: RevocationView;
  authenticator: McpAuthenticator;
  handler: McpHttpHandler;
  /** Stops the revocation view and disconnects the MCP server. */
  stop(): Promise<void>;
}

/** The issuer tokens for this resource come from: AUTH_ISSUER when /mcp runs apart, else PUBLIC_URL. */
export function mcpIssuer(deps: Pick<Deps, 'config'>, options: Pick<McpRouteOptions, 'issuer'> = {}): string {
  return options.issuer ?? deps.config.publicUrl;
}

/** Builds /mcp: CORS, token checks, the revocation view and the long-lived MCP server. */
export function createMcpRoutes(deps: Deps, options: McpRouteOptions = {}): McpRoutes {
  const audience = mcpResourceUrl(deps);
  const getKey: KeySource =
    options.getKey ??
    (options.jwksUrl
      ? remoteKeySource(options.jwksUrl)
      : // Looked up on each call (not bound once), so the key manager can be observed in tests.
        (kid) => deps.keys.publicKeyFor(kid));
  const verifier = createTokenVerifier({
    issuer: mcpIssuer(deps, options),
    audience,
    getKey,
    now: () => deps.clock.now(),
  });
  const revocations = createRevocationView({
    listRevokedSince: (since) => listRecentlyRevokedGrants(deps, since),
    // Revocations made by this process arrive at once, whatever the database.
    sources: [(listener) => onGrantRevoked(listener), ...(options.revocationSources ?? [])],
    now: () => deps.clock.now(),
    retentionMs: deps.config.accessTokenTtlSeconds * 1000 + EXPIRY_LEEWAY_MS,
    ...(options.revocationPollMs !== undefined ? { pollIntervalMs: options.revocationPollMs } : {}),
    log: deps.log,
  });
  const authenticator = createMcpAuthenticator({
    verifier,
    revocations,
    resourceMetadataUrl: `${deps.config.publicUrl}${PROTECTED_RESOURCE_PATH}`,
    recordGrantUse: (grantId) => recordGrantUse(deps, grantId),
    now: () => deps.clock.now(),
    log: deps.log,
  });
  const handler = createMcpHttpHandler(options.server ?? createMcpServer(deps), deps.log);

  const app = new Hono();
  // INTEROP item 10: browser-based clients call /mcp directly; no cookies are involved, so any
  // origin may, and they must be able to read the challenge (S18) and the session header.
  const mcpCors = cors({
    origin: '*',
    allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowHeaders: [
      'Authorization',
      'Content-Type',
      'Accept',
      'MCP-Protocol-Version',
      'Mcp-Session-Id',
      'Last-Event-ID',
    ],
    exposeHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'MCP-Protocol-Version'],
    maxAge: 600,
  });
  for (const path of ['/mcp', '/mcp/']) {
    app.use(path, mcpCors);
    app.all(path, async (c) => {
      // S19: only the Authorization header is read; `?access_token=` is never looked at.
      const outcome = await authenticator.authenticate(c.req.header('authorization'));
      if (!outcome.ok) {
        if (outcome.challenge) c.header('WWW-Authenticate', outcome.challenge);
        c.header('Cache-Control', 'no-store');
        if (outcome.status === 503) {
          // Not the client's fault: a JSON-RPC error it can show, and a hint to retry.
          c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
          return c.json(
            {
              jsonrpc: '2.0',
              id: null,
              error: {
                code: ErrorCode.InternalError,
                message: `Service temporarily unavailable: ${outcome.description}`,
              },
            },
            503,
          );
        }
        return c.json({ error: outcome.error, error_description: outcome.description }, outcome.status);
      }
      return await handler.handle(c.req.raw, outcome.authInfo);
    });
  }

  return {
    app,
    verifier,
    revocations,
    authenticator,
    handler,
    stop: async () => {
      await revocations.stop();
      await handler.close();
    },
  };
}
