import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayableIcon, scopeDescription } from '../../src/http/dashboard/connections.tsx';
import { createDashboard } from '../../src/http/dashboard/index.ts';
import { createAuthPages } from '../../src/http/pages/auth-pages.tsx';
import { userWithKey } from '../helpers/builders.ts';
import { authorizeInBrowser } from '../helpers/oauth-driver.ts';
import {
  ALICE,
  authorizeParams,
  authorizePath,
  exchangeCode,
  grantIdOf,
  newClient,
  oauthTestApp,
  refresh,
} from '../helpers/oauth-scenarios.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import type { TestApp } from '../helpers/test-app.ts';

// Account Settings: Profile, Developers (API keys shown once, used against the REST API, rotated,
// revoked by typing REVOKE) and Connections (Connected Apps authorized through the real OAuth flow,
// revoked by typing the application's name, which cuts that client off and leaves the other).

const PASSWORD = 'correct horse battery';
let t: TestApp;
let app: Hono;
let ipCounter = 0;

function dashboardApp(test: TestApp): Hono {
  const root = new Hono();
  root.route('/', createAuthPages(test.deps, test.limiter));
  root.route('/', createDashboard(test.deps));
  root.route('/', test.app);
  return root;
}

function browser(): PageBrowser {
  ipCounter += 1;
  return new PageBrowser(app, `198.51.100.${ipCounter}`);
}

async function signedIn(email: string, password = PASSWORD): Promise<PageBrowser> {
  const b = browser();
  const csrf = await b.csrfFrom('/signin');
  const res = await b.post('/signin', { csrf, email, password, return_to: '/' });
  expect(res.status).toBe(303);
  return b;
}

async function page(b: PageBrowser, path: string): Promise<{ html: string; csrf: string }> {
  const res = await b.get(path);
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(200);
  return { html, csrf: hiddenValue(html, 'csrf') };
}

async function me(secret: string): Promise<Response> {
  return await app.request('/api/v1/public/me', { headers: { authorization: `Bearer ${secret}` } });
}

const KEY = /value="(uspl_[A-Za-z0-9_-]{43})"/;

beforeAll(async () => {
  t = await oauthTestApp();
  app = dashboardApp(t);
});

afterAll(async () => {
  await t.close();
});

describe('Profile', () => {
  it('shows the name and email; signed out it sends the browser to sign in', async () => {
    const who = await userWithKey(t.deps, 'Profiled');
    const b = await signedIn(who.email);
    const { html } = await page(b, '/account');
    expect(html).toContain('Profiled');
    expect(html).toContain(who.email);
    expect(html).toContain('None yet: ask a workspace owner or admin for an invitation.');
    const anon = await browser().get('/account/developers');
    expect(anon.status).toBe(302);
    expect(anon.headers.get('location')).toBe(
      `/signin?return_to=${encodeURIComponent('/account/developers')}`,
    );
  });
});

