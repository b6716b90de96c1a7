import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { type BuiltApp, buildApp, requireMcpOnlySettings } from './app.ts';
import { type Config, ConfigError } from './config/index.ts';
import { DatabaseUnavailableError } from './domain/errors.ts';
import { type HostPolicy, hostPolicy } from './http/middleware/host-check.ts';
import type { Logger } from './lib/logger.ts';
import type { McpRoutes } from './mcp/route.ts';
import { MAX_BODY_BYTES } from './mcp/transport.ts';
import { startDeliveryWorker } from './services/delivery/outbox.ts';
import { runOAuthMaintenance } from './services/oauth/maintenance.ts';
import { failAbandonedUploads } from './services/recorder.ts';
import { runRetention } from './services/retention.ts';
import { ensureSetupLink } from './services/setup.ts';
import { migrateToLatest, openStore } from './store/db.ts';

const MAINTENANCE_INTERVAL_MS = 10 * 60_000;
/** How often the outbox is checked for due deliveries (a commit in this process wakes it at once). */
const DELIVERY_POLL_MS = 1_000;

export interface RunningServer {
  url: string;
  port: number;
  /** The one-time first-run link when the database has no users yet (it expires in a day). */
  setupUrl: string | null;
  stop(): Promise<void>;
}

/**
 * The request listener: POST /mcp served straight off node:http by the MCP route (mcp/route.ts
 * NODE_PATH says why and what it answers), every other request — and any /mcp request out of the
 * ordinary (a preflight, another method, a body declared over the limit, an absolute-form target, a
 * Host or Origin the host check refuses) — handed to the app, whose middleware answers it as always.
 */
function mcpFastPath(
  mcp: McpRoutes,
  hosts: HostPolicy,
  log: Logger,
  appListener: (req: IncomingMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = req.url ?? '';
    const path = url.indexOf('?') === -1 ? url : url.slice(0, url.indexOf('?'));
    const declared = req.headers['content-length'];
    if (
      req.method !== 'POST' ||
      (path !== '/mcp' && path !== '/mcp/') ||
      req.headers.host === undefined ||
      !hosts.hostAllowed(req.headers.host) ||
      (req.headers.origin !== undefined && !hosts.originAllowed(req.headers.origin)) ||
      (declared !== undefined && !(Number(declared) <= MAX_BODY_BYTES))
    ) {
      appListener(req, res);
      return;
    }
    const started = performance.now();
    mcp.serveNode(req, res).then(
      (status) => {
        // The access log's line (http/middleware/access-log.ts), for the requests the app never sees.
        if (log.isLevelEnabled('info'))
          log.info(
            { method: 'POST', path, status, ms: Math.round((performance.now() - started) * 10) / 10 },
            'request',
          );
      },
      (error: unknown) => {
        // A client that left mid-body needs no answer; anything else is the app's generic 500.
        if (!req.readableAborted) log.error({ err: error, path, method: 'POST' }, 'unhandled error');
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        const body = JSON.stringify({ error: 'INTERNAL_ERROR', message: 'Something went wrong on our side' });
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      },
    );
  };
}

/**
 * The node:http server for a built app (not yet listening): POST /mcp goes straight to the MCP
 * route, everything else to the app through @hono/node-server, as its `serve()` would set it up.
 */
export function createHttpServer(
  built: Pick<BuiltApp, 'app' | 'mcp'>,
  config: Readonly<Config>,
  log: Logger,
): Server {
  const appListener = getRequestListener(built.app.fetch, { hostname: config.host });
  return createServer(mcpFastPath(built.mcp, hostPolicy(config), log, appListener));
}

/**
 * Process entry: open the database, migrate, build the app, listen; `stop` closes cleanly. `only:
 * 'mcp'` serves the MCP resource server alone (`serve --only mcp`).
 */
export async function startServer(
  config: Readonly<Config>,
  log: Logger,
  options: { only?: 'mcp' } = {},
): Promise<RunningServer> {
  // Refuse a bad setting before touching the database.
  if (options.only === 'mcp') requireMcpOnlySettings(config);
  const store = openStore(config.database, { log });
  try {
    const applied = await migrateToLatest(store.db);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');
  } catch (error) {
    await store.close();
    throw error;
  }
  let built: ReturnType<typeof buildApp>;
  try {
    built = buildApp({ config, store, log, ...(options.only ? { only: options.only } : {}) });
  } catch (error) {
    await store.close();
    throw error;
  }
  const { app, deps, mcp } = built;
  // A missing bucket, wrong credentials or an unreachable endpoint stop the start, naming the setting
  // (S3_BUCKET, S3_ENDPOINT, S3_ACCESS_KEY_ID …), rather than failing the first upload.
  try {
    await deps.files.check();
  } catch (error) {
    await store.close();
    throw new ConfigError(`file storage (STORAGE=${deps.files.kind}): ${(error as Error).message}`);
  }
  let maintenance: NodeJS.Timeout | undefined;
  let deliveries: ReturnType<typeof startDeliveryWorker> | undefined;
  // An MCP-only process neither signs tokens nor owns the authorization server's housekeeping.
  if (!options.only) {
    // Creates the first signing key on a new database, so the first token request does not wait.
    await deps.keys.init();
    // Housekeeping every ten minutes; unref'd so it never keeps the process alive on its own.
    maintenance = setInterval(() => {
      // The file store says when an upload last moved and removes its parts (disk or bucket).
      failAbandonedUploads(deps).catch((error) => {
        if (!(error instanceof DatabaseUnavailableError))
          log.warn({ err: error }, 'upload maintenance failed');
      });
      runOAuthMaintenance(deps).catch((error) => {
        // The next run catches up; an unreachable database is already logged by the store.
        if (!(error instanceof DatabaseUnavailableError)) log.warn({ err: error }, 'maintenance failed');
      });
      // Every instance calls it; the lease lets one at a time do the work (services/retention.ts).
      runRetention(deps).catch((error) => {
        if (!(error instanceof DatabaseUnavailableError)) log.warn({ err: error }, 'retention job failed');
      });
    }, MAINTENANCE_INTERVAL_MS);
    maintenance.unref();
    // The outbox: e-mail, webhooks, Slack and help-desk notes (docs/notifications.md). Every
    // instance may run it; claims keep two from sending the same delivery at once.
    if (!config.smtpUrl) {
      log.warn(
        'SMTP_URL is unset: no e-mail is sent (the dashboard shows invitation links to copy); set SMTP_URL and MAIL_FROM to send invitations and notifications',
      );
    }
    if (config.deliveryWorker) {
      deliveries = startDeliveryWorker(deps, {
        intervalMs: DELIVERY_POLL_MS,
        onError: (error) => {
          if (!(error instanceof DatabaseUnavailableError)) log.warn({ err: error }, 'delivery pass failed');
        },
      });
      deps.wakeDeliveries = deliveries.wake;
      deliveries.wake();
    }
  }
  // First run: with no users, print a one-time link where the first person creates their account.
  const setupUrl = options.only ? null : await ensureSetupLink(deps);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = createHttpServer({ app, mcp }, config, log);
    s.once('error', reject);
    s.listen(config.port, config.host, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    url: config.publicUrl,
    port,
    setupUrl,
    stop: async () => {
      clearInterval(maintenance);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deliveries?.stop();
      deps.mailer?.close();
      await store.close();
    },
  };
}
