import type { Kysely } from 'kysely';
import type { Config } from '../config/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Dialect } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import type { Mailer } from './delivery/types.ts';
import type { FileStore } from './file-store.ts';
import type { KeyManager } from './signing-keys.ts';

/** What every service needs; built once in app.ts and passed down. */
export interface Deps {
  db: Kysely<Database>;
  dialect: Dialect;
  config: Readonly<Config>;
  clock: Clock;
  log: Logger;
  /** Fetches a domain's verification token from the site (SSRF-guarded); replaceable in tests. */
  verifyDomain: (
    host: string,
    token: string,
  ) => Promise<{ ok: true; method: string } | { ok: false; reason: string }>;
  /**
   * Fetches a Client ID Metadata Document (S25: https only, SSRF-guarded, 5 KiB, 5 s, no redirects);
   * replaceable in tests, which cannot reach the internet.
   */
  fetchMetadataDocument: (
    url: string,
  ) => Promise<{ status: number; headers: Record<string, string>; body: Buffer }>;
  /** The access-token signing keys (S21). */
  keys: KeyManager;
  /** Where recording files live: the local disk or an S3-compatible bucket (issue 9). */
  files: FileStore;
  /** Sends e-mail over SMTP_URL; null when it is unset (no e-mail; the dashboard shows links to copy). */
  mailer: Mailer | null;
  /** Starts a delivery pass now (after a commit that published an event); a no-op without a worker. */
  wakeDeliveries: () => void;
}