describe('Developers: API keys', () => {
  it('create shows the key once; it works on the REST API; rotate kills the old one; typing REVOKE kills the new one', async () => {
    const who = await userWithKey(t.deps, 'dev');
    const b = await signedIn(who.email);
    let view = await page(b, '/account/developers');
    // The builder's key is listed masked.
    expect(view.html).toContain(`uspl_…${who.secret.slice(-4)}`);
    expect(view.html).not.toContain(who.secret);

    const created = await b.post('/account/developers', {
      csrf: view.csrf,
      name: 'CI export',
      expiry: '30d',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const createdHtml = await created.text();
    const secret = KEY.exec(createdHtml)?.[1];
    expect(secret).toBeTruthy();
    expect(createdHtml).toContain(`data-copy="${secret}"`);
    expect(createdHtml).toContain('it will not be shown again');

    // Shown once: the list shows only the masked form.
    view = await page(b, '/account/developers');
    expect(view.html).not.toContain(secret!);
    expect(view.html).toContain(`uspl_…${secret!.slice(-4)}`);
    expect(view.html).toContain('CI export');
    expect(view.html).toContain('>Active<');
    expect((await me(secret!)).status).toBe(200);

    const key = await t.store.db
      .selectFrom('api_keys')
      .select(['id', 'expires_at', 'created_at'])
      .where('user_id', '=', who.user.id)
      .where('name', '=', 'CI export')
      .executeTakeFirstOrThrow();
    expect(Number(key.expires_at) - Number(key.created_at)).toBe(30 * 86_400_000);

    const rotated = await b.post(`/account/developers/${key.id}/rotate`, { csrf: view.csrf });
    expect(rotated.status).toBe(201);
    const rotatedSecret = KEY.exec(await rotated.text())?.[1];
    expect(rotatedSecret).toBeTruthy();
    expect(rotatedSecret).not.toBe(secret);
    expect((await me(secret!)).status).toBe(401);
    expect((await me(rotatedSecret!)).status).toBe(200);

    const newKey = await t.store.db
      .selectFrom('api_keys')
      .select('id')
      .where('user_id', '=', who.user.id)
      .where('name', '=', 'CI export')
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    for (const attempt of ['revoke', 'REVOKE ', '', 'Revoke']) {
      const refused = await b.post(`/account/developers/${newKey.id}/revoke`, {
        csrf: view.csrf,
        confirm: attempt,
      });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('Type REVOKE in capitals');
    }
    expect((await me(rotatedSecret!)).status).toBe(200);

    const revoked = await b.post(`/account/developers/${newKey.id}/revoke`, {
      csrf: view.csrf,
      confirm: 'REVOKE',
    });
    expect(revoked.status).toBe(303);
    view = await page(b, revoked.headers.get('location')!);
    expect(view.html).toContain('API key revoked');
    expect(view.html).not.toContain(`uspl_…${rotatedSecret!.slice(-4)}`);
    expect((await me(rotatedSecret!)).status).toBe(401);
  });

  it("another user's key can be neither rotated nor revoked from my page", async () => {
    const victim = await userWithKey(t.deps, 'victim');
    const attacker = await userWithKey(t.deps, 'attacker');
    const b = await signedIn(attacker.email);
    const { csrf } = await page(b, '/account/developers');
    expect((await b.post(`/account/developers/${victim.key.id}/rotate`, { csrf })).status).toBe(404);
    expect(
      (await b.post(`/account/developers/${victim.key.id}/revoke`, { csrf, confirm: 'REVOKE' })).status,
    ).toBe(404);
    expect((await me(victim.secret)).status).toBe(200);
  });

  it('the create form goes away at three live keys, and a forced fourth is refused', async () => {
    const who = await userWithKey(t.deps, 'busy');
    const b = await signedIn(who.email);
    let view = await page(b, '/account/developers');
    for (const name of ['two', 'three']) {
      expect((await b.post('/account/developers', { csrf: view.csrf, name, expiry: 'never' })).status).toBe(
        201,
      );
    }
    view = await page(b, '/account/developers');
    expect(view.html).not.toContain('action="/account/developers"');
    expect(view.html).toContain('Revoke one to create another');
    const fourth = await b.post('/account/developers', { csrf: view.csrf, name: 'four', expiry: '7d' });
    expect(fourth.status).toBe(403);
    expect(KEY.test(await fourth.text())).toBe(false);
    const bad = await b.post('/account/developers', { csrf: view.csrf, name: 'x', expiry: '365d' });
    expect(bad.status).toBe(400);
  });

  it('without the CSRF token nothing is created or revoked (S28)', async () => {
    const who = await userWithKey(t.deps, 'csrf');
    const b = await signedIn(who.email);
    await page(b, '/account/developers');
    expect((await b.post('/account/developers', { name: 'x', expiry: '7d' })).status).toBe(403);
    expect((await b.post(`/account/developers/${who.key.id}/revoke`, { confirm: 'REVOKE' })).status).toBe(
      403,
    );
    expect((await me(who.secret)).status).toBe(200);
    const keys = await t.store.db
      .selectFrom('api_keys')
      .select('id')
      .where('user_id', '=', who.user.id)
      .execute();
    expect(keys).toHaveLength(1);
  });
});

describe('Connections: Connected Apps', () => {
  /** Registers a client and connects it through /authorize with this browser (already signed in). */
  async function connect(b: PageBrowser, name: string) {
    const redirectUri = 'http://127.0.0.1:50123/callback';
    const client = await newClient(t, { client_name: name, redirect_uris: ['http://127.0.0.1/callback'] });
    const { params, verifier } = authorizeParams(client.client_id, redirectUri);
    const callback = await authorizeInBrowser(b, authorizePath(params), ALICE);
    const code = callback.searchParams.get('code');
    expect(code, callback.toString()).toBeTruthy();
    const tokens = await exchangeCode(t, { clientId: client.client_id, code: code!, verifier, redirectUri });
    return { client, tokens, grantId: grantIdOf(tokens.access_token) };
  }

  it('shows the empty state with the MCP URL, then two clients Active; revoking one by its name cuts only it off', async () => {
    const b = await signedIn(ALICE.email, ALICE.password);
    let view = await page(b, '/account/connections');
    expect(view.html).toContain('No AI application is connected to your account yet.');
    for (const name of ['Claude', 'Cursor', 'VS Code', 'ChatGPT']) expect(view.html).toContain(name);
    expect(view.html).toContain('value="http://localhost:3000/mcp"');
    expect(view.html).toContain('data-copy="http://localhost:3000/mcp"');

    const first = await connect(b, 'Research Agent');
    const second = await connect(b, 'Other Tool');
    view = await page(b, '/account/connections');
    const row = (grantId: string) => {
      const start = view.html.indexOf(`data-grant="${grantId}"`);
      expect(start).toBeGreaterThan(-1);
      return view.html.slice(start, view.html.indexOf('</tr>', start));
    };
    for (const [c, name] of [
      [first, 'Research Agent'],
      [second, 'Other Tool'],
    ] as const) {
      const html = row(c.grantId);
      expect(html).toContain(name);
      expect(html).toContain('>Active<');
      expect(html).toContain('<code>mcp:tools</code>');
      expect(html).toMatch(/title="mcp:tools: Use the Userplane MCP tools/);
      expect(html).toContain('Revoke Access');
      // No logo: the initial stands in.
      expect(html).toContain(`>${name[0]}</span>`);
    }

    const wrong = await b.post(`/account/connections/${first.grantId}/revoke`, {
      csrf: view.csrf,
      confirm: 'research agent',
    });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Type the application&#39;s name exactly (Research Agent)');
    // Still connected: its refresh token works (and rotates; keep the new one).
    const stillOk = await refresh(t, first.client.client_id, first.tokens.refresh_token);
    expect(stillOk.status).toBe(200);
    const liveRefresh = ((await stillOk.json()) as { refresh_token: string }).refresh_token;

    view = await page(b, '/account/connections');
    const revoked = await b.post(`/account/connections/${first.grantId}/revoke`, {
      csrf: view.csrf,
      confirm: 'Research Agent',
    });
    expect(revoked.status).toBe(303);
    view = await page(b, revoked.headers.get('location')!);
    expect(view.html).toContain('Access revoked');
    expect(row(first.grantId)).toContain('>Inactive<');
    expect(row(first.grantId)).not.toContain('Revoke Access');
    expect(row(second.grantId)).toContain('>Active<');

    // The revoked client's refresh tokens are refused; the other client keeps working.
    const cut = await refresh(t, first.client.client_id, liveRefresh);
    expect(cut.status).toBe(400);
    expect((await cut.json()).error).toBe('invalid_grant');
    expect((await refresh(t, second.client.client_id, second.tokens.refresh_token)).status).toBe(200);
  });

  it("another user's grant cannot be revoked from my page", async () => {
    const alice = await signedIn(ALICE.email, ALICE.password);
    const mine = await connect(alice, 'Alice Tool');
    const other = await userWithKey(t.deps, 'mallory');
    const b = await signedIn(other.email);
    const { csrf, html } = await page(b, '/account/connections');
    expect(html).not.toContain('Alice Tool');
    const res = await b.post(`/account/connections/${mine.grantId}/revoke`, { csrf, confirm: 'Alice Tool' });
    expect(res.status).toBe(404);
    expect((await refresh(t, mine.client.client_id, mine.tokens.refresh_token)).status).toBe(200);
  });

  it('shows icons only from our own origin or data: URLs (the CSP blocks the rest), and the full scope on hover', () => {
    const base = 'http://localhost:3000';
    expect(displayableIcon('https://cdn.example.com/logo.png', base)).toBeNull();
    expect(displayableIcon('http://localhost:3000/assets/logo.png', base)).toBe(
      'http://localhost:3000/assets/logo.png',
    );
    expect(displayableIcon('data:image/png;base64,iVBORw0KGgo=', base)).toBe(
      'data:image/png;base64,iVBORw0KGgo=',
    );
    expect(displayableIcon('data:text/html,<script>', base)).toBeNull();
    expect(displayableIcon('javascript:alert(1)', base)).toBeNull();
    expect(displayableIcon(null, base)).toBeNull();
    expect(scopeDescription('mcp:tools')).toMatch(/^mcp:tools: Use the Userplane MCP tools/);
  });
});
