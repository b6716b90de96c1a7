import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/services/users.ts';
import { followFormsBrowser, type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { testDialect } from '../helpers/test-app.ts';

// oauth4webapi is strict about every response (content types, issuer comparisons, RFC 9207 iss,
// token response shape, RFC 9068 access tokens). It completes the whole flow against the real
// server on a real loopback port; `allowInsecureRequests` only because that issuer is http.

const alice = { email: 'alice@example.com', password: 'correct horse battery' };
const REDIRECT = 'http://127.0.0.1:48123/cb';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

type AuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

describe(`oauth4webapi against a listening server [${testDialect}]`, () => {
  let server: ListeningApp;
  let as: oauth.AuthorizationServer;
  let mcpUrl: string;

  beforeAll(async () => {
    server = await startListeningApp();
    mcpUrl = `${server.url}/mcp`;
    await createUser(server.t.deps, { ...alice, name: 'Alice' });
  });
  afterAll(async () => server.close());

  it('S6, S34: discovery is accepted (issuer, S256 only, iss parameter advertised)', async () => {
    const issuer = new URL(server.url);
    const res = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure });
    as = await oauth.processDiscoveryResponse(issuer, res);
    expect(as.issuer).toBe(server.url);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    expect(as.token_endpoint).toBe(`${server.url}/token`);
    expect(as.revocation_endpoint).toBe(`${server.url}/revoke`);

    // The OpenID discovery path serves the same OAuth fields, and oauth4webapi accepts it too.
    const oidc = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
    );
    expect(oidc.token_endpoint).toBe(as.token_endpoint);
  });

  async function register(method: AuthMethod) {
    if (!as) {
      const issuer = new URL(server.url);
      as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
      );
    }
    // oauth4webapi 3 has no registration helper: a plain RFC 7591 request.
    const res = await fetch(as.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        client_name: `oauth4webapi ${method}`,
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: method,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as {
      client_id: string;
      client_secret?: string;
      token_endpoint_auth_method: string;
    };
    expect(body.token_endpoint_auth_method).toBe(method);
    const client: oauth.Client = { client_id: body.client_id, token_endpoint_auth_method: method };
    const clientAuth =
      method === 'none'
        ? oauth.None()
        : method === 'client_secret_post'
          ? oauth.ClientSecretPost(body.client_secret!)
          : oauth.ClientSecretBasic(body.client_secret!);
    if (method !== 'none') expect(body.client_secret).toBeTruthy();
    else expect(body.client_secret).toBeUndefined();
    return { client, clientAuth };
  }

  async function authorize(client: oauth.Client, decision: 'allow' | 'deny' = 'allow') {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      scope: 'mcp:tools',
      state,
      resource: mcpUrl,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await followFormsBrowser(url, alice, { decision });
    return { verifier, state, callback };
  }

  for (const method of ['none', 'client_secret_post', 'client_secret_basic'] as const) {
    it(`S11, S16, S32, S34, S36: ${method}: authorize → code → refresh → revoke, every response accepted`, async () => {
      const { client, clientAuth } = await register(method);
      const { verifier, state, callback } = await authorize(client);

      // RFC 9207: validateAuthResponse demands iss because the metadata advertises it.
      expect(callback.searchParams.get('iss')).toBe(as.issuer);
      const params = oauth.validateAuthResponse(as, client, callback, state);

      const tokenRes = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth,
        params,
        REDIRECT,
        verifier,
        {
          additionalParameters: { resource: mcpUrl },
          ...insecure,
        },
      );
      expect(tokenRes.headers.get('cache-control')).toBe('no-store');
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, tokenRes);
      expect(tokens.token_type).toBe('bearer'); // oauth4webapi lower-cases it
      expect(tokens.scope).toBe('mcp:tools');
      expect(tokens.refresh_token).toBeTruthy();
      expect(tokens.expires_in).toBeGreaterThan(0);

      // RFC 9068 validation as a resource server would do it (typ at+jwt, iss, aud, exp, claims).
      const claims = await oauth.validateJwtAccessToken(
        as,
        new Request(mcpUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
        mcpUrl,
        { ...insecure, signingAlgorithms: ['ES256'] },
      );
      expect(claims).toMatchObject({
        iss: as.issuer,
        aud: mcpUrl,
        client_id: client.client_id,
        scope: 'mcp:tools',
      });
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(3600);

      const refreshRes = await oauth.refreshTokenGrantRequest(
        as,
        client,
        clientAuth,
        tokens.refresh_token!,
        insecure,
      );
      const refreshed = await oauth.processRefreshTokenResponse(as, client, refreshRes);
      expect(refreshed.refresh_token).toBeTruthy();
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect(refreshed.scope).toBe('mcp:tools');
      const refreshedClaims = await oauth.validateJwtAccessToken(
        as,
        new Request(mcpUrl, { headers: { authorization: `Bearer ${refreshed.access_token}` } }),
        mcpUrl,
        insecure,
      );
      expect(refreshedClaims.aud).toBe(mcpUrl);

      const revokeRes = await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token!, {
        additionalParameters: { token_type_hint: 'refresh_token' },
        ...insecure,
      });
      expect(revokeRes.headers.get('cache-control')).toBe('no-store');
      await expect(oauth.processRevocationResponse(revokeRes)).resolves.toBeUndefined();

      // Revoking the refresh token ended the grant: refreshing with it now fails with invalid_grant.
      const after = await oauth.refreshTokenGrantRequest(
        as,
        client,
        clientAuth,
        refreshed.refresh_token!,
        insecure,
      );
      const failure = await oauth.processRefreshTokenResponse(as, client, after).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(oauth.ResponseBodyError);
      expect((failure as oauth.ResponseBodyError).error).toBe('invalid_grant');
    });
  }

  it('S34: a denied authorization is an access_denied response that still carries iss and state', async () => {
    const { client } = await register('none');
    const { state, callback } = await authorize(client, 'deny');
    expect(callback.searchParams.get('iss')).toBe(as.issuer);
    const error = (() => {
      try {
        oauth.validateAuthResponse(as, client, callback, state);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect((error as oauth.AuthorizationResponseError).error).toBe('access_denied');
  });

  it('S36: an unknown token revokes with 200, which oauth4webapi accepts', async () => {
    const { client, clientAuth } = await register('none');
    const res = await oauth.revocationRequest(as, client, clientAuth, 'not-a-token-we-issued', insecure);
    expect(res.status).toBe(200);
    await expect(oauth.processRevocationResponse(res)).resolves.toBeUndefined();
  });
});
