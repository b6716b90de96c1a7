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
    expect(config.database).toEqual({ kind: 'sqlite', file: join(env.DATA_DIR, 'userplane.db') });
    expect(config.logLevel).toBe('info');
    expect(config.trustProxy).toEqual([]);
    expect(config.apiRateLimitPerMinute).toBe(120);
    expect(config.apiRateLimitPerDay).toBe(10_000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives PUBLIC_URL from PORT and keeps an explicit one without its trailing slash', () => {
    expect(loadConfig({ ...base(), PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ ...base(), PUBLIC_URL: 'https://up.example.com/' }).publicUrl).toBe(
      'https://up.example.com',
    );
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
  ])('a bad %s stops the start with a message naming it', (name, value) => {
    expect(() => loadConfig({ ...base(), [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), [name]: value })).toThrow(name);
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
