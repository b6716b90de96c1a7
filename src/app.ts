import { Hono } from 'hono';
import type { Config } from './config/index.ts';
import { createRestApi } from './http/api/index.ts';
import { createFilesRoute } from './http/files/route.ts';
import { accessLog } from './http/middleware/access-log.ts';
import { renderApiError } from './http/middleware/error-handler.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import type { Logger } from './lib/logger.ts';
import type { Deps } from './services/deps.ts';
import { createDomainVerifier } from './services/domain-verifier.ts';
import { databaseRateLimiter, memoryRateLimiter, type RateLimiter } from './services/rate-limit.ts';
import { ping, type Store } from './store/db.ts';

// The composition root: the only file that wires layers together.

export interface AppOptions {
  config: Readonly<Config>;
  store: Store;
  log: Logger;
  clock?: Clock;
  /** Tests replace the outbound domain check; everything else is real. */
  verifyDomain?: Deps['verifyDomain'];
}

export interface BuiltApp {
  app: Hono;
  deps: Deps;
  limiter: RateLimiter;
}

/** Builds the services and every HTTP surface over one store. */
export function buildApp(options: AppOptions): BuiltApp {
  const clock = options.clock ?? systemClock;
  const verifier = createDomainVerifier({ allowPrivateAddresses: options.config.allowPrivateNetworkFetch });
  const deps: Deps = {
    db: options.store.db,
    dialect: options.store.dialect,
    config: options.config,
    clock,
    log: options.log,
    verifyDomain: options.verifyDomain ?? ((host, token) => verifier.verify(host, token)),
  };
  // One process owns an SQLite file, so in-memory counters are exact there; PostgreSQL deployments
  // may run many processes, which must share one count.
  const limiter =
    options.store.dialect === 'sqlite' ? memoryRateLimiter(() => clock.now()) : databaseRateLimiter(deps);

  const app = new Hono();
  app.use('*', accessLog(deps.log));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await ping(deps.db);
      return c.json({ status: 'ready', database: deps.dialect });
    } catch (error) {
      deps.log.warn({ err: error }, 'readiness check failed');
      return c.json({ error: 'SERVICE_UNAVAILABLE', message: 'The database is not reachable' }, 503);
    }
  });
  const rest = createRestApi(deps, limiter);
  app.route('/api/v1', rest.api);
  app.get('/api/docs', (c) => {
    // The page is self-contained: inline styles only, nothing from other origins.
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    c.header('X-Content-Type-Options', 'nosniff');
    return c.html(rest.docsPage());
  });
  app.route(
    '/',
    createFilesRoute({
      secret: options.config.secret,
      dataDir: options.config.dataDir,
      now: () => clock.now(),
    }),
  );
  app.onError((error, c) => renderApiError(error, c, deps.log));
  return { app, deps, limiter };
}
