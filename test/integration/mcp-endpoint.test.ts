import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../../src/lib/logger.ts';
import { createMcpHttpHandler, MAX_BODY_BYTES } from '../../src/mcp/transport.ts';
import { createUser } from '../../src/services/users.ts';
import { followFormsBrowser, type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { authorizeInBrowser, pkcePair } from '../helpers/oauth-driver.ts';
import {
  ALICE,
  authorizeParams,
  authorizePath,
  connectedClient,
  exchangeCode,
  newClient,
  oauthTestApp,
  PageBrowser,
} from '../helpers/oauth-scenarios.ts';
import type { TestApp } from '../helpers/test-app.ts';

// /mcp over Streamable HTTP, stateless, JSON responses (issue 4 item 1): one long-lived McpServer
// behind the multiplexing transport. Tokens come from the real OAuth flow.

const BOB = { email: 'bob@example.com', password: 'another good passphrase' };
const ACCEPT = 'application/json, text/event-stream';

let t: TestApp;
let aliceToken: string;
let bobToken: string;

function post(body: unknown, token = aliceToken, headers: Record<string, string> = {}): Promise<Response> {
  return t.request('/mcp', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: ACCEPT,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const initialize = (id: number | string, name = 'test-client') => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name, version: '1.0.0' },
  },
});
const callProfile = (id: number | string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'userplane_get_profile', arguments: {} },
});

beforeAll(async () => {
  t = await oauthTestApp();
  await createUser(t.deps, { ...BOB, name: 'Bob' });
  aliceToken = (await connectedClient(t)).tokens.access_token;
  // Bob authorizes his own client through the same forms.
  const client = await newClient(t, { client_name: 'Bob Client' });
  const redirectUri = 'http://127.0.0.1:50124/callback';
  const { params, verifier } = authorizeParams(client.client_id, redirectUri);
  const callback = await authorizeInBrowser(new PageBrowser(t.app), authorizePath(params), BOB);
  const tokens = await exchangeCode(t, {
    clientId: client.client_id,
    code: callback.searchParams.get('code')!,
    verifier,
    redirectUri,
  });
  bobToken = tokens.access_token;
});

afterAll(async () => {
  await t?.close();
});

