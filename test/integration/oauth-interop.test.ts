import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { runOAuthMaintenance } from '../../src/services/oauth/maintenance.ts';
import { createUser } from '../../src/services/users.ts';
import {
  authorizeInBrowser,
  PageBrowser,
  pkcePair,
  registerClient,
  tokenRequest,
} from '../helpers/oauth-driver.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// The registrations and requests real MCP clients send (INTEROP.md's table), each registered and
// authorized through the real HTTP surface, then exchanged for tokens and refreshed.

const ISSUER = 'http://localhost:3000';
const MCP = `${ISSUER}/mcp`;
const alice = { email: 'alice@example.com', password: 'correct horse battery' };

/** A PageBrowser that remembers the status and Location of every answer it got. */
class RecordingBrowser extends PageBrowser {
  readonly answers: { path: string; status: number; location: string | null }[] = [];
  override async request(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await super.request(path, init);
    this.answers.push({ path, status: res.status, location: res.headers.get('location') });
    return res;
  }
}

interface Registered {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
  [key: string]: unknown;
}

async function register(t: TestApp, metadata: Record<string, unknown>): Promise<Registered> {
  const res = await registerClient(t.app, metadata);
  const body = await res.json();
  if (res.status !== 201) throw new Error(`registration refused: ${JSON.stringify(body)}`);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return body as Registered;
}

interface FlowOptions {
  /** Send `resource` in the authorization and token requests (some clients omit it). */
  resource?: string;
  scope?: string;
  /** Client authentication at the token endpoint. */
  auth?: 'none' | 'post' | 'basic';
  browser?: RecordingBrowser;
}

