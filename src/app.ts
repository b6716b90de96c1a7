import { Hono } from 'hono';
import { type Config, ConfigError } from './config/index.ts';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from './domain/errors.ts';
import { createRestApi } from './http/api/index.ts';
import { createDashboard } from './http/dashboard/index.ts';
import { createFilesRoute } from './http/files/route.ts';
import { accessLog } from './http/middleware/access-log.ts';
import { closeConnectionAfterUnreadBody } from './http/middleware/connection-close.ts';
import { renderApiError } from './http/middleware/error-handler.ts';
import { hostCheck } from './http/middleware/host-check.ts';
import { pageSecurityHeaders } from './http/middleware/security-headers.ts';
import { sessionMiddleware } from './http/middleware/session.ts';
import { createAuthorizeRoutes } from './http/oauth/authorize.tsx';
import { createOAuthEndpoints } from './http/oauth/index.ts';
import { createJwksRoute } from './http/oauth/jwks.ts';
import { createMetadataRoutes } from './http/oauth/metadata.ts';
import { createProtectedResourceRoutes } from './http/oauth/protected-resource.ts';
import { createAuthPages } from './http/pages/auth-pages.tsx';
import { pagesErrorHandler } from './http/pages/error-handler.ts';
import { createSetupRoutes } from './http/pages/setup.tsx';
import { createRecorderApi, documentRecorderApi, RECORDER_API_PATH } from './http/recorder/api.ts';
import { createRecorderPage } from './http/recorder/page.tsx';
import { createSdkRoutes } from './http/sdk/route.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import type { Logger } from './lib/logger.ts';
import { createMcpRoutes, type McpRouteOptions, type McpRoutes } from './mcp/route.ts';
import { mailerFor } from './services/delivery/mailer.ts';
import type { Mailer } from './services/delivery/types.ts';
import type { Deps } from './services/deps.ts';
import { createDomainVerifier } from './services/domain-verifier.ts';
import { type FileStore, localFileStore } from './services/file-store.ts';
import { fetchMetadataDocumentSafely } from './services/oauth/clients.ts';
import { databaseRateLimiter, memoryRateLimiter, type RateLimiter } from './services/rate-limit.ts';
import { s3FileStore } from './services/s3-file-store.ts';
import { createKeyManager } from './services/signing-keys.ts';
import { GRANT_REVOKED_CHANNEL, ping, type Store } from './store/db.ts';

// The composition root: the only file that wires layers together.

export interface AppOptions {
  config: Readonly<Config>;
  store: Store;
  log: Logger;
  clock?: Clock;
  /** Tests replace the outbound domain check; everything else is real. */
  verifyDomain?: Deps['verifyDomain'];
  /** Tests serve Client ID Metadata Documents without the internet. */
  fetchMetadataDocument?: Deps['fetchMetadataDocument'];
  /**
   * `mcp`: serve only /mcp, its protected-resource metadata and the health checks, verifying tokens
   * against AUTH_ISSUER's JWKS_URL (`userplane serve --only mcp`).
   */
  only?: 'mcp';
  /** Where recording files live; by default what STORAGE says (the local disk under DATA_DIR, or S3). */
  files?: FileStore;
  /** Sends e-mail; by default nodemailer over SMTP_URL, or none when it is unset. */
  mailer?: Mailer | null;
  /** Test hooks of the MCP routes (key lookup, polling interval, server). */
  mcp?: Pick<McpRouteOptions, 'getKey' | 'revocationPollMs' | 'server'>;
}

export interface BuiltApp {
  app: Hono;
  deps: Deps;
  limiter: RateLimiter;
  /** The MCP resource server (its token verifier and revocation view). */
  mcp: McpRoutes;
}

/** `serve --only mcp` trusts another process's tokens: it must be told whose (AUTH_ISSUER) and where its keys are. */
export function requireMcpOnlySettings(config: Readonly<Config>): void {
  if (!config.authIssuer) throw new ConfigError('AUTH_ISSUER is required with serve --only mcp');
  if (!config.jwksUrl) throw new ConfigError('JWKS_URL is required with serve --only mcp');
}

/** The file store STORAGE names: the local disk under DATA_DIR, or an S3-compatible bucket. */
export function fileStoreFor(config: Readonly<Config>, clock: Clock, log: Logger): FileStore {
  if (config.storage.kind === 's3') {
    const { kind: _kind, ...s3 } = config.storage;
    return s3FileStore({ ...s3, now: () => clock.now(), log });
  }
  return localFileStore({ dataDir: config.dataDir, publicUrl: config.publicUrl, secret: config.secret });
}

/** How long a successful file-store check answers /readyz without asking the store again. */
const FILE_STORE_CHECK_CACHE_MS = 5_000;

/**
 * The file store's part of /readyz: a success is trusted for a few seconds (a load balancer polling
 * every second costs the bucket one request per 5 s), concurrent checks share one request, and a
 * failure is logged when it starts and when it ends, not on every poll.
 */
