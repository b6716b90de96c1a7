import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const secret = 'x'.repeat(40);
const base = () => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'up-config-')), USERPLANE_SECRET: secret });

describe('configuration', () => {
  it('has documented defaults', () => {
    const env = base();
    const config = loadConfig(env);
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.database).toEqual({
      kind: 'sqlite',
      file: join(env.DATA_DIR, 'userplane.db'),
      synchronous: 'normal',
    });
    expect(config.logLevel).toBe('info');
    expect(config.trustProxy).toEqual([]);
    expect(config.apiRateLimitPerMinute).toBe(120);
    expect(config.apiRateLimitPerDay).toBe(10_000);
    expect(config.deletedRetentionDays).toBe(30);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('e-mail: off without SMTP_URL; with it, MAIL_FROM is required and both are checked', () => {
    const off = loadConfig(base());
    expect(off.smtpUrl).toBeNull();
    expect(off.deliveryWorker).toBe(true);
    const on = loadConfig({
      ...base(),
      SMTP_URL: 'smtps://u:p@smtp.example.com:465',
      MAIL_FROM: 'Support <s@example.com>',
    });
    expect(on.smtpUrl).toBe('smtps://u:p@smtp.example.com:465');
    expect(on.mailFrom).toBe('Support <s@example.com>');
    expect(loadConfig({ ...base(), DELIVERY_WORKER: 'false' }).deliveryWorker).toBe(false);
    for (const [env, message] of [
      [{ SMTP_URL: 'smtp://localhost:25' }, 'MAIL_FROM is required'],
      [{ SMTP_URL: 'http://smtp.example.com', MAIL_FROM: 'a@b.c' }, 'SMTP_URL must start with smtp://'],
      [{ SMTP_URL: 'not a url', MAIL_FROM: 'a@b.c' }, 'SMTP_URL must be a URL'],
      [{ SMTP_URL: 'smtp://localhost', MAIL_FROM: 'nobody' }, 'MAIL_FROM must be an e-mail address'],
      [{ SMTP_URL: 'smtp://localhost', MAIL_FROM: 'Evil\r\nBcc: x@y.z <a@b.c>' }, 'MAIL_FROM must be'],
      [{ DELIVERY_WORKER: 'sometimes' }, 'DELIVERY_WORKER must be true or false'],
    ] as const) {
      expect(() => loadConfig({ ...base(), ...env })).toThrow(message);
    }
  });

  it('derives PUBLIC_URL from PORT and keeps an explicit one without its trailing slash', () => {
    expect(loadConfig({ ...base(), PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ ...base(), PUBLIC_URL: 'https://up.example.com/' }).publicUrl).toBe(
      'https://up.example.com',
    );
  });

  it('SQLITE_SYNCHRONOUS: normal by default, full on request (any case); a no-op warning on PostgreSQL', () => {
    const full = loadConfig({ ...base(), SQLITE_SYNCHRONOUS: 'FULL' });
    expect(full.database).toMatchObject({ kind: 'sqlite', synchronous: 'full' });
    expect(loadConfig({ ...base(), SQLITE_SYNCHRONOUS: 'normal' }).database).toMatchObject({
      synchronous: 'normal',
    });
    const pg = loadConfig({ ...base(), DATABASE_URL: 'postgres://u@db/x', SQLITE_SYNCHRONOUS: 'full' });
    expect(pg.warnings.join('\n')).toMatch(/SQLITE_SYNCHRONOUS=full has no effect/);
  });

  it('selects PostgreSQL from a postgres:// DATABASE_URL', () => {
    const config = loadConfig({ ...base(), DATABASE_URL: 'postgres://u@db:5432/userplane' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/userplane' });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PUBLIC_URL', 'not a url'],
    ['PUBLIC_URL', 'ftp://example.com'],
    ['PUBLIC_URL', 'https://example.com/?a=1'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['USERPLANE_SECRET', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', 'not-an-ip'],
    ['ALLOW_PRIVATE_NETWORK_FETCH', 'maybe'],
    ['API_RATE_LIMIT_PER_MINUTE', '0'],
    ['DELETED_RETENTION_DAYS', '0'],
    ['DELETED_RETENTION_DAYS', '3651'],
    ['SQLITE_SYNCHRONOUS', 'off'],
    ['SQLITE_SYNCHRONOUS', 'extra'],
  ])('a bad %s stops the start with a message naming it', (name, value) => {
    expect(() => loadConfig({ ...base(), [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), [name]: value })).toThrow(name);
  });

  it('stores recording files on the local disk unless STORAGE=s3', () => {
    expect(loadConfig(base()).storage).toEqual({ kind: 'fs' });
    const config = loadConfig({ ...base(), S3_BUCKET: 'forgotten' });
    expect(config.storage).toEqual({ kind: 'fs' });
    expect(config.warnings.join('\n')).toMatch(/S3_BUCKET is set but STORAGE is fs/);
  });

  it('reads the S3 settings with their defaults: us-east-1, virtual-hosted style, the default credential chain, no prefix', () => {
    expect(loadConfig({ ...base(), STORAGE: 's3', S3_BUCKET: 'recordings' }).storage).toEqual({
      kind: 's3',
      bucket: 'recordings',
      region: 'us-east-1',
      endpoint: null,
      forcePathStyle: false,
      credentials: null,
      prefix: '',
    });
    const minio = loadConfig({
      ...base(),
      STORAGE: 's3',
      S3_BUCKET: 'recordings',
      S3_REGION: 'auto',
      S3_ENDPOINT: 'http://minio.internal:9000/',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI',
      S3_PREFIX: 'userplane',
    }).storage;
    expect(minio).toEqual({
      kind: 's3',
      bucket: 'recordings',
      region: 'auto',
      endpoint: 'http://minio.internal:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' },
      prefix: 'userplane/',
    });
  });

  it.each([
    [{ STORAGE: 'gcs' }, 'STORAGE must be fs or s3'],
    [{ STORAGE: 's3' }, 'S3_BUCKET is required with STORAGE=s3'],
    [{ STORAGE: 's3', S3_BUCKET: 'a b' }, 'S3_BUCKET is not a valid bucket name'],
    [{ STORAGE: 's3', S3_BUCKET: 'b1b', S3_REGION: 'us east' }, 'S3_REGION'],
    [{ STORAGE: 's3', S3_BUCKET: 'b1b', S3_ENDPOINT: 'minio:9000' }, 'S3_ENDPOINT'],
    [{ STORAGE: 's3', S3_BUCKET: 'b1b', S3_FORCE_PATH_STYLE: 'sometimes' }, 'S3_FORCE_PATH_STYLE'],
    [
      { STORAGE: 's3', S3_BUCKET: 'b1b', S3_ACCESS_KEY_ID: 'AKID' },
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
    ],
    [
      { STORAGE: 's3', S3_BUCKET: 'b1b', S3_SECRET_ACCESS_KEY: 'x' },
      'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
    ],
    [{ STORAGE: 's3', S3_BUCKET: 'b1b', S3_PREFIX: '/abs' }, 'S3_PREFIX'],
    [{ STORAGE: 's3', S3_BUCKET: 'b1b', S3_PREFIX: 'a/../b' }, 'S3_PREFIX'],
    [{ STORAGE: 's3', S3_BUCKET: 'b1b', S3_PREFIX: 'a b' }, 'S3_PREFIX'],
  ])('a bad storage setting (%o) stops the start naming it', (env, message) => {
    expect(() => loadConfig({ ...base(), ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), ...env })).toThrow(message);
  });

  it('generates a secret into DATA_DIR once, with a warning, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'up-secret-'));
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(first.warnings.join('\n')).toMatch(/USERPLANE_SECRET is unset; generated/);
    expect(readFileSync(join(dir, 'secret'), 'utf8').trim()).toBe(first.secret);
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.secret).toBe(first.secret);
  });

  it('warns about plain http on a public host', () => {
    const config = loadConfig({ ...base(), PUBLIC_URL: 'http://up.example.com' });
    expect(config.warnings.join('\n')).toMatch(/https/);
  });
});
