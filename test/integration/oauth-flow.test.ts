import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/services/users.ts';
import {
  authorizeInBrowser,
  PageBrowser,
  pkcePair,
  registerClient,
  tokenRequest,
} from '../helpers/oauth-driver.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

describe(`OAuth authorization code flow over HTTP [${testDialect}]`, () => {
  let t: TestApp;
  const alice = { email: 'alice@example.com', password: 'correct horse battery' };
  beforeAll(async () => {
    t = await createTestApp({ env: { SIGNIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    await createUser(t.deps, { ...alice, name: 'Alice' });
  });
  afterAll(async () => t.close());

  it('registers, signs in, consents, exchanges the code and refreshes', async () => {
    const reg = await registerClient(t.app, {
      client_name: 'Flow Test',
      redirect_uris: ['http://127.0.0.1/callback'],
    });
    expect(reg.status).toBe(201);
    const client = await reg.json();
    expect(client.client_id).toMatch(/^oc_/);

    const { verifier, challenge } = pkcePair();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: 'http://127.0.0.1:49152/callback',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'xyz',
      scope: 'mcp:tools openid',
    });
    const browser = new PageBrowser(t.app);
    const callback = await authorizeInBrowser(browser, `/authorize?${query}`, alice);
    expect(callback.origin).toBe('http://127.0.0.1:49152');
    expect(callback.searchParams.get('state')).toBe('xyz');
    expect(callback.searchParams.get('iss')).toBe('http://localhost:3000');
    const code = callback.searchParams.get('code')!;
    expect(code).toBeTruthy();

    const res = await tokenRequest(t.app, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: client.client_id,
      redirect_uri: 'http://127.0.0.1:49152/callback',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = await res.json();
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'mcp:tools' });
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(decodeJwt(tokens.access_token)).toMatchObject({
      iss: 'http://localhost:3000',
      aud: 'http://localhost:3000/mcp',
      client_id: client.client_id,
      scope: 'mcp:tools',
    });

    const refreshed = await tokenRequest(t.app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: client.client_id,
    });
    expect(refreshed.status).toBe(200);
    const next = await refreshed.json();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);

    // A second authorization of the same client reuses the grant without asking again.
    const again = pkcePair();
    const second = await authorizeInBrowser(
      browser,
      `/authorize?${new URLSearchParams({ ...Object.fromEntries(query), code_challenge: again.challenge })}`,
      alice,
    );
    expect(second.searchParams.get('code')).toBeTruthy();
  });
});