function cachedFileStoreCheck(files: FileStore, log: Logger): () => Promise<void> {
  let okUntil = 0;
  let running: Promise<void> | undefined;
  let failing = false;
  return async () => {
    if (performance.now() < okUntil) return;
    running ??= files
      .check()
      .then(
        () => {
          okUntil = performance.now() + FILE_STORE_CHECK_CACHE_MS;
          if (failing) log.info({ files: files.kind }, 'file store reachable again');
          failing = false;
        },
        (error: unknown) => {
          if (!failing) log.warn({ err: error, files: files.kind }, 'file store check failed');
          failing = true;
          throw error;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

/** Builds the services and every HTTP surface over one store. */
export function buildApp(options: AppOptions): BuiltApp {
  const clock = options.clock ?? systemClock;
  const verifier = createDomainVerifier({ allowPrivateAddresses: options.config.allowPrivateNetworkFetch });
  const base = { db: options.store.db, config: options.config, clock, log: options.log };
  const deps: Deps = {
    ...base,
    dialect: options.store.dialect,
    verifyDomain: options.verifyDomain ?? ((host, token) => verifier.verify(host, token)),
    fetchMetadataDocument: options.fetchMetadataDocument ?? fetchMetadataDocumentSafely,
    keys: createKeyManager(base),
    files: options.files ?? fileStoreFor(options.config, clock, options.log),
    mailer: options.mailer !== undefined ? options.mailer : mailerFor(options.config),
    wakeDeliveries: () => {},
  };
  // One process owns an SQLite file, so in-memory counters are exact there; PostgreSQL deployments
  // may run many processes, which must share one count.
  const limiter =
    options.store.dialect === 'sqlite' ? memoryRateLimiter(() => clock.now()) : databaseRateLimiter(deps);

  // The MCP resource server. Apart from the authorization server it trusts AUTH_ISSUER and its
  // JWKS; in the full server it verifies with this process's own keys and issuer.
  const { config } = options;
  if (options.only === 'mcp') requireMcpOnlySettings(config);
  const issuer = options.only === 'mcp' ? config.authIssuer! : config.publicUrl;
  const store = options.store;
  const mcp = createMcpRoutes(deps, {
    issuer,
    jwksUrl: options.only === 'mcp' ? config.jwksUrl : null,
    // PostgreSQL: other processes' revocations arrive by NOTIFY (S20); polling covers the rest.
    revocationSources: store.listen
      ? [
          (onRevoked) =>
            store.listen!(GRANT_REVOKED_CHANNEL, onRevoked, (error) =>
              deps.log.warn({ err: error }, 'revocation LISTEN failed'),
            ),
        ]
      : [],
    ...options.mcp,
  });
  // Background work (revocation polling, LISTEN) ends before the database closes.
  store.onClose?.(() => mcp.stop());

  const app = new Hono();
  app.use('*', accessLog(deps.log));
  app.use('*', closeConnectionAfterUnreadBody());
  app.use('*', hostCheck(config, deps.log)); // before every route, health checks included (DNS rebinding)
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const checkFiles = cachedFileStoreCheck(deps.files, deps.log);
  app.get('/readyz', async (c) => {
    try {
      await ping(deps.db);
    } catch (error) {
      // An unreachable database is logged once per outage by the store; anything else here.
      if (!(error instanceof DatabaseUnavailableError))
        deps.log.warn({ err: error }, 'readiness check failed');
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return c.json({ error: 'SERVICE_UNAVAILABLE', message: 'The database is not reachable' }, 503);
    }
    try {
      await checkFiles();
    } catch {
      // The detail (bucket, endpoint) is in the log, not in this public answer.
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return c.json(
        {
          error: 'SERVICE_UNAVAILABLE',
          message: `The file store (${deps.files.kind === 's3' ? 'S3 bucket' : 'local disk'}) is not reachable`,
          files: deps.files.kind,
        },
        503,
      );
    }
    return c.json({ status: 'ready', database: deps.dialect, files: deps.files.kind });
  });
  app.route('/', createProtectedResourceRoutes(deps, issuer));
  app.route('/', mcp.app);
  if (options.only === 'mcp') {
    app.onError((error, c) => renderApiError(error, c, deps.log));
    return { app, deps, limiter, mcp };
  }
  // The embed script customers' sites load (public, cacheable, any origin).
  app.route('/', createSdkRoutes());
  // The recorder's public upload API first: its paths sit below /api/v1 but need no API key.
  app.route(RECORDER_API_PATH, createRecorderApi(deps, limiter));
  // The public recorder page behind every link (PUBLIC_URL/r/{linkId}) and its script.
  app.route('/', createRecorderPage(deps));
  const rest = createRestApi(deps, limiter);
  documentRecorderApi(rest.api.openAPIRegistry);
  app.route('/api/v1', rest.api);
  app.get('/api/docs', (c) => {
    // The page is self-contained: inline styles only, nothing from other origins.
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    c.header('X-Content-Type-Options', 'nosniff');
    return c.html(rest.docsPage());
  });
  // The OAuth 2.1 authorization server and its browser pages.
  app.route('/', createMetadataRoutes(deps));
  app.route('/', createJwksRoute(deps.keys));
  app.route('/', createOAuthEndpoints(deps, limiter)); // /register, /token, /revoke
  app.route('/', createAuthPages(deps, limiter));
  app.route('/', createDashboard(deps));
  app.route('/', createSetupRoutes(deps));
  const pageSession = sessionMiddleware(deps);
  const pageHeaders = pageSecurityHeaders();
  for (const path of ['/authorize', '/authorize/*']) app.use(path, pageHeaders, pageSession);
  app.route('/', createAuthorizeRoutes(deps));
  app.route(
    '/',
    createFilesRoute({
      secret: options.config.secret,
      dataDir: options.config.dataDir,
      now: () => clock.now(),
    }),
  );
  // The fallback for routers without a handler of their own (the recorder page, /authorize's
  // leftovers, files): pages for a browser's refused request, JSON for everything else.
  app.onError(pagesErrorHandler(deps.log));
  return { app, deps, limiter, mcp };
}
