import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINDING_COOKIE } from '../../src/http/oauth/authorize.tsx';
import { authorizeInBrowser } from '../helpers/oauth-driver.ts';
import {
  ALICE,
  authorizeParams,
  authorizePath,
  exchangeCode,
  ISSUER,
  MCP_URL,
  newClient,
  oauthTestApp,
  obtainCode,
  PageBrowser,
} from '../helpers/oauth-scenarios.ts';
import { hiddenValue } from '../helpers/page-browser.ts';
import { type TestApp, testDialect } from '../helpers/test-app.ts';

const CLAUDE_CODE_CIMD = 'https://claude.ai/oauth/claude-code-client-metadata';

/** A browser that has signed Alice in through the real form. */
async function signedIn(t: TestApp, ip?: string): Promise<PageBrowser> {
  const browser = new PageBrowser(t.app, ip);
  const csrf = await browser.csrfFrom('/signin');
  const res = await browser.post('/signin', {
    email: ALICE.email,
    password: ALICE.password,
    csrf,
    return_to: '/',
  });
  expect(res.status).toBe(303);
  return browser;
}

/** Expects a local error page: the given status, HTML, and no redirect anywhere. */
async function expectLocalErrorPage(res: Response, status = 400): Promise<string> {
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(status);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  return html;
}

/** Expects a 302 error response to the client's redirect URI, with state and iss (S34). */
function expectErrorRedirect(res: Response, redirectUri: string, error: string, state?: string): URL {
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  expect(location.searchParams.get('error')).toBe(error);
  expect(location.searchParams.get('iss')).toBe(ISSUER);
  expect(location.searchParams.get('code')).toBeNull();
  if (state !== undefined) expect(location.searchParams.get('state')).toBe(state);
  return location;
}

