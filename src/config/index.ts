import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

// The only module that reads process.env. Every setting is documented in docs/configuration.md.

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const boolean = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const v = value.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
      return z.NEVER;
    });

const positiveInt = (name: string, fallback: number, max = 1_000_000_000) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from 1 to ${max}` });
        return z.NEVER;
      }
      return Number(value);
    });

const envSchema = z.object({
  PORT: positiveInt('PORT', 3000, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_URL: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  USERPLANE_SECRET: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  TRUST_PROXY: z.string().optional(),
  ALLOWED_HOSTS: z.string().optional(),
  ALLOWED_ORIGINS: z.string().optional(),
  ALLOW_PRIVATE_NETWORK_FETCH: boolean('ALLOW_PRIVATE_NETWORK_FETCH', false),
  API_RATE_LIMIT_PER_MINUTE: positiveInt('API_RATE_LIMIT_PER_MINUTE', 120),
  API_RATE_LIMIT_PER_DAY: positiveInt('API_RATE_LIMIT_PER_DAY', 10_000),
  FILE_URL_TTL_SECONDS: positiveInt('FILE_URL_TTL_SECONDS', 300, 86_400),
  DELETED_RETENTION_DAYS: positiveInt('DELETED_RETENTION_DAYS', 30, 3650),
  SIGNUP_ENABLED: boolean('SIGNUP_ENABLED', true),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt('ACCESS_TOKEN_TTL_SECONDS', 3600, 3600),
  SIGNING_KEY_ROTATION_DAYS: positiveInt('SIGNING_KEY_ROTATION_DAYS', 30, 365),
  OAUTH_REDIRECT_SCHEMES: z.string().default('cursor,vscode,vscode-insiders,claude'),
  DCR_RATE_LIMIT_PER_MINUTE: positiveInt('DCR_RATE_LIMIT_PER_MINUTE', 20),
  DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: positiveInt('DCR_GLOBAL_RATE_LIMIT_PER_MINUTE', 300),
  SIGNIN_RATE_LIMIT_PER_MINUTE: positiveInt('SIGNIN_RATE_LIMIT_PER_MINUTE', 10),
  AUTH_ISSUER: z.string().optional(),
  JWKS_URL: z.string().optional(),
  STORAGE: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return 'fs' as const;
      if (value === 'fs' || value === 's3') return value;
      ctx.addIssue({ code: 'custom', message: `STORAGE must be fs or s3 (got "${value}")` });
      return z.NEVER;
    }),
  S3_BUCKET: z.string().optional(),
  S3_REGION: z.string().optional(),
  S3_ENDPOINT: z.string().optional(),
  S3_FORCE_PATH_STYLE: boolean('S3_FORCE_PATH_STYLE', false),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_PREFIX: z.string().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().optional(),
  DELIVERY_WORKER: boolean('DELIVERY_WORKER', true),
  SQLITE_SYNCHRONOUS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return 'normal' as const;
      const v = value.trim().toLowerCase();
      if (v === 'normal' || v === 'full') return v;
      ctx.addIssue({ code: 'custom', message: `SQLITE_SYNCHRONOUS must be normal or full (got "${value}")` });
      return z.NEVER;
    }),
});

/**
 * SQLite's `synchronous` pragma in WAL mode: `normal` syncs the WAL at checkpoints only (a process
 * crash loses nothing; an OS crash or power loss may lose the last commits), `full` syncs every commit.
 */
export type SqliteSynchronous = 'normal' | 'full';

export type Database =
  | {
      kind: 'sqlite';
      file: string;
      /** Default `normal` (SQLITE_SYNCHRONOUS). */
      synchronous?: SqliteSynchronous;
    }
  | { kind: 'postgres'; url: string };

/** Where recording files live: the local disk under DATA_DIR, or an S3-compatible bucket. */
export type Storage =
  | { kind: 'fs' }
  | {
      kind: 's3';
      bucket: string;
      region: string;
      /** Null: AWS S3 itself; otherwise the provider's endpoint (R2, MinIO, B2, …). */
      endpoint: string | null;
      forcePathStyle: boolean;
      /** Null: the AWS default credential chain (environment, profile, instance or task role). */
      credentials: { accessKeyId: string; secretAccessKey: string } | null;
      /** Prepended to every object key: '' or a prefix ending in '/'. */
      prefix: string;
    };

export interface Config {
  port: number;
  host: string;
  /** The public origin users and clients see; the OAuth issuer, byte for byte. */
  publicUrl: string;
  database: Database;
  dataDir: string;
  /** Where recording files live (STORAGE and the S3_* settings). */
  storage: Storage;
  secret: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Addresses or CIDR ranges whose X-Forwarded-* headers are believed (S35). Empty: none. */
  trustProxy: string[];
  /**
   * Host names (and `host:port`) requests may name besides PUBLIC_URL's host (and, on a loopback
   * HOST, the loopback names); lower case. An entry without a port matches any port; `addr/bits`
   * matches IP-literal hosts in that range.
   */
  allowedHosts: string[];
  /** Origins (`scheme://host[:port]`) that may call /mcp besides PUBLIC_URL's own (and loopback ones on a loopback HOST). */
  allowedOrigins: string[];
  /** Development only: lets outbound fetches (domain verification) reach private addresses. */
  allowPrivateNetworkFetch: boolean;
  apiRateLimitPerMinute: number;
  apiRateLimitPerDay: number;
  fileUrlTtlSeconds: number;
  /**
   * Grace period in days: deleted recordings and links can be restored for this long; after it the
   * retention job removes them, and deleted projects, for good.
   */
  deletedRetentionDays: number;
  /** Whether /signup is open to anyone; off: accounts come from invitations and the CLI. */
  signupEnabled: boolean;
  /** Access-token lifetime (S16: at most one hour). */
  accessTokenTtlSeconds: number;
  /** How often a new signing key takes over (S21). */
  signingKeyRotationDays: number;
  /** Private-use redirect URI schemes allowed without a dot (S3). */
  oauthRedirectSchemes: string[];
  /** Dynamic client registrations per source address per minute, and in all (S22). */
  dcrRateLimitPerMinute: number;
  dcrGlobalRateLimitPerMinute: number;
  /** Sign-in attempts per account and per address per minute (S31). */
  signinRateLimitPerMinute: number;
  /**
   * The authorization server's issuer, byte for byte, when `/mcp` runs apart from it
   * (`serve --only mcp`); null: this process's own issuer, PUBLIC_URL.
   */
  authIssuer: string | null;
  /** Where a separate `/mcp` process fetches the authorization server's signing keys (S21); null: in-process keys. */
  jwksUrl: string | null;
  /** Where e-mail goes (nodemailer transport URL: smtp:// or smtps://); null: no e-mail is sent. */
  smtpUrl: string | null;
  /** The From address of every e-mail (`Name <address>` or an address). */
  mailFrom: string;
  /** Whether this process delivers the outbox (e-mail, webhooks, Slack, help-desk notes). */
  deliveryWorker: boolean;
  /** One line each for development-only defaults in force; printed once at start. */
  warnings: string[];
}

