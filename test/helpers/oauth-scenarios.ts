import { decodeJwt } from 'jose';
import { expect } from 'vitest';
import { createUser } from '../../src/services/users.ts';
import { authorizeInBrowser, PageBrowser, pkcePair, registerClient, tokenRequest } from './oauth-driver.ts';
import { createTestApp, type TestApp } from './test-app.ts';

// Shared steps of the OAuth integration tests (test/integration/oauth-*.test.ts): an app with a
// user, a registered client, a code obtained through the real sign-in and consent forms, and the
// tokens it is exchanged for.

export const ISSUER = 'http://localhost:3000';
export const MCP_URL = `${ISSUER}/mcp`;
export const ALICE = { email: 'alice@example.com', password: 'correct horse battery' };

/** A test app with Alice's account and limits high enough for many flows. */
export async function oauthTestApp(options: Parameters<typeof createTestApp>[0] = {}): Promise<TestApp> {
  const t = await createTestApp({
    ...options,
    env: {
      SIGNIN_RATE_LIMIT_PER_MINUTE: '100000',
      DCR_RATE_LIMIT_PER_MINUTE: '100000',
      DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: '100000',
      ...options.env,
    },
  });
  await createUser(t.deps, { ...ALICE, name: 'Alice' });
  return t;
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  client_name: string;
  redirect_uris: string[];
  [field: string]: unknown;
}

/** Registers a client over HTTP and insists on 201. */
export async function newClient(
  t: TestApp,
  metadata: Record<string, unknown> = {},
): Promise<RegisteredClient> {
  const res = await registerClient(t.app, {
    client_name: 'Test Client',
    redirect_uris: ['http://127.0.0.1/callback'],
    ...metadata,
  });
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body as RegisteredClient;
}

/** `/authorize?…` from parameters; undefined values are left out. */
export function authorizePath(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, v);
  return `/authorize?${query}`;
}

/** The standard parameters of an authorization request with a fresh PKCE pair. */
export function authorizeParams(
  clientId: string,
  redirectUri: string,
  extra: Record<string, string | undefined> = {},
): { params: Record<string, string | undefined>; verifier: string } {
  const { verifier, challenge } = pkcePair();
  return {
    verifier,
    params: {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: `st-${Math.random().toString(36).slice(2)}`,
      scope: 'mcp:tools',
      ...extra,
    },
  };
}

/** Goes through /authorize (sign-in and consent as needed) and returns the code and its verifier. */
export async function obtainCode(
  t: TestApp,
  options: {
    clientId: string;
    redirectUri: string;
    browser?: PageBrowser;
    extra?: Record<string, string | undefined>;
  },
): Promise<{ code: string; verifier: string; callback: URL; browser: PageBrowser }> {
  const browser = options.browser ?? new PageBrowser(t.app);
  const { params, verifier } = authorizeParams(options.clientId, options.redirectUri, options.extra);
  const callback = await authorizeInBrowser(browser, authorizePath(params), ALICE);
  const code = callback.searchParams.get('code');
  expect(code, callback.toString()).toBeTruthy();
  return { code: code!, verifier, callback, browser };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** Exchanges a code for tokens and insists on 200. */
export async function exchangeCode(
  t: TestApp,
  fields: { clientId: string; code: string; verifier: string; redirectUri: string },
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Tokens> {
  const res = await tokenRequest(
    t.app,
    {
      grant_type: 'authorization_code',
      code: fields.code,
      code_verifier: fields.verifier,
      client_id: fields.clientId,
      redirect_uri: fields.redirectUri,
      ...extra,
    },
    headers,
  );
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body as Tokens;
}

/** A refresh request (not checked). */
export function refresh(
  t: TestApp,
  clientId: string,
  refreshToken: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  return tokenRequest(t.app, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
    ...extra,
  });
}

/** A public client registered, authorized by Alice and holding its first tokens. */
export async function connectedClient(
  t: TestApp,
  metadata: Record<string, unknown> = {},
  redirectUri = 'http://127.0.0.1:50123/callback',
): Promise<{ client: RegisteredClient; tokens: Tokens; grantId: string; redirectUri: string }> {
  const client = await newClient(t, { redirect_uris: ['http://127.0.0.1/callback'], ...metadata });
  const { code, verifier } = await obtainCode(t, { clientId: client.client_id, redirectUri });
  const tokens = await exchangeCode(t, { clientId: client.client_id, code, verifier, redirectUri });
  return { client, tokens, grantId: grantIdOf(tokens.access_token), redirectUri };
}

/** The grant an access token belongs to. */
export function grantIdOf(accessToken: string): string {
  return decodeJwt(accessToken).grant_id as string;
}

/** The stored grant row. */
export async function grantRow(t: TestApp, grantId: string) {
  return await t.store.db
    .selectFrom('oauth_grants')
    .selectAll()
    .where('id', '=', grantId)
    .executeTakeFirstOrThrow();
}

/** The stored audit events of one type, oldest first. */
export async function auditEvents(t: TestApp, type: string) {
  return await t.store.db
    .selectFrom('audit_events')
    .selectAll()
    .where('type', '=', type)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Expects an OAuth JSON error response. */
export async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  const body = await res.json();
  expect({ status: res.status, error: body.error }, JSON.stringify(body)).toEqual({ status, error });
  expect(typeof body.error_description).toBe('string');
}

export { PageBrowser, pkcePair, registerClient, tokenRequest };