describe(`OAuth authorization endpoint [${testDialect}]`, () => {
  let t: TestApp;
  const documents = new Map<string, unknown>([
    [
      CLAUDE_CODE_CIMD,
      {
        client_id: CLAUDE_CODE_CIMD,
        client_name: 'Claude',
        redirect_uris: ['http://localhost/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
    ],
  ]);
  beforeAll(async () => {
    t = await oauthTestApp({
      fetchMetadataDocument: async (
        url,
      ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> => {
        const doc = documents.get(url);
        if (!doc) return { status: 404, headers: {}, body: Buffer.from('not found') };
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify(doc)),
        };
      },
    });
  });
  afterAll(async () => t.close());

  describe('S1, S2: redirect URI matching', () => {
    it('S1: a redirect_uri differing in any character gets a local 400 page, never a redirect', async () => {
      const registered = 'https://app.example.com/oauth/callback?tenant=1';
      const client = await newClient(t, { redirect_uris: [registered] });
      const browser = await signedIn(t);
      const variants = [
        'https://app.example.com/oauth/callbacK?tenant=1',
        'https://app.example.com/oauth/callback?tenant=2',
        'https://app.example.com/oauth/callback?tenant=1&x=1',
        'https://app.example.com/oauth/callback',
        'https://app.example.com/oauth/callback/?tenant=1',
        'https://app.example.com:443/oauth/callback?tenant=1',
        'https://app.example.com:8443/oauth/callback?tenant=1',
        'https://APP.example.com/oauth/callback?tenant=1',
        'https://app.example.com./oauth/callback?tenant=1',
        'http://app.example.com/oauth/callback?tenant=1',
        'https://app.example.com.evil.example/oauth/callback?tenant=1',
        'https://evil.example/oauth/callback?tenant=1',
        `${registered}#frag`,
        `${registered} `,
      ];
      for (const redirectUri of variants) {
        const { params } = authorizeParams(client.client_id, redirectUri);
        const html = await expectLocalErrorPage(await browser.get(authorizePath(params)));
        expect(html).toContain('Invalid redirect address');
      }
      // Even a request that is bad in other ways too is a local page, not an error redirect.
      const { params } = authorizeParams(client.client_id, 'https://evil.example/cb', {
        code_challenge: undefined,
        response_type: 'token',
      });
      await expectLocalErrorPage(await browser.get(authorizePath(params)));
      // An unknown client is a local page too.
      const unknown = authorizeParams('oc_no_such_client', registered).params;
      await expectLocalErrorPage(await browser.get(authorizePath(unknown)));
      // The exact URI works.
      const ok = await browser.get(authorizePath(authorizeParams(client.client_id, registered).params));
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('name="decision"');
    });

    it('S2: loopback redirect URIs match on any port', async () => {
      const client = await newClient(t, {
        redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]:8080/cb', 'http://localhost/cb?x=1'],
      });
      const browser = await signedIn(t);
      for (const redirectUri of [
        'http://127.0.0.1/callback',
        'http://127.0.0.1:1/callback',
        'http://127.0.0.1:49152/callback',
        'http://127.0.0.1:65535/callback',
        'http://[::1]/cb',
        'http://[::1]:33418/cb',
        'http://localhost:5173/cb?x=1',
      ]) {
        const { code, callback } = await obtainCode(t, { clientId: client.client_id, redirectUri, browser });
        expect(code).toBeTruthy();
        expect(`${callback.protocol}//${callback.host}${callback.pathname}`).toBe(
          redirectUri.replace(/\?.*$/, ''),
        );
      }
    });

    it('S2: loopback scheme, host, path and query must still match exactly', async () => {
      const client = await newClient(t, {
        redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/cb?x=1'],
      });
      const browser = await signedIn(t);
      for (const redirectUri of [
        'https://127.0.0.1:8080/callback',
        'http://localhost:8080/callback',
        'http://[::1]:8080/callback',
        'http://127.0.0.2:8080/callback',
        'http://127.0.0.1:8080/callback/',
        'http://127.0.0.1:8080/Callback',
        'http://127.0.0.1:8080/callback?x=1',
        'http://localhost:8080/cb',
        'http://localhost:8080/cb?x=2',
        'http://localhost:8080/cb?x=1&y=2',
        'http://127.0.0.1:99999/callback',
        'http://127.0.0.1:8080@evil.example/callback',
      ]) {
        const { params } = authorizeParams(client.client_id, redirectUri);
        await expectLocalErrorPage(await browser.get(authorizePath(params)));
      }
    });
  });

  describe('S4, S5: redirects', () => {
    it('S5: sign-in and consent POSTs answer 303; the authorization response is a 302 with code, state and iss', async () => {
      const client = await newClient(t);
      const redirectUri = 'http://127.0.0.1:40001/callback';
      const { params } = authorizeParams(client.client_id, redirectUri, { state: 'state-S5' });
      const browser = new PageBrowser(t.app);

      const start = await browser.get(authorizePath(params));
      expect(start.status).toBe(302);
      const signinPath = start.headers.get('location')!;
      expect(signinPath).toMatch(/^\/signin\?return_to=/);

      const signinPage = await browser.get(signinPath);
      const signinHtml = await signinPage.text();
      const signin = await browser.post('/signin', {
        email: ALICE.email,
        password: ALICE.password,
        csrf: hiddenValue(signinHtml, 'csrf'),
        return_to: hiddenValue(signinHtml, 'return_to'),
      });
      expect(signin.status).toBe(303);
      const resume = signin.headers.get('location')!;
      expect(resume).toMatch(/^\/authorize\/resume\?pending=/);

      const consentPage = await browser.get(resume);
      expect(consentPage.status).toBe(200);
      const consentHtml = await consentPage.text();
      const decision = await browser.post('/authorize/decision', {
        pending: hiddenValue(consentHtml, 'pending'),
        csrf: hiddenValue(consentHtml, 'csrf'),
        decision: 'allow',
      });
      expect(decision.status).toBe(303);
      const after = decision.headers.get('location')!;
      expect(after).toMatch(/^\/authorize\/resume\?pending=/);

      const answer = await browser.get(after);
      expect(answer.status).toBe(302);
      const callback = new URL(answer.headers.get('location')!);
      expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
      expect(callback.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(callback.searchParams.get('state')).toBe('state-S5');
      expect(callback.searchParams.get('iss')).toBe(ISSUER);
    });

    it('S4: the sign-in redirect from /authorize carries a same-origin return_to path', async () => {
      const client = await newClient(t);
      const { params } = authorizeParams(client.client_id, 'http://127.0.0.1:40002/callback');
      const res = await new PageBrowser(t.app).get(authorizePath(params));
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect(location.startsWith('/') && !location.startsWith('//')).toBe(true);
      const returnTo = new URL(location, ISSUER).searchParams.get('return_to')!;
      expect(returnTo).toMatch(/^\/authorize\/resume\?pending=[A-Za-z0-9_-]+$/);
      expect(new URL(returnTo, ISSUER).origin).toBe(ISSUER);
    });

    it('S4: no endpoint redirects to an absolute URL taken from a parameter', async () => {
      const hostile = [
        'https://evil.example/',
        '//evil.example/',
        '/\\evil.example/',
        '\\\\evil.example',
        '/\t/evil.example',
        'javascript:alert(1)',
        'https:evil.example',
        'http://localhost:3000.evil.example/',
      ];
      for (const returnTo of hostile) {
        // The sign-in page does not carry it into its form …
        const browser = new PageBrowser(t.app);
        const page = await browser.get(`/signin?return_to=${encodeURIComponent(returnTo)}`);
        const html = await page.text();
        expect(hiddenValue(html, 'return_to')).toBe('/');
        // … and a sign-in POST with it goes home instead.
        const res = await browser.post('/signin', {
          email: ALICE.email,
          password: ALICE.password,
          csrf: hiddenValue(html, 'csrf'),
          return_to: returnTo,
        });
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/');
        // Sign-out goes to the sign-in page, whatever it is sent.
        const csrf = await browser.csrfFrom('/signout');
        const out = await browser.post(`/signout?return_to=${encodeURIComponent(returnTo)}`, {
          csrf,
          return_to: returnTo,
        });
        expect(out.status).toBe(303);
        expect(out.headers.get('location')).toBe('/signin');
      }
      // The consent decision without a session goes to our sign-in page, with a path to come back to.
      const stranger = new PageBrowser(t.app);
      const csrf = await stranger.csrfFrom('/signin');
      const decision = await stranger.post('/authorize/decision', {
        pending: 'https://evil.example/',
        csrf,
        decision: 'allow',
      });
      expect(decision.status).toBe(303);
      const location = decision.headers.get('location')!;
      expect(location).toMatch(/^\/signin\?return_to=%2Fauthorize%2Fresume%3Fpending%3D/);
      expect(new URL(location, ISSUER).origin).toBe(ISSUER);
      // The parameter only ever ends up inside our own path, never as the target.
      const back = new URL(location, ISSUER).searchParams.get('return_to')!;
      expect(new URL(back, ISSUER).origin).toBe(ISSUER);
      expect(new URL(back, ISSUER).pathname).toBe('/authorize/resume');
      // An authorization request naming a foreign redirect_uri is answered locally (S1).
      const client = await newClient(t);
      const { params } = authorizeParams(client.client_id, 'https://evil.example/cb');
      await expectLocalErrorPage(await (await signedIn(t)).get(authorizePath(params)));
    });
  });

  describe('S6, S33, S34: refused requests go back to the client with iss', () => {
    const redirectUri = 'http://127.0.0.1:40003/callback';

    it('S6: no code_challenge, method plain or a missing method → invalid_request error redirect', async () => {
      const client = await newClient(t);
      const browser = await signedIn(t);
      const cases: Record<string, string | undefined>[] = [
        { code_challenge: undefined },
        { code_challenge: undefined, code_challenge_method: undefined },
        { code_challenge_method: 'plain' },
        { code_challenge_method: undefined },
        { code_challenge_method: 's256' },
        { code_challenge: 'too-short' },
      ];
      for (const extra of cases) {
        const { params } = authorizeParams(client.client_id, redirectUri, { ...extra, state: 'pkce' });
        const res = await browser.get(authorizePath(params));
        expectErrorRedirect(res, redirectUri, 'invalid_request', 'pkce');
      }
      // With S256 the same browser goes straight to consent.
      const ok = await browser.get(authorizePath(authorizeParams(client.client_id, redirectUri).params));
      expect(ok.status).toBe(200);
    });

    it('S6: metadata advertises exactly ["S256"]', async () => {
      const res = await t.request('/.well-known/oauth-authorization-server');
      expect((await res.json()).code_challenge_methods_supported).toEqual(['S256']);
    });

    it('S33: response_type=token (and anything but code) is refused', async () => {
      const client = await newClient(t);
      const browser = await signedIn(t);
      for (const responseType of ['token', 'code token', 'id_token', undefined]) {
        const { params } = authorizeParams(client.client_id, redirectUri, {
          response_type: responseType,
          state: 'rt',
        });
        const res = await browser.get(authorizePath(params));
        const location = expectErrorRedirect(res, redirectUri, 'unsupported_response_type', 'rt');
        // Nothing that looks like a token travels in the fragment or the query.
        expect(location.hash).toBe('');
        expect(location.searchParams.get('access_token')).toBeNull();
      }
    });

    it('S34: success and error redirects both carry iss; the metadata says so', async () => {
      const client = await newClient(t);
      const browser = new PageBrowser(t.app);
      // Deny → access_denied with iss.
      const { params: denyParams } = authorizeParams(client.client_id, redirectUri, { state: 'd' });
      const denied = await authorizeInBrowser(browser, authorizePath(denyParams), ALICE, 'deny');
      expect(denied.searchParams.get('error')).toBe('access_denied');
      expect(denied.searchParams.get('iss')).toBe(ISSUER);
      expect(denied.searchParams.get('state')).toBe('d');
      // Success → code with iss.
      const { callback } = await obtainCode(t, { clientId: client.client_id, redirectUri, browser });
      expect(callback.searchParams.get('iss')).toBe(ISSUER);
      // Errors found before sign-in: iss as well, with and without state.
      for (const extra of [
        { resource: 'https://evil.example/' },
        { code_challenge_method: 'plain', state: undefined },
      ]) {
        const { params } = authorizeParams(client.client_id, redirectUri, extra);
        const res = await new PageBrowser(t.app).get(authorizePath(params));
        expect(res.status).toBe(302);
        const location = new URL(res.headers.get('location')!);
        expect(location.searchParams.get('iss')).toBe(ISSUER);
        expect(location.searchParams.get('error')).toBeTruthy();
      }
      const meta = await (await t.request('/.well-known/oauth-authorization-server')).json();
      expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    });
  });

  describe('resource and scope', () => {
    const redirectUri = 'http://127.0.0.1:40004/callback';

    it('a missing resource defaults to PUBLIC_URL/mcp; one trailing slash is accepted', async () => {
      for (const resource of [undefined, MCP_URL, `${MCP_URL}/`]) {
        const client = await newClient(t);
        const { code, verifier } = await obtainCode(t, {
          clientId: client.client_id,
          redirectUri,
          extra: { resource },
        });
        const tokens = await exchangeCode(t, { clientId: client.client_id, code, verifier, redirectUri });
        expect(decodeJwt(tokens.access_token).aud).toBe(MCP_URL);
      }
    });

    it('a foreign resource → invalid_target error redirect', async () => {
      const client = await newClient(t);
      const browser = await signedIn(t);
      for (const resource of ['https://evil.example/mcp', `${MCP_URL}//`, `${ISSUER}/`, `${MCP_URL}/x`]) {
        const { params } = authorizeParams(client.client_id, redirectUri, { resource, state: 'r' });
        expectErrorRedirect(await browser.get(authorizePath(params)), redirectUri, 'invalid_target', 'r');
      }
    });

    it('unknown scopes (claudeai, openid, offline_access) are dropped and mcp:tools granted', async () => {
      for (const scope of [
        'claudeai',
        'openid offline_access',
        'claudeai openid offline_access mcp:tools',
        undefined,
      ]) {
        const client = await newClient(t);
        const browser = await signedIn(t);
        const { params } = authorizeParams(client.client_id, redirectUri, { scope });
        const consent = await browser.get(authorizePath(params));
        const html = await consent.text();
        expect(consent.status).toBe(200);
        expect(html).toContain('mcp:tools');
        expect(html).not.toContain('offline_access');
        expect(html).not.toContain('claudeai');
        const { code, verifier } = await obtainCode(t, {
          clientId: client.client_id,
          redirectUri,
          browser,
          extra: { scope },
        });
        const tokens = await exchangeCode(t, { clientId: client.client_id, code, verifier, redirectUri });
        expect(tokens.scope).toBe('mcp:tools');
        expect(decodeJwt(tokens.access_token).scope).toBe('mcp:tools');
      }
    });
  });

  describe('S26, S29: the consent screen', () => {
    it('S29: shows the name, the redirect host, the scope, and a loopback warning only for loopback', async () => {
      const client = await newClient(t, {
        client_name: 'Acme Notes',
        redirect_uris: ['https://notes.acme.example/oauth/cb', 'http://127.0.0.1/cb'],
      });
      const browser = await signedIn(t);
      const web = await browser.get(
        authorizePath(authorizeParams(client.client_id, 'https://notes.acme.example/oauth/cb').params),
      );
      const webHtml = await web.text();
      expect(web.status).toBe(200);
      expect(webHtml).toContain('Acme Notes');
      expect(webHtml).toContain('notes.acme.example');
      expect(webHtml).toContain('mcp:tools');
      expect(webHtml).toContain('Unverified');
      expect(webHtml).toContain('name="decision" value="allow"');
      expect(webHtml).toContain('name="decision" value="deny"');
      expect(webHtml).not.toContain('role="alert"');

      const loop = await browser.get(
        authorizePath(authorizeParams(client.client_id, 'http://127.0.0.1:41000/cb').params),
      );
      const loopHtml = await loop.text();
      expect(loopHtml).toContain('127.0.0.1');
      expect(loopHtml).toMatch(/role="alert"[^>]*>[^<]*this computer/);
    });

    it('S29: consent completed in a different browser is refused and records nothing', async () => {
      const client = await newClient(t, { client_name: 'Bound App' });
      const redirectUri = 'http://127.0.0.1:40005/callback';
      const mine = await signedIn(t, '203.0.113.20');
      const { params } = authorizeParams(client.client_id, redirectUri);
      const page = await mine.get(authorizePath(params));
      const html = await page.text();
      expect(page.status).toBe(200);
      const pending = hiddenValue(html, 'pending');
      expect(mine.cookies.has(BINDING_COOKIE)).toBe(true);

      // Another browser, signed in to the same account, lacks the binding cookie.
      const other = await signedIn(t, '198.51.100.7');
      expect(other.cookies.has(BINDING_COOKIE)).toBe(false);
      const otherCsrf = await other.csrfFrom('/signout');
      const forged = await other.post('/authorize/decision', { pending, csrf: otherCsrf, decision: 'allow' });
      await expectLocalErrorPage(forged, 403);
      await expectLocalErrorPage(
        await other.get(`/authorize/resume?pending=${encodeURIComponent(pending)}`),
        403,
      );
      // A made-up binding cookie does not help either.
      other.cookies.set(BINDING_COOKIE, 'A'.repeat(43));
      await expectLocalErrorPage(
        await other.post('/authorize/decision', { pending, csrf: otherCsrf, decision: 'allow' }),
        403,
      );

      const grants = await t.store.db
        .selectFrom('oauth_grants')
        .select('id')
        .where('client_id', '=', client.client_id)
        .execute();
      expect(grants).toHaveLength(0);
      // The browser that started it still sees the question, undecided.
      const again = await mine.get(`/authorize/resume?pending=${encodeURIComponent(pending)}`);
      expect(again.status).toBe(200);
      expect(await again.text()).toContain('name="decision"');
    });

    it('S26: DCR clients named "Claude" or "Cursor" are shown as "… (unverified)" and marked unverified', async () => {
      for (const name of ['Claude', 'Cursor', 'ChatGPT', 'VS Code']) {
        const client = await newClient(t, { client_name: name });
        expect(client.client_name).toBe(`${name} (unverified)`);
        const stored = await t.store.db
          .selectFrom('oauth_clients')
          .select(['client_name', 'verified_vendor'])
          .where('id', '=', client.client_id)
          .executeTakeFirstOrThrow();
        expect(stored).toEqual({ client_name: `${name} (unverified)`, verified_vendor: null });
        const browser = await signedIn(t);
        const res = await browser.get(
          authorizePath(authorizeParams(client.client_id, 'http://127.0.0.1:40006/callback').params),
        );
        const html = await res.text();
        expect(res.status).toBe(200);
        expect(html).toContain(`<div class="name">${name} (unverified)</div>`);
        expect(html).toContain('class="badge unverified"');
        expect(html).not.toContain('Verified:');
      }
    });

    it('S26: a CIMD client from https://claude.ai/… named Claude is shown as verified', async () => {
      const browser = await signedIn(t);
      const redirectUri = 'http://localhost:52000/callback';
      const res = await browser.get(authorizePath(authorizeParams(CLAUDE_CODE_CIMD, redirectUri).params));
      const html = await res.text();
      expect(res.status, html.slice(0, 300)).toBe(200);
      expect(html).toContain('<div class="name">Claude</div>');
      expect(html).not.toContain('(unverified)');
      expect(html).toContain('Verified: Anthropic');
      expect(html).not.toContain('class="badge unverified"');
      // And it completes: code, exchange, tokens for the CIMD client id.
      const { code, verifier } = await obtainCode(t, { clientId: CLAUDE_CODE_CIMD, redirectUri, browser });
      const tokens = await exchangeCode(t, { clientId: CLAUDE_CODE_CIMD, code, verifier, redirectUri });
      expect(decodeJwt(tokens.access_token).client_id).toBe(CLAUDE_CODE_CIMD);
    });
  });
});
