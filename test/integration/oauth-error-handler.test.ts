import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '../../src/domain/errors.ts';
import { createOAuthEndpoints } from '../../src/http/oauth/index.ts';
import type { Deps } from '../../src/services/deps.ts';
import type { RateLimiter } from '../../src/services/rate-limit.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// The OAuth endpoints' one error handler (http/oauth/index.ts) covers every route it is installed
// for: with the database away, /register, /token and /revoke all answer RFC 6749's
// temporarily_unavailable with Retry-After and no-store; an error it does not know goes on to the
// handler of the app that mounts them.

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A database handle whose every use fails as an unreachable database does. */
function failingDb(failure: () => Error): Deps['db'] {
  return new Proxy({} as Deps['db'], {
    get() {
      throw failure();
    },
  });
}

function failingLimiter(failure: () => Error): RateLimiter {
  return {
    hit: async () => {
      throw failure();
    },
  } as unknown as RateLimiter;
}

function mounted(t: TestApp, failure: () => Error): Hono {
  const app = new Hono();
  app.route('/', createOAuthEndpoints({ ...t.deps, db: failingDb(failure) }, failingLimiter(failure)));
  app.onError((error, c) => c.json({ outer: error.message }, 500));
  return app;
}

const requests: [string, RequestInit][] = [
  ['/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
  [
    '/token',
    {
      method: 'POST',
      headers: FORM,
      body: 'grant_type=authorization_code&client_id=some-client&code=c&code_verifier=v',
    },
  ],
  ['/revoke', { method: 'POST', headers: FORM, body: 'client_id=some-client&token=t' }],
];

describe(`the OAuth endpoints' error handler [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(requests)('%s answers temporarily_unavailable while the database is away', async (path, init) => {
    const app = mounted(t, () => new DatabaseUnavailableError(new Error('connection refused')));
    const res = await app.request(path, init);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(String(DATABASE_RETRY_AFTER_SECONDS));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The authorization server is briefly unavailable; try again shortly',
    });
  });

  it.each(requests)('%s passes an unknown error on to the mounting app', async (path, init) => {
    const app = mounted(t, () => new Error('boom'));
    const res = await app.request(path, init);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ outer: 'boom' });
  });

  it("/authorize/decision without this browser's CSRF token is the 403 page, not an OAuth answer", async () => {
    const res = await t.request('/authorize/decision', {
      method: 'POST',
      headers: FORM,
      body: 'pending=p&decision=allow&csrf=forged',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('This form has expired');
  });
});