describe('/mcp: MCP over stateless Streamable HTTP', () => {
  it('answers initialize with JSON and a session id that nothing is kept for', async () => {
    const res = await post(initialize(1));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // Random, visible ASCII (MCP "Session Management"); it only scopes logging/setLevel.
    const sessionId = res.headers.get('mcp-session-id');
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect((await post(initialize(2))).headers.get('mcp-session-id')).not.toBe(sessionId);
    const body = await res.json();
    expect(body.id).toBe(1);
    expect(body.result.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(body.result.capabilities.tools).toBeDefined();
    expect(body.result.serverInfo.name).toBe('userplane');
  });

  it('lets a second client initialize the same long-lived server, with its own protocol version', async () => {
    const first = await (await post(initialize(1, 'first'))).json();
    const second = await (
      await post(
        { ...initialize(1, 'second'), params: { ...initialize(1).params, protocolVersion: '2025-03-26' } },
        bobToken,
      )
    ).json();
    expect(first.result.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(second.result.protocolVersion).toBe('2025-03-26');
    expect(second.result.serverInfo).toEqual(first.result.serverInfo);
    // And the first client carries on without initializing again.
    const list = await (await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' })).json();
    expect(list.result.tools.length).toBeGreaterThan(0);
  });

  it('lists the tools and calls userplane_get_profile as the token’s user', async () => {
    const list = await (await post({ jsonrpc: '2.0', id: 'list', method: 'tools/list', params: {} })).json();
    expect(list.id).toBe('list');
    expect(list.result.tools.map((tool: { name: string }) => tool.name)).toContain('userplane_get_profile');

    const call = await (await post(callProfile(3))).json();
    expect(call.id).toBe(3);
    expect(call.result.isError ?? false).toBe(false);
    expect(JSON.stringify(call.result.structuredContent)).toContain(ALICE.email);
  });

  it('keeps concurrent clients apart although they reuse the same JSON-RPC ids', async () => {
    const calls = Array.from({ length: 20 }, (_, i): [string, string] =>
      i % 2 ? ['bob', bobToken] : ['alice', aliceToken],
    );
    const answers = await Promise.all(
      calls.map(async ([who, token]) => ({ who, body: await (await post(callProfile(1), token)).json() })),
    );
    for (const { who, body } of answers) {
      expect(body.id).toBe(1);
      expect(JSON.stringify(body.result.structuredContent)).toContain(
        who === 'bob' ? BOB.email : ALICE.email,
      );
      expect(JSON.stringify(body.result.structuredContent)).not.toContain(
        who === 'bob' ? ALICE.email : BOB.email,
      );
    }
    expect(t.mcp.handler.transport.inFlight).toBe(0);
  });

  it('answers a batch in order, with each request’s own id, and skips its notifications', async () => {
    const res = await post([
      { jsonrpc: '2.0', id: 'a', method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      callProfile(7),
      { jsonrpc: '2.0', id: 'a2', method: 'no/such/method' },
    ]);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Array.isArray(body)).toBe(true);
    expect(body.map((r: { id: unknown }) => r.id)).toEqual(['a', 7, 'a2']);
    expect(body[0].result.tools.length).toBeGreaterThan(0);
    expect(JSON.stringify(body[1].result.structuredContent)).toContain(ALICE.email);
    expect(body[2].error.code).toBe(-32601);
  });

  it('accepts notifications and responses alone with 202 and no body', async () => {
    const res = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    const batch = await post([
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
      { jsonrpc: '2.0', id: 5, result: {} },
    ]);
    expect(batch.status).toBe(202);
    expect(await batch.text()).toBe('');
  });

  it('refuses GET (no SSE stream when stateless) and DELETE (no session) with 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await t.request('/mcp', {
        method,
        headers: { authorization: `Bearer ${aliceToken}`, accept: 'text/event-stream' },
      });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toContain('POST');
    }
  });

  it('refuses a wrong Content-Type (415) and an Accept without application/json (406)', async () => {
    expect((await post(callProfile(1), aliceToken, { 'content-type': 'text/plain' })).status).toBe(415);
    expect(
      (await post(callProfile(1), aliceToken, { 'content-type': 'application/x-www-form-urlencoded' }))
        .status,
    ).toBe(415);
    expect((await post(callProfile(1), aliceToken, { accept: 'text/event-stream' })).status).toBe(406);
    expect((await post(callProfile(1), aliceToken, { accept: 'text/html' })).status).toBe(406);
    expect(
      (await post(callProfile(1), aliceToken, { accept: 'application/json;q=0, text/event-stream' })).status,
    ).toBe(406);
    // Parameters on the media types are fine.
    const ok = await post(callProfile(1), aliceToken, {
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json',
    });
    expect(ok.status).toBe(200);
  });

  it('refuses bodies that are not JSON-RPC with a JSON-RPC error (400)', async () => {
    const notJson = await post('{"jsonrpc":');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe(-32700);
    for (const bad of [
      [],
      { id: 1, method: 'tools/list' },
      { jsonrpc: '2.0', id: null, method: 'tools/list' },
      { jsonrpc: '2.0', id: 1, method: 42 },
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: 'x' },
      [callProfile(1), 'nope'],
      'just a string',
    ]) {
      const res = await post(JSON.stringify(bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      const body = await res.json();
      expect(body.jsonrpc).toBe('2.0');
      expect(body.error.code).toBe(-32600);
    }
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const big = JSON.stringify({
      ...callProfile(1),
      params: { name: 'x', arguments: { pad: 'a'.repeat(MAX_BODY_BYTES) } },
    });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe(-32600);
  });

  it('checks MCP-Protocol-Version when a client sends it', async () => {
    const bad = await post(callProfile(1), aliceToken, { 'mcp-protocol-version': '1999-01-01' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('MCP-Protocol-Version');
    const good = await post(callProfile(1), aliceToken, { 'mcp-protocol-version': '2025-06-18' });
    expect(good.status).toBe(200);
  });

  it('ignores an Mcp-Session-Id a client sends (stateless: any process answers)', async () => {
    const res = await post(callProfile(1), aliceToken, { 'mcp-session-id': 'made-up' });
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBeNull();
  });

  it('answers CORS preflights and exposes WWW-Authenticate and Mcp-Session-Id (INTEROP item 10, S18)', async () => {
    const preflight = await t.request('/mcp', {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:6274',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = preflight.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const header of ['authorization', 'content-type', 'mcp-protocol-version'])
      expect(allowed).toContain(header);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    const refused = await t.request('/mcp', {
      method: 'POST',
      headers: { origin: 'http://localhost:6274', 'content-type': 'application/json', accept: ACCEPT },
      body: JSON.stringify(callProfile(1)),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    const exposed = refused.headers.get('access-control-expose-headers')!.toLowerCase();
    expect(exposed).toContain('www-authenticate');
    expect(exposed).toContain('mcp-session-id');
  });
});

describe('protected-resource metadata (RFC 9728)', () => {
  it('serves the same document at both well-known paths, naming the issuer byte for byte', async () => {
    const issuer = (await (await t.request('/.well-known/oauth-authorization-server')).json()).issuer;
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const res = await t.request(path, { headers: { origin: 'https://app.example' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const body = await res.json();
      expect(body).toMatchObject({
        resource: 'http://localhost:3000/mcp',
        authorization_servers: [issuer],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
        resource_name: 'Userplane',
      });
    }
    const preflight = await t.request('/.well-known/oauth-protected-resource/mcp', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('the multiplexing transport on its own', () => {
  const authInfo = { token: 't', clientId: 'c', scopes: ['mcp:tools'], extra: { userId: 'u', grantId: 'g' } };
  const request = (body: unknown, signal?: AbortSignal) =>
    new Request('http://localhost/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });

  it('hands each request its caller and fails a server-to-client request fast instead of hanging', async () => {
    const server = new McpServer({ name: 'probe', version: '1' });
    server.registerTool('whoami', { inputSchema: { n: z.number() } }, async ({ n }, extra) => ({
      content: [{ type: 'text', text: `${String(extra.authInfo?.extra?.userId)}:${n}` }],
    }));
    server.registerTool('ask', {}, async (extra) => {
      try {
        await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: { message: 'ok?', requestedSchema: { type: 'object', properties: {} } },
          },
          z.object({}).passthrough(),
        );
        return { content: [{ type: 'text', text: 'answered' }] };
      } catch (error) {
        return { content: [{ type: 'text', text: `refused: ${(error as Error).message}` }], isError: true };
      }
    });
    const handler = createMcpHttpHandler(server, silentLogger());
    const who = await (
      await handler.handle(
        request({
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/call',
          params: { name: 'whoami', arguments: { n: 4 } },
        }),
        { ...authInfo, extra: { userId: 'user-1', grantId: 'g' } },
      )
    ).json();
    expect(who).toMatchObject({ id: 9, result: { content: [{ text: 'user-1:4' }] } });
    const asked = await (
      await handler.handle(
        request({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'ask' } }),
        authInfo,
      )
    ).json();
    expect(asked.result.isError).toBe(true);
    expect(asked.result.content[0].text).toContain('not available over stateless HTTP');
    await handler.close();
  });

  it('cancels the server-side handler when the client goes away, leaving nothing in flight', async () => {
    const server = new McpServer({ name: 'probe', version: '1' });
    let aborted = false;
    server.registerTool('slow', {}, async (extra) => {
      await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve()));
      aborted = extra.signal.aborted;
      return { content: [{ type: 'text', text: 'late' }] };
    });
    const handler = createMcpHttpHandler(server, silentLogger());
    const controller = new AbortController();
    const pending = handler.handle(
      request({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow' } }, controller.signal),
      authInfo,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(handler.transport.inFlight).toBe(1);
    controller.abort();
    const res = await pending;
    expect((await res.json()).error.code).toBe(-32000);
    await new Promise((r) => setTimeout(r, 10));
    expect(aborted).toBe(true);
    expect(handler.transport.inFlight).toBe(0);
    await handler.close();
  });
});

describe('the MCP SDK client against a listening server', () => {
  let server: ListeningApp;
  let token: string;

  beforeAll(async () => {
    server = await startListeningApp();
    await createUser(server.t.deps, { ...ALICE, name: 'Alice' });
    // The real flow over HTTP: register, authorize through the forms, exchange the code.
    const redirectUri = 'http://127.0.0.1:53999/callback';
    const registered = await fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'SDK client',
        redirect_uris: [redirectUri],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    });
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const { verifier, challenge } = pkcePair();
    const authorize = new URL(`${server.url}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scope: 'mcp:tools',
      state: 'st',
      resource: `${server.url}/mcp`,
    }))
      authorize.searchParams.set(k, v);
    const callback = await followFormsBrowser(authorize, ALICE);
    const tokenRes = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        code_verifier: verifier,
        client_id: clientId,
        redirect_uri: redirectUri,
      }).toString(),
    });
    expect(tokenRes.status).toBe(200);
    token = ((await tokenRes.json()) as { access_token: string }).access_token;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('connects, lists the tools and calls userplane_get_profile', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: 'vitest', version: '1.0.0' });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe('userplane');
      // The session id from initialize is sent back on every request; no request needs it.
      expect(transport.sessionId).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('userplane_get_profile');
      const result = await client.callTool({ name: 'userplane_get_profile', arguments: {} });
      expect(result.isError ?? false).toBe(false);
      expect(JSON.stringify(result.structuredContent)).toContain(ALICE.email);
    } finally {
      await client.close();
    }
  });

  it('fails to connect without a token, with the challenge that starts discovery', async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: JSON.stringify(initialize(1)),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`,
    );
  });
});
