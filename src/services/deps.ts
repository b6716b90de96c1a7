import type { JWK } from 'jose';
import type { Config } from '../config/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Dialect, RootDb } from '../store/db.ts';
import type { Mailer } from './delivery/types.ts';
import type { FileStore } from './file-store.ts';

/** What every service needs; built once in app.ts and passed down. */
export interface Deps {
  // The database handle by its store/db.ts alias, so this file needs neither `kysely` nor the row
  // schema (store/schema.ts): services hand it to repositories and open transactions on it.
  db: RootDb;
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

// The signing-key manager's interface lives here, beside the Deps that holds it (signing-keys.ts
// implements it): declared there, it made deps.ts -> signing-keys.ts -> audit.ts -> deps.ts a loop.

/** A public key as served in the JWKS. */
export interface PublicJwk extends JWK {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface KeyManager {
  /** Loads the keys and creates the first one (active at once) when there is none. */
  init(): Promise<void>;
  /** The key that signs now; may rotate lazily (at most one check a minute). */
  signingKey(): Promise<{ kid: string; privateKey: CryptoKey }>;
  /** Every published key: pending, active, and retired ones whose tokens may still be live. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
  /** The verification key for `kid`, or undefined when it is unknown or no longer published. */
  publicKeyFor(kid: string): Promise<CryptoKey | undefined>;
  /** Creates a new key: published now, signing after PREPUBLISH_MS, or at once with `immediate`. */
  rotate(reason: string, options?: { immediate?: boolean }): Promise<{ kid: string }>;
  /** Creates a new key when the current one is due to be replaced; true when it created one. */
  maybeRotate(): Promise<boolean>;
}