/** Authorize through the real pages with `redirectUri`, check the answer, exchange the code. */
async function authorizeAndExchange(
  t: TestApp,
  client: Registered,
  redirectUri: string,
  options: FlowOptions = {},
) {
  const { verifier, challenge } = pkcePair();
  const state = `state-${Math.random().toString(36).slice(2)}`;
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    ...(options.resource !== undefined ? { resource: options.resource } : {}),
  });
  const browser = options.browser ?? new RecordingBrowser(t.app);
  const before = browser.answers.length;
  const callback = await authorizeInBrowser(browser, `/authorize?${query}`, alice);

  // The answer to the client: a 302 (never 307) to exactly the redirect_uri, with code, state, iss.
  const answers = browser.answers.slice(before);
  const last = answers.at(-1)!;
  expect(last.status).toBe(302);
  expect(answers.some((a) => a.status === 307 || a.status === 308)).toBe(false);
  const returned = new URL(last.location!);
  expect(`${returned.protocol}//${returned.host}${returned.pathname}`).toBe(
    `${new URL(redirectUri).protocol}//${new URL(redirectUri).host}${new URL(redirectUri).pathname}`,
  );
  expect(last.location!.startsWith(`${redirectUri}${redirectUri.includes('?') ? '&' : '?'}`)).toBe(true);
  expect(callback.searchParams.get('state')).toBe(state);
  expect(callback.searchParams.get('iss')).toBe(ISSUER);
  expect(callback.searchParams.get('error')).toBeNull();
  const code = callback.searchParams.get('code')!;
  expect(code).toBeTruthy();

  const fields: Record<string, string> = {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    ...(options.resource !== undefined ? { resource: options.resource } : {}),
  };
  const headers: Record<string, string> = {};
  const auth = options.auth ?? 'none';
  if (auth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(
      `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret!)}`,
    ).toString('base64')}`;
  } else {
    fields.client_id = client.client_id;
    if (auth === 'post') fields.client_secret = client.client_secret!;
  }
  const res = await tokenRequest(t.app, fields, headers);
  const tokens = await res.json();
  if (res.status !== 200) throw new Error(`token exchange failed: ${JSON.stringify(tokens)}`);
  expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'mcp:tools' });
  expect(tokens.refresh_token).toBeTruthy();
  const claims = decodeJwt(tokens.access_token);
  expect(claims).toMatchObject({ iss: ISSUER, aud: MCP, client_id: client.client_id, scope: 'mcp:tools' });
  return {
    tokens: tokens as { access_token: string; refresh_token: string; scope: string },
    headers,
    fields,
  };
}

async function refresh(
  t: TestApp,
  client: Registered,
  refreshToken: string,
  extra: Record<string, string> = {},
  auth: 'none' | 'post' = 'none',
) {
  const res = await tokenRequest(t.app, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: client.client_id,
    ...(auth === 'post' ? { client_secret: client.client_secret! } : {}),
    ...extra,
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`refresh failed: ${JSON.stringify(body)}`);
  expect(body.refresh_token).not.toBe(refreshToken);
  expect(body.scope).toBe('mcp:tools');
  expect(decodeJwt(body.access_token).aud).toBe(MCP);
  return body as { access_token: string; refresh_token: string; scope: string };
}

describe(`INTEROP: real clients' registrations register and authorize [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { SIGNIN_RATE_LIMIT_PER_MINUTE: '1000', DCR_RATE_LIMIT_PER_MINUTE: '1000' },
    });
    await createUser(t.deps, { ...alice, name: 'Alice' });
  });
  afterAll(async () => t.close());

  it("S2, S3: Cursor's one registration with cursor://, https and loopback URIs authorizes with each", async () => {
    const uris = [
      'cursor://anysphere.cursor-mcp/oauth/callback',
      'https://www.cursor.com/agents/mcp/oauth/callback',
      'http://localhost:51789/callback',
    ];
    const client = await register(t, { client_name: 'Cursor', redirect_uris: uris });
    expect(client.redirect_uris).toEqual(uris);
    expect(client.token_endpoint_auth_method).toBe('none');
    expect(client.client_secret).toBeUndefined();
    const browser = new RecordingBrowser(t.app);
    for (const uri of [...uris, 'http://localhost:60123/callback']) {
      const { tokens } = await authorizeAndExchange(t, client, uri, { browser });
      await refresh(t, client, tokens.refresh_token);
    }
  });

  it("S2: VS Code's registration authorizes with each URI and with another loopback port", async () => {
    const uris = [
      'https://vscode.dev/redirect',
      'https://insiders.vscode.dev/redirect',
      'http://127.0.0.1/',
      'http://127.0.0.1:33418/',
    ];
    const client = await register(t, { client_name: 'Visual Studio Code', redirect_uris: uris });
    expect(client.redirect_uris).toEqual(uris);
    for (const uri of [...uris, 'http://127.0.0.1:33419/']) {
      // VS Code sends resource.
      const { tokens } = await authorizeAndExchange(t, client, uri, { resource: MCP, scope: 'mcp:tools' });
      await refresh(t, client, tokens.refresh_token, { resource: MCP });
    }
  });

  it('S5: claude.ai registers with client_secret_post and unknown scopes; both callbacks get 302s', async () => {
    const uris = ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'];
    for (const scope of ['claudeai', 'read write']) {
      const client = await register(t, {
        client_name: 'Claude',
        redirect_uris: uris,
        token_endpoint_auth_method: 'client_secret_post',
        scope,
      });
      expect(client.token_endpoint_auth_method).toBe('client_secret_post');
      expect(client.client_secret).toBeTruthy();
      const browser = new RecordingBrowser(t.app);
      for (const uri of uris) {
        const { tokens } = await authorizeAndExchange(t, client, uri, {
          scope,
          resource: MCP,
          auth: 'post',
          browser,
        });
        await refresh(t, client, tokens.refresh_token, {}, 'post');
      }
      // Every answer on the way: 303 after the form POSTs, 302 otherwise; never 307 (S5, INTEROP).
      for (const answer of browser.answers) expect([200, 302, 303]).toContain(answer.status);
      const posts = browser.answers.filter((a) => a.path === '/signin' || a.path === '/authorize/decision');
      expect(posts.length).toBeGreaterThan(0);
      for (const post of posts) expect(post.status).toBe(303);
    }
  });

  it('Claude Code: localhost on any port, no resource, refresh without scope', async () => {
    const client = await register(t, {
      client_name: 'Claude Code (userplane)',
      redirect_uris: ['http://localhost:54545/callback'],
    });
    for (const port of [54545, 40001]) {
      const { tokens } = await authorizeAndExchange(t, client, `http://localhost:${port}/callback`, {
        scope: 'mcp:tools',
      });
      // Refresh omits scope (and resource): the grant's scope and resource are kept.
      const next = await refresh(t, client, tokens.refresh_token);
      expect(decodeJwt(next.access_token).scope).toBe('mcp:tools');
    }
  });

  it('mcp-remote and MCP Inspector: none, application_type native, /oauth/callback on loopback', async () => {
    for (const [name, uri, other] of [
      ['mcp-remote', 'http://localhost:3334/oauth/callback', 'http://localhost:9876/oauth/callback'],
      ['MCP Inspector', 'http://127.0.0.1:6276/oauth/callback', 'http://127.0.0.1:6277/oauth/callback'],
    ] as const) {
      const client = await register(t, {
        client_name: name,
        redirect_uris: [uri],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        software_id: '2e6dc280-f3c3-4e01-99a7-8181dbd1d23d',
        software_version: '0.1.0',
      });
      expect(client.application_type).toBe('native');
      expect(client.token_endpoint_auth_method).toBe('none');
      for (const redirect of [uri, other]) {
        const { tokens } = await authorizeAndExchange(t, client, redirect, { resource: MCP });
        await refresh(t, client, tokens.refresh_token);
      }
    }
  });

  it('S1: ChatGPT: both callback styles authorize, resource echoed; another callback id is refused', async () => {
    const uris = [
      'https://chatgpt.com/connector/oauth/abc123',
      'https://chatgpt.com/connector_platform_oauth_redirect',
    ];
    const client = await register(t, { client_name: 'ChatGPT', redirect_uris: uris });
    for (const uri of uris) {
      const { tokens } = await authorizeAndExchange(t, client, uri, { resource: MCP, scope: 'mcp:tools' });
      await refresh(t, client, tokens.refresh_token, { resource: MCP });
    }
    // Non-loopback URIs match exactly: another callback id gets a local page, never a redirect.
    const { challenge } = pkcePair();
    const res = await new PageBrowser(t.app).get(
      `/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: client.client_id,
        redirect_uri: 'https://chatgpt.com/connector/oauth/other',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: MCP,
      })}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('S2: Codex CLI: 127.0.0.1 with a port and a path id, no resource', async () => {
    const client = await register(t, {
      client_name: 'Codex',
      redirect_uris: ['http://127.0.0.1:1455/callback/k3j2h1'],
    });
    for (const port of [1455, 1456]) {
      const { tokens } = await authorizeAndExchange(t, client, `http://127.0.0.1:${port}/callback/k3j2h1`);
      await refresh(t, client, tokens.refresh_token);
    }
  });

  it('offline_access and OIDC scopes are dropped, and a refresh token is still issued', async () => {
    const client = await register(t, { client_name: 'Generic', redirect_uris: ['http://127.0.0.1/cb'] });
    const { tokens } = await authorizeAndExchange(t, client, 'http://127.0.0.1:5000/cb', {
      scope: 'openid profile offline_access mcp:tools',
    });
    expect(tokens.scope).toBe('mcp:tools');
    expect(tokens.refresh_token).toBeTruthy();
  });
});