/** A setting that failed validation; the message names the setting to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parsePublicUrl(raw: string | undefined, port: number, warnings: string[]): string {
  if (raw === undefined || raw === '') return `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `PUBLIC_URL must be an absolute http(s) URL such as https://userplane.example.com (got "${raw}")`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError('PUBLIC_URL must start with https:// or http://');
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError('PUBLIC_URL must not contain a query, a fragment or credentials');
  }
  const isLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !isLoopback) {
    warnings.push(
      'PUBLIC_URL uses http:// on a non-loopback host; OAuth clients and browsers expect https in production.',
    );
  }
  // The issuer is compared byte for byte by clients (RFC 8414 §3.3), so keep one canonical form.
  return raw.replace(/\/+$/, '');
}

function parseOptionalUrl(name: string, raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${name} must start with https:// or http://`);
  // Kept as written: an issuer is compared byte for byte with the tokens' `iss` (RFC 8414 §3.3).
  return raw;
}

function parseDatabase(
  raw: string | undefined,
  dataDir: string,
  synchronous: SqliteSynchronous,
  warnings: string[],
): Database {
  if (raw === undefined || raw === '')
    return { kind: 'sqlite', file: join(dataDir, 'userplane.db'), synchronous };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
    }
    if (synchronous === 'full')
      warnings.push('SQLITE_SYNCHRONOUS=full has no effect: DATABASE_URL is PostgreSQL.');
    return { kind: 'postgres', url: raw };
  }
  if (raw.startsWith('sqlite:'))
    return { kind: 'sqlite', file: resolve(raw.slice('sqlite:'.length)), synchronous };
  throw new ConfigError(
    'DATABASE_URL must be a postgres:// URL or sqlite:<path>; leave it unset for SQLite in DATA_DIR',
  );
}

const setting = (raw: string | undefined): string | undefined =>
  raw === undefined || raw.trim() === '' ? undefined : raw.trim();

function parseStorage(e: z.infer<typeof envSchema>, warnings: string[]): Storage {
  const bucket = setting(e.S3_BUCKET);
  const accessKeyId = setting(e.S3_ACCESS_KEY_ID);
  const secretAccessKey = setting(e.S3_SECRET_ACCESS_KEY);
  if (e.STORAGE === 'fs') {
    if (bucket)
      warnings.push(
        'S3_BUCKET is set but STORAGE is fs: recording files go to DATA_DIR/files (set STORAGE=s3).',
      );
    return { kind: 'fs' };
  }
  if (!bucket) throw new ConfigError('S3_BUCKET is required with STORAGE=s3');
  // The names S3 and its look-alikes accept (AWS's rules, plus the `_` and capitals of old buckets).
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/.test(bucket))
    throw new ConfigError(`S3_BUCKET is not a valid bucket name (got "${bucket}")`);
  const region = setting(e.S3_REGION) ?? 'us-east-1';
  if (!/^[A-Za-z0-9-]{1,64}$/.test(region))
    throw new ConfigError(`S3_REGION must be a region name such as us-east-1 or auto (got "${region}")`);
  const endpoint = parseOptionalUrl('S3_ENDPOINT', setting(e.S3_ENDPOINT));
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither for the AWS default credential chain',
    );
  }
  let prefix = setting(e.S3_PREFIX) ?? '';
  if (prefix) {
    if (prefix.startsWith('/') || prefix.split('/').some((part) => part === '.' || part === '..'))
      throw new ConfigError('S3_PREFIX must not start with / nor contain . or .. segments');
    if (!/^[A-Za-z0-9!_.*'()/-]{1,512}$/.test(prefix))
      throw new ConfigError(
        "S3_PREFIX may contain only letters, digits and ! _ . * ' ( ) - / (at most 512 characters)",
      );
    // A folder-like prefix: `userplane` and `userplane/` both put files under `userplane/`.
    if (!prefix.endsWith('/')) prefix += '/';
  }
  return {
    kind: 's3',
    bucket,
    region,
    endpoint: endpoint?.replace(/\/+$/, '') ?? null,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null,
    prefix,
  };
}

function parseMail(e: z.infer<typeof envSchema>): { smtpUrl: string | null; mailFrom: string } {
  const smtpUrl = setting(e.SMTP_URL) ?? null;
  const from = setting(e.MAIL_FROM);
  // Without it the server says so once at start (src/main.ts), not every CLI command.
  if (smtpUrl === null) return { smtpUrl, mailFrom: from ?? 'Userplane <userplane@localhost>' };
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new ConfigError('SMTP_URL must be a URL such as smtps://user:password@smtp.example.com:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw new ConfigError(`SMTP_URL must start with smtp:// or smtps:// (got "${url.protocol}")`);
  if (!from)
    throw new ConfigError('MAIL_FROM is required with SMTP_URL (e.g. "Userplane <support@example.com>")');
  // An address, optionally with a display name: `a@b.c` or `Name <a@b.c>`.
  if (!/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(from))
    throw new ConfigError(`MAIL_FROM must be an e-mail address or "Name <address>" (got "${from}")`);
  return { smtpUrl, mailFrom: from };
}

function parseTrustProxy(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '' || raw === 'false') return [];
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (entry === 'loopback') continue;
    const [address, bits] = entry.split('/');
    const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(address ?? '');
    const ipv6 = (address ?? '').includes(':');
    if ((!ipv4 && !ipv6) || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new ConfigError(`TRUST_PROXY entry "${entry}" is not an IP address, a CIDR range or "loopback"`);
    }
  }
  return entries;
}

/** A DNS name (letters, digits, `-`, `_` for container names), an IPv4 address or a bracketed IPv6 one. */
const HOST_NAME =
  /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*|\[[0-9a-f:.]+\])$/;

