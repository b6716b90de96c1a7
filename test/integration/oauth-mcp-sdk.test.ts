import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/services/deps.ts';
import { createUser } from '../../src/services/users.ts';
import { followFormsBrowser, type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { testDialect } from '../helpers/test-app.ts';

// The MCP SDK's own client (`auth()`) against the real server on a real port: discovery, DCR or
// CIMD, PKCE, the real sign-in and consent forms over HTTP, code exchange and refresh.

const alice = { email: 'alice@example.com', password: 'correct horse battery' };
const REDIRECT = 'http://127.0.0.1:53682/oauth/callback';
const CIMD_URL = 'https://client.example.com/oauth/metadata.json';

type Hop = { method: string; url: string; status: number; location: string | null };

/** An in-memory OAuthClientProvider whose "browser" follows the real forms over HTTP. */
class FormsProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  callback: URL | undefined;
  readonly states: string[] = [];
  readonly hops: Hop[] = [];
  readonly invalidated: string[] = [];
  clientMetadataUrl?: string;

  constructor(
    private readonly metadata: OAuthClientMetadata,
    clientMetadataUrl?: string,
  ) {
    if (clientMetadataUrl) this.clientMetadataUrl = clientMetadataUrl;
  }

  get redirectUrl(): string {
    return REDIRECT;
  }
  get clientMetadata(): OAuthClientMetadata {
    return this.metadata;
  }
  state(): string {
    const value = `st-${this.states.length}-${Math.random().toString(36).slice(2)}`;
    this.states.push(value);
    return value;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'client') this.info = undefined;
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
  }
  async redirectToAuthorization(authorizationUrl: URL) {
    this.callback = await followFormsBrowser(authorizationUrl, alice, { hops: this.hops });
  }

  /** The code from the last callback, after checking it answers our request (state, iss). */
  codeFor(issuer: string): string {
    const cb = this.callback;
    if (!cb) throw new Error('no callback');
    expect(`${cb.origin}${cb.pathname}`).toBe(REDIRECT);
    expect(cb.searchParams.get('state')).toBe(this.states.at(-1));
    expect(cb.searchParams.get('iss')).toBe(issuer);
    const code = cb.searchParams.get('code');
    expect(code).toBeTruthy();
    return code!;
  }
}

const dcrMetadata: OAuthClientMetadata = {
  client_name: 'SDK Test Client',
  redirect_uris: [REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  scope: 'mcp:tools',
};

/** Records every path the server was asked for (in front of the app, in the test server only). */
function recorder(seen: string[], withPrm: boolean) {
  return (app: import('hono').Hono, url: string) => {
    app.use('*', async (c, next) => {
      seen.push(`${c.req.method} ${c.req.path}`);
      await next();
    });
    if (withPrm) {
      // The MCP issue (not built yet) owns protected-resource metadata; this stands in for it.
      app.get('/.well-known/oauth-protected-resource/mcp', (c) =>
        c.json({
          resource: `${url}/mcp`,
          authorization_servers: [url],
          scopes_supported: ['mcp:tools'],
          bearer_methods_supported: ['header'],
        }),
      );
    }
  };
}

async function verifyAccessToken(server: ListeningApp, token: string, clientId: string) {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: server.url,
    audience: `${server.url}/mcp`,
    typ: 'at+jwt',
    algorithms: ['ES256'],
  });
  expect(protectedHeader.kid).toBeTruthy();
  expect(payload).toMatchObject({ client_id: clientId, scope: 'mcp:tools' });
  expect(payload.sub).toBeTruthy();
}