describe(`INTEROP: a removed registration answers 401 invalid_client and the client registers again [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 2, 1));
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock, env: { SIGNIN_RATE_LIMIT_PER_MINUTE: '1000' } });
    await createUser(t.deps, { ...alice, name: 'Alice' });
  });
  afterAll(async () => t.close());

  it('S24: an unused registration is removed; /token says 401 invalid_client; re-registering continues', async () => {
    const uris = ['https://claude.ai/api/mcp/auth_callback'];
    const stale = await register(t, {
      client_name: 'Claude',
      redirect_uris: uris,
      token_endpoint_auth_method: 'client_secret_post',
    });
    // A registration that never completed an authorization, a day and more later: removed.
    clock.advance(25 * 60 * 60_000);
    expect((await runOAuthMaintenance(t.deps)).removedClients).toBeGreaterThanOrEqual(1);

    const res = await tokenRequest(t.app, {
      grant_type: 'authorization_code',
      code: 'whatever',
      code_verifier: 'x'.repeat(43),
      redirect_uri: uris[0]!,
      client_id: stale.client_id,
      client_secret: stale.client_secret!,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await res.json()).error).toBe('invalid_client');

    // At /authorize the removed client gets a local error page, never a redirect (S1).
    const { challenge } = pkcePair();
    const page = await new PageBrowser(t.app).get(
      `/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: stale.client_id,
        redirect_uri: uris[0]!,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })}`,
    );
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();

    // Registering again gives a new client that completes the flow.
    const fresh = await register(t, {
      client_name: 'Claude',
      redirect_uris: uris,
      token_endpoint_auth_method: 'client_secret_post',
    });
    expect(fresh.client_id).not.toBe(stale.client_id);
    const { tokens } = await authorizeAndExchange(t, fresh, uris[0]!, { resource: MCP, auth: 'post' });
    await refresh(t, fresh, tokens.refresh_token, {}, 'post');

    // A client that completed an authorization is kept by the cleanup.
    clock.advance(25 * 60 * 60_000);
    await runOAuthMaintenance(t.deps);
    const kept = await tokenRequest(t.app, {
      grant_type: 'refresh_token',
      refresh_token: 'not-a-real-token',
      client_id: fresh.client_id,
      client_secret: fresh.client_secret!,
    });
    expect(kept.status).toBe(400);
    expect((await kept.json()).error).toBe('invalid_grant');
  });
});