function parseAllowedHosts(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return entries.map((entry) => {
    // An address range, for load balancers that probe by IP from a subnet (IP literals only).
    const cidr = /^\[?([0-9a-f:.]+?)\]?\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const version = isIP(cidr[1]!);
      if (version === 0 || Number(cidr[2]) > (version === 4 ? 32 : 128))
        throw new ConfigError(`ALLOWED_HOSTS entry "${entry}" is not a valid CIDR range`);
      return `${cidr[1]}/${Number(cidr[2])}`;
    }
    if (entry.includes('/'))
      throw new ConfigError(
        `ALLOWED_HOSTS entry "${entry}" must be a host name, host:port or a CIDR range, not a URL`,
      );
    const match = /^(.+?)(?::(\d{1,5}))?$/.exec(entry);
    // A trailing dot (the fully qualified form) names the same host.
    const name = match?.[1]?.replace(/\.$/, '') ?? '';
    const port = match?.[2];
    const ipv6 = name.startsWith('[') && isIP(name.slice(1, -1)) === 6;
    if (!HOST_NAME.test(name) || name.length > 253 || (name.startsWith('[') && !ipv6))
      throw new ConfigError(
        `ALLOWED_HOSTS entry "${entry}" is not a host name, an IP address or [IPv6] with an optional :port`,
      );
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      throw new ConfigError(`ALLOWED_HOSTS entry "${entry}": the port must be from 1 to 65535`);
    return port === undefined ? name : `${name}:${Number(port)}`;
  });
}