describe(`MCP SDK auth() against a listening server [${testDialect}]`, () => {
  describe('without protected-resource metadata (fallback to the server origin)', () => {
    let server: ListeningApp;
    const seen: string[] = [];
    beforeAll(async () => {
      server = await startListeningApp({ extraRoutes: recorder(seen, false) });
      await createUser(server.t.deps, { ...alice, name: 'Alice' });
    });
    afterAll(async () => server.close());

    it('S5, S34: discovery → DCR → sign-in and consent → code exchange → refresh', async () => {
      const provider = new FormsProvider(dcrMetadata);
      const mcpUrl = `${server.url}/mcp`;

      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('REDIRECT');
      // PRM is missing (404): the SDK fell back to the origin's RFC 8414 metadata and registered.
      expect(seen).toContain('GET /.well-known/oauth-protected-resource/mcp');
      expect(seen).toContain('GET /.well-known/oauth-authorization-server');
      expect(seen).toContain('POST /register');
      expect(provider.info?.client_id).toMatch(/^oc_/);

      // The browser went through the real forms: sign-in POST → 303, consent POST → 303, and the
      // authorization response to the client is a 302 (S5) carrying code, state and iss (S34).
      const posts = provider.hops.filter((h) => h.method === 'POST');
      expect(posts.map((h) => new URL(h.url).pathname)).toEqual(['/signin', '/authorize/decision']);
      for (const post of posts) expect(post.status).toBe(303);
      const last = provider.hops.at(-1)!;
      expect(last.status).toBe(302);
      expect(last.location?.startsWith(REDIRECT)).toBe(true);
      const code = provider.codeFor(server.url);

      expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code })).toBe('AUTHORIZED');
      const first = provider.saved!;
      expect(first).toMatchObject({ token_type: 'Bearer', scope: 'mcp:tools' });
      expect(first.refresh_token).toBeTruthy();
      expect(first.expires_in).toBeGreaterThan(0);
      expect(first.expires_in).toBeLessThanOrEqual(3600);
      await verifyAccessToken(server, first.access_token, provider.info!.client_id);

      // With a refresh token stored, auth() refreshes instead of opening a browser again.
      const hopsBefore = provider.hops.length;
      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('AUTHORIZED');
      expect(provider.hops.length).toBe(hopsBefore);
      const second = provider.saved!;
      expect(second.refresh_token).toBeTruthy();
      expect(second.refresh_token).not.toBe(first.refresh_token);
      expect(second.access_token).not.toBe(first.access_token);
      expect(second.scope).toBe('mcp:tools');
      await verifyAccessToken(server, second.access_token, provider.info!.client_id);
      expect(decodeJwt(second.access_token).aud).toBe(mcpUrl);
    });

    it('S24: after its registration is removed, auth() gets 401 invalid_client, registers again and continues', async () => {
      const provider = new FormsProvider(dcrMetadata);
      const mcpUrl = `${server.url}/mcp`;
      await auth(provider, { serverUrl: mcpUrl });
      await auth(provider, { serverUrl: mcpUrl, authorizationCode: provider.codeFor(server.url) });
      const oldClientId = provider.info!.client_id;
      expect(provider.saved?.refresh_token).toBeTruthy();

      // The registration is removed (an operator or cleanup); the stored refresh now meets 401.
      await server.t.store.db
        .updateTable('oauth_clients')
        .set({ deleted_at: Date.now() })
        .where('id', '=', oldClientId)
        .execute();
      const direct = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: provider.saved!.refresh_token!,
          client_id: oldClientId,
        }),
      });
      expect(direct.status).toBe(401);
      expect((await direct.json()).error).toBe('invalid_client');

      const registrations = seen.filter((s) => s === 'POST /register').length;
      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('REDIRECT');
      expect(provider.invalidated).toContain('all');
      expect(seen.filter((s) => s === 'POST /register').length).toBe(registrations + 1);
      expect(provider.info!.client_id).not.toBe(oldClientId);
      expect(
        await auth(provider, { serverUrl: mcpUrl, authorizationCode: provider.codeFor(server.url) }),
      ).toBe('AUTHORIZED');
      await verifyAccessToken(server, provider.saved!.access_token, provider.info!.client_id);
    });
  });

  describe('with protected-resource metadata (served by the test server only)', () => {
    let server: ListeningApp;
    const seen: string[] = [];
    beforeAll(async () => {
      server = await startListeningApp({ extraRoutes: recorder(seen, true) });
      await createUser(server.t.deps, { ...alice, name: 'Alice' });
    });
    afterAll(async () => server.close());

    it('sends resource = <url>/mcp through authorization, exchange and refresh', async () => {
      const provider = new FormsProvider(dcrMetadata);
      const mcpUrl = `${server.url}/mcp`;
      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('REDIRECT');
      const authorizeHop = provider.hops[0]!;
      expect(new URL(authorizeHop.url).searchParams.get('resource')).toBe(mcpUrl);
      expect(new URL(authorizeHop.url).searchParams.get('scope')).toBe('mcp:tools');
      expect(
        await auth(provider, { serverUrl: mcpUrl, authorizationCode: provider.codeFor(server.url) }),
      ).toBe('AUTHORIZED');
      const first = provider.saved!;
      await verifyAccessToken(server, first.access_token, provider.info!.client_id);
      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('AUTHORIZED');
      expect(provider.saved!.refresh_token).not.toBe(first.refresh_token);
      await verifyAccessToken(server, provider.saved!.access_token, provider.info!.client_id);
    });
  });

  describe('with a Client ID Metadata Document (fetch injected; the only mocked part)', () => {
    let server: ListeningApp;
    const seen: string[] = [];
    const fetched: string[] = [];
    const fetchMetadataDocument: Deps['fetchMetadataDocument'] = async (url) => {
      fetched.push(url);
      const noHeaders: Record<string, string> = {};
      if (url !== CIMD_URL) return { status: 404, headers: noHeaders, body: Buffer.from('') };
      const doc = {
        client_id: CIMD_URL,
        client_name: 'SDK CIMD Client',
        client_uri: 'https://client.example.com/',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      };
      return {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'max-age=600' },
        body: Buffer.from(JSON.stringify(doc)),
      };
    };
    beforeAll(async () => {
      server = await startListeningApp({ extraRoutes: recorder(seen, false), fetchMetadataDocument });
      await createUser(server.t.deps, { ...alice, name: 'Alice' });
    });
    afterAll(async () => server.close());

    it('S25: the SDK uses the document URL as client_id, never registers, and completes the flow', async () => {
      const metadataRes = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
      expect((await metadataRes.json()).client_id_metadata_document_supported).toBe(true);

      const provider = new FormsProvider({ ...dcrMetadata, client_name: 'SDK CIMD Client' }, CIMD_URL);
      const mcpUrl = `${server.url}/mcp`;
      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('REDIRECT');
      expect(provider.info?.client_id).toBe(CIMD_URL);
      expect(new URL(provider.hops[0]!.url).searchParams.get('client_id')).toBe(CIMD_URL);
      expect(fetched).toContain(CIMD_URL);
      expect(
        await auth(provider, { serverUrl: mcpUrl, authorizationCode: provider.codeFor(server.url) }),
      ).toBe('AUTHORIZED');
      const first = provider.saved!;
      await verifyAccessToken(server, first.access_token, CIMD_URL);

      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('AUTHORIZED');
      expect(provider.saved!.refresh_token).not.toBe(first.refresh_token);
      await verifyAccessToken(server, provider.saved!.access_token, CIMD_URL);
      expect(seen).not.toContain('POST /register');
    });
  });
});
