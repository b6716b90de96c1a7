import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientIp } from '../../src/http/middleware/client-ip.ts';
import { createAuthPages } from '../../src/http/pages/index.ts';
import { fakeClock } from '../../src/lib/clock.ts';
import { createUser } from '../../src/services/users.ts';
import { PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

/** Asks clientIp what it makes of a request from `socket` carrying `forwarded`. */
async function ipOf(trustProxy: string[], socket: string | undefined, forwarded?: string): Promise<string> {
  const app = new Hono();
  app.get('/ip', (c) => c.text(clientIp(c, trustProxy)));
  const env = socket === undefined ? undefined : { incoming: { socket: { remoteAddress: socket } } };
  const res = await app.request('/ip', { headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }, env);
  return res.text();
}

describe('clientIp', () => {
  it('S35: without trusted proxies X-Forwarded-For is ignored and the socket address is used', async () => {
    expect(await ipOf([], '203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(await ipOf([], '127.0.0.1', '198.51.100.1')).toBe('127.0.0.1');
  });

  it('S35: X-Forwarded-For from a peer outside the trusted ranges is ignored', async () => {
    expect(await ipOf(['10.0.0.0/8'], '203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
    expect(await ipOf(['loopback'], '::ffff:203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
  });

  it('S35: from a trusted proxy, the right-most address that is not a trusted proxy wins', async () => {
    expect(await ipOf(['loopback'], '127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(await ipOf(['loopback'], '::1', '198.51.100.7')).toBe('198.51.100.7');
    expect(await ipOf(['loopback'], '::ffff:127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    // A client-forged left part of the chain is not believed.
    expect(await ipOf(['loopback'], '127.0.0.1', '6.6.6.6, 198.51.100.7')).toBe('198.51.100.7');
    // Several trusted hops are skipped.
    expect(await ipOf(['10.0.0.0/8'], '10.0.0.2', '6.6.6.6, 198.51.100.7, 10.1.2.3')).toBe('198.51.100.7');
    expect(await ipOf(['10.0.0.2', '10.0.0.3'], '10.0.0.2', '198.51.100.7, 10.0.0.3')).toBe('198.51.100.7');
  });

  it('S35: IPv6 ranges, ports and brackets are understood', async () => {
    expect(await ipOf(['2001:db8::/32'], '2001:db8::1', '2001:db8:ffff::9, 2001:db8::5')).toBe(
      '2001:db8:ffff::9',
    );
    expect(await ipOf(['2001:db8::/32'], '2001:db8::1', '2a00:1450::1, 2001:db8::5')).toBe('2a00:1450::1');
    expect(await ipOf(['loopback'], '127.0.0.1', '198.51.100.7:4711')).toBe('198.51.100.7');
    expect(await ipOf(['loopback'], '127.0.0.1', '[2a00:1450::1]:443')).toBe('2a00:1450::1');
  });

  it('S35: a missing or malformed header from a trusted proxy leaves the proxy as the address', async () => {
    expect(await ipOf(['loopback'], '127.0.0.1')).toBe('127.0.0.1');
    expect(await ipOf(['loopback'], '127.0.0.1', 'not-an-ip')).toBe('127.0.0.1');
    expect(await ipOf(['loopback'], '127.0.0.1', '198.51.100.7, garbage')).toBe('127.0.0.1');
    // Only trusted hops: the left-most one is as far as we can see.
    expect(await ipOf(['loopback'], '127.0.0.1', '127.0.0.5')).toBe('127.0.0.5');
  });

  it('without a socket (in-process requests) the address is "unknown", whatever the headers say', async () => {
    expect(await ipOf([], undefined, '198.51.100.1')).toBe('unknown');
    expect(await ipOf(['loopback'], undefined, '198.51.100.1')).toBe('unknown');
  });
});

describe(`client address in sign-in rate limits [${testDialect}]`, () => {
  const password = 'correct horse battery';

  async function attempts(t: TestApp, forwarded: string[]): Promise<number[]> {
    const app = new Hono();
    app.route('/', createAuthPages(t.deps, t.limiter));
    const statuses: number[] = [];
    for (const [i, address] of forwarded.entries()) {
      // One socket (a proxy on loopback), a different claimed client each time.
      const browser = new PageBrowser(app, '127.0.0.1');
      const csrf = await browser.csrfFrom('/signin');
      const res = await browser.post(
        '/signin',
        { csrf, email: `nobody-${i}@example.com`, password },
        { 'x-forwarded-for': address },
      );
      statuses.push(res.status);
    }
    return statuses;
  }

  describe('with no trusted proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      // A fixed clock keeps all attempts in one rate-limit window.
      t = await createTestApp({ clock: fakeClock(), env: { SIGNIN_RATE_LIMIT_PER_MINUTE: '3' } });
    });
    afterAll(async () => t.close());

    it('S35: spoofed X-Forwarded-For values do not escape the per-address sign-in limit', async () => {
      const statuses = await attempts(t, ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']);
      expect(statuses).toEqual([401, 401, 401, 429]);
    });
  });

  describe('behind a trusted proxy', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        clock: fakeClock(),
        env: { SIGNIN_RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback' },
      });
      await createUser(t.deps, { email: 'someone@example.com', password });
    });
    afterAll(async () => t.close());

    it('S35: each forwarded client address gets its own sign-in budget, and the session records it', async () => {
      const statuses = await attempts(t, ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']);
      expect(statuses).toEqual([401, 401, 401, 401]);
      const app = new Hono();
      app.route('/', createAuthPages(t.deps, t.limiter));
      const browser = new PageBrowser(app, '127.0.0.1');
      const csrf = await browser.csrfFrom('/signin');
      const res = await browser.post(
        '/signin',
        { csrf, email: 'someone@example.com', password },
        { 'x-forwarded-for': '6.6.6.6, 198.51.100.77' },
      );
      expect(res.status).toBe(303);
      const row = await t.store.db.selectFrom('browser_sessions').select('ip').executeTakeFirstOrThrow();
      expect(row.ip).toBe('198.51.100.77');
    });
  });
});
