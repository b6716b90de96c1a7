import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exchangeCode,
  expectOAuthError,
  newClient,
  oauthTestApp,
  obtainCode,
  PageBrowser,
  type RegisteredClient,
  tokenRequest,
} from '../helpers/oauth-scenarios.ts';
import { type TestApp, testDialect } from '../helpers/test-app.ts';

// The token request's redirect_uri (OAuth 2.1 §4.1.3, RFC 6749 §4.1.3): REQUIRED when the
// authorization request included one, and identical to it. Missing is invalid_request ("missing a
// required parameter", RFC 6749 §5.2); different is invalid_grant ("does not match the redirection
// URI used in the authorization request", §5.2, S8). Neither consumes the code. An authorization
// request without one (allowed with one registered URI, OAuth 2.1 §4.1.1) lets the token request
// omit it too.

describe(`S8: the code exchange repeats the authorization request's redirect_uri exactly [${testDialect}]`, () => {
  let t: TestApp;
  let client: RegisteredClient;
  let browser: PageBrowser;
  const redirectUri = 'http://127.0.0.1:50123/callback';

  beforeAll(async () => {
    t = await oauthTestApp();
    client = await newClient(t, { redirect_uris: ['http://127.0.0.1/callback'] });
    browser = new PageBrowser(t.app);
  });
  afterAll(async () => t.close());

  const exchange = (code: string, verifier: string, extra: Record<string, string>) =>
    tokenRequest(t.app, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: client.client_id,
      ...extra,
    });

  it('S8: a token request without redirect_uri is invalid_request when the authorization request had one, and the code survives', async () => {
    const { code, verifier } = await obtainCode(t, { clientId: client.client_id, redirectUri, browser });
    await expectOAuthError(await exchange(code, verifier, {}), 400, 'invalid_request');
    // Only the missing parameter stopped it: the same code, completed, works once.
    await exchangeCode(t, { clientId: client.client_id, code, verifier, redirectUri });
  });

  it('S8: a redirect_uri differing in any character is invalid_grant, and the code survives', async () => {
    const { code, verifier } = await obtainCode(t, { clientId: client.client_id, redirectUri, browser });
    for (const other of [
      'http://127.0.0.1:50124/callback', // another port: the loopback leeway is for /authorize only
      'http://127.0.0.1/callback', // the registered URI itself, not the one the request used
      'http://127.0.0.1:50123/callback/',
      'http://127.0.0.1:50123/Callback',
      'http://127.0.0.1:50123/%63allback',
      'http://localhost:50123/callback',
      `${redirectUri}?x=1`,
      '',
    ]) {
      const res = await exchange(code, verifier, { redirect_uri: other });
      const body = await res.json();
      expect({ other, status: res.status, error: body.error }).toEqual({
        other,
        status: 400,
        error: 'invalid_grant',
      });
    }
    await exchangeCode(t, { clientId: client.client_id, code, verifier, redirectUri });
  });

  it('an authorization request without redirect_uri (one registered) lets the token request omit it or name that one URI, nothing else', async () => {
    const single = await newClient(t, { redirect_uris: ['http://127.0.0.1:50200/only'] });
    const codeFor = async () =>
      obtainCode(t, {
        clientId: single.client_id,
        redirectUri: 'http://127.0.0.1:50200/only',
        browser,
        extra: { redirect_uri: undefined },
      });
    const omitted = await codeFor();
    // The answer went to the registered URI.
    expect(`${omitted.callback.origin}${omitted.callback.pathname}`).toBe('http://127.0.0.1:50200/only');
    const ok = await tokenRequest(t.app, {
      grant_type: 'authorization_code',
      code: omitted.code,
      code_verifier: omitted.verifier,
      client_id: single.client_id,
    });
    expect(ok.status, await ok.clone().text()).toBe(200);

    const named = await codeFor();
    const wrong = await tokenRequest(t.app, {
      grant_type: 'authorization_code',
      code: named.code,
      code_verifier: named.verifier,
      client_id: single.client_id,
      redirect_uri: 'http://127.0.0.1:50201/only',
    });
    await expectOAuthError(wrong, 400, 'invalid_grant');
    await exchangeCode(t, {
      clientId: single.client_id,
      code: named.code,
      verifier: named.verifier,
      redirectUri: 'http://127.0.0.1:50200/only',
    });
  });
});
