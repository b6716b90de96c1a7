import type { IncomingMessage, ServerResponse } from 'node:http';
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
  type AuthOutcome,
  createMcpAuthenticator,
  createTokenVerifier,
  type KeySource,
  type McpAuthenticator,
  remoteKeySource,
  type TokenVerifier,
} from './auth.ts';
import { createRevocationView, type RevocationSource, type RevocationView } from './revocation-view.ts';
import { createMcpServer } from './server.ts';
import {
  createMcpHttpHandler,
  MAX_BODY_BYTES,
  type McpHttpAnswer,
  type McpHttpHandler,
  type McpHttpRequest,
} from './transport.ts';

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
  /**
   * Answers an authenticated-or-not POST to /mcp read straight off node:http, as `app` would answer
   * it (see NODE_PATH below); main.ts sends only requests whose Host and Origin passed the host
   * check. Resolves to the status sent.
   */
  serveNode(req: IncomingMessage, res: ServerResponse): Promise<number>;
  /** Stops the revocation view and disconnects the MCP server. */
  stop(): Promise<void>;
}

/** The issuer tokens for this resource come from: AUTH_ISSUER when /mcp runs apart, else PUBLIC_URL. */
export function mcpIssuer(deps: Pick<Deps, 'config'>, options: Pick<McpRouteOptions, 'issuer'> = {}): string {
  return options.issuer ?? deps.config.publicUrl;
}

/** The answer to a request whose token was refused (S18 challenges; 503 as a JSON-RPC error). */
function refusal(outcome: Extract<AuthOutcome, { ok: false }>): McpHttpAnswer & { body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (outcome.challenge) headers['www-authenticate'] = outcome.challenge;
  if (outcome.status === 503) {
    // Not the client's fault: a JSON-RPC error it can show, and a hint to retry.
    headers['retry-after'] = String(DATABASE_RETRY_AFTER_SECONDS);
    return {
      status: 503,
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: ErrorCode.InternalError,
          message: `Service temporarily unavailable: ${outcome.description}`,
        },
      }),
    };
  }
  return {
    status: outcome.status,
    headers,
    body: JSON.stringify({ error: outcome.error, error_description: outcome.description }),
  };
}

// NODE_PATH: POST /mcp is served straight off node:http (main.ts), not through @hono/node-server and
// the hono app: building a web Request (headers, a ReadableStream body, an AbortSignal) and turning
// the web Response back into node's was most of the cost of a tool call (docs/performance.md). The
// answers are the same as the app's, byte for byte apart from the Date (test/integration/
// mcp-node-path.test.ts): the CORS headers of mcpCors for a non-preflight request, the same refusals
// (refusal()) and the same handler (transport.ts `answer`). Everything else — preflights, GET and
// DELETE, odd requests — goes to the app.
const EXPOSE_HEADERS = ['WWW-Authenticate', 'Mcp-Session-Id', 'MCP-Protocol-Version'];
const NODE_CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSE_HEADERS.join(','),
} as const;

function nodeHeader(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The body as text within MAX_BODY_BYTES, or undefined when it is larger (reading stops there; the
 * connection is closed after the answer, as the app's connection-close middleware does).
 */
function readNodeBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.once('error', reject);
  });
}

/**
 * A request read off node:http as the transport's handler reads it. A class rather than an object
 * of closures: nothing is made per request but the instance (the bundle wraps every function made
 * at run time in a naming helper, which showed in the profile).
 */
class NodeMcpRequest implements McpHttpRequest {
  readonly method = 'POST';
  /** Whether the body was over MAX_BODY_BYTES (reading stopped; the connection is then closed). */
  overflowed = false;
  private readonly reading: Promise<string | undefined>;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.reading = readNodeBody(req);
  }

  header(name: string): string | null {
    return nodeHeader(this.req, name);
  }

  async body(): Promise<string | undefined> {
    const text = await this.reading;
    this.overflowed = text === undefined;
    return text;
  }

  watchAbort(listener: () => void): () => void {
    const res = this.res;
    const onClose = () => {
      if (!res.writableEnded) listener();
    };
    res.once('close', onClose);
    return () => res.off('close', onClose);
  }
}

function writeNode(res: ServerResponse, out: McpHttpAnswer, close: boolean): number {
  const headers: Record<string, string> = { ...NODE_CORS_HEADERS, ...out.headers };
  headers['content-length'] = out.body === null ? '0' : String(Buffer.byteLength(out.body));
  if (close) headers.connection = 'close';
  res.writeHead(out.status, headers);
  res.end(out.body ?? undefined);
  return out.status;
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
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  });
  for (const path of ['/mcp', '/mcp/']) {
    app.use(path, mcpCors);
    app.all(path, async (c) => {
      // S19: only the Authorization header is read; `?access_token=` is never looked at.
      const outcome = await authenticator.authenticate(c.req.header('authorization'));
      if (!outcome.ok) {
        const out = refusal(outcome);
        return c.body(out.body, out.status as 401, out.headers);
      }
      return await handler.handle(c.req.raw, outcome.authInfo);
    });
  }

  const serveNode = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    // Read while the token is checked; a refusal waits for it too, so the connection stays usable.
    const request = new NodeMcpRequest(req, res);
    const outcome = await authenticator.authenticate(req.headers.authorization);
    if (!outcome.ok) {
      await request.body();
      return writeNode(res, refusal(outcome), request.overflowed);
    }
    const out = await handler.answer(request, outcome.authInfo);
    return writeNode(res, out, request.overflowed);
  };

  return {
    app,
    verifier,
    revocations,
    authenticator,
    handler,
    serveNode,
    stop: async () => {
      await revocations.stop();
      await handler.close();
    },
  };
}