function parseAllowedOrigins(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigError(
        `ALLOWED_ORIGINS entry "${entry}" is not an origin such as https://app.example.com or http://localhost:6274`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new ConfigError(`ALLOWED_ORIGINS entry "${entry}" must start with https:// or http://`);
    // An origin is scheme, host and port only (RFC 6454 §6.2): what browsers put in Origin.
    if (url.username || url.password || url.search || url.hash || !/^[a-z]+:\/\/[^/]+\/?$/i.test(entry))
      throw new ConfigError(
        `ALLOWED_ORIGINS entry "${entry}" must be an origin (scheme://host[:port]) without a path, query or credentials`,
      );
    return url.origin;
  });
}

function parseSchemes(raw: string): string[] {
  const schemes = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const scheme of schemes) {
    if (
      !/^[a-z][a-z0-9+.-]*$/.test(scheme) ||
      ['http', 'https', 'javascript', 'data', 'file', 'blob', 'vbscript'].includes(scheme)
    ) {
      throw new ConfigError(`OAUTH_REDIRECT_SCHEMES: "${scheme}" is not an allowed private-use URI scheme`);
    }
  }
  return schemes;
}

function loadSecret(raw: string | undefined, dataDir: string, warnings: string[]): string {
  if (raw !== undefined && raw !== '') {
    if (raw.length < 32)
      throw new ConfigError('USERPLANE_SECRET must be at least 32 characters (try: openssl rand -base64 48)');
    return raw;
  }
  const file = join(dataDir, 'secret');
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length < 32)
      throw new ConfigError(`USERPLANE_SECRET is unset and ${file} holds no valid secret`);
    warnings.push(
      `USERPLANE_SECRET is unset; using the one generated in ${file}. Set it explicitly in production.`,
    );
    return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const generated = randomBytes(48).toString('base64url');
  writeFileSync(file, `${generated}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  warnings.push(
    `USERPLANE_SECRET is unset; generated one into ${file}. Back it up: it encrypts signing keys.`,
  );
  return generated;
}

/** Reads and validates every setting once; throws ConfigError naming the setting at fault. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'setting');
    throw new ConfigError(issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`);
  }
  const e = parsed.data;
  const warnings: string[] = [];
  const dataDir = isAbsolute(e.DATA_DIR) ? e.DATA_DIR : resolve(e.DATA_DIR);
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    publicUrl: parsePublicUrl(e.PUBLIC_URL, e.PORT, warnings),
    database: parseDatabase(e.DATABASE_URL, dataDir, e.SQLITE_SYNCHRONOUS, warnings),
    dataDir,
    storage: parseStorage(e, warnings),
    secret: loadSecret(e.USERPLANE_SECRET, dataDir, warnings),
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    allowedHosts: parseAllowedHosts(e.ALLOWED_HOSTS),
    allowedOrigins: parseAllowedOrigins(e.ALLOWED_ORIGINS),
    allowPrivateNetworkFetch: e.ALLOW_PRIVATE_NETWORK_FETCH,
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    apiRateLimitPerDay: e.API_RATE_LIMIT_PER_DAY,
    fileUrlTtlSeconds: e.FILE_URL_TTL_SECONDS,
    deletedRetentionDays: e.DELETED_RETENTION_DAYS,
    signupEnabled: e.SIGNUP_ENABLED,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    signingKeyRotationDays: e.SIGNING_KEY_ROTATION_DAYS,
    oauthRedirectSchemes: parseSchemes(e.OAUTH_REDIRECT_SCHEMES),
    dcrRateLimitPerMinute: e.DCR_RATE_LIMIT_PER_MINUTE,
    dcrGlobalRateLimitPerMinute: e.DCR_GLOBAL_RATE_LIMIT_PER_MINUTE,
    signinRateLimitPerMinute: e.SIGNIN_RATE_LIMIT_PER_MINUTE,
    authIssuer: parseOptionalUrl('AUTH_ISSUER', e.AUTH_ISSUER),
    jwksUrl: parseOptionalUrl('JWKS_URL', e.JWKS_URL),
    ...parseMail(e),
    deliveryWorker: e.DELIVERY_WORKER,
    warnings,
  };
  if (config.allowPrivateNetworkFetch)
    warnings.push(
      'ALLOW_PRIVATE_NETWORK_FETCH is on: outbound fetches may reach private addresses (development only).',
    );
  return Object.freeze(config);
}
