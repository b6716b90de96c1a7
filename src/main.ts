import { serve as serveHttp } from '@hono/node-server';
import { buildApp, requireMcpOnlySettings } from './app.ts';
import { type Config, ConfigError } from './config/index.ts';
import { DatabaseUnavailableError } from './domain/errors.ts';
import type { Logger } from './lib/logger.ts';
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
  const { app, deps } = built;
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
  const server = await new Promise<ReturnType<typeof serveHttp>>((resolve, reject) => {
    const s = serveHttp({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once('error', reject);
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
