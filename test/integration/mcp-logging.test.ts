import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  LATEST_PROTOCOL_VERSION,
  type LoggingLevel,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableClientLogging, LOG_LEVEL_META, SLOW_TOOL_CALL_MS } from '../../src/mcp/logging.ts';
import { createUser } from '../../src/services/users.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { authorizeInBrowser } from '../helpers/oauth-driver.ts';
import {
  ALICE,
  authorizeParams,
  authorizePath,
  connectedClient,
  exchangeCode,
  newClient,
  PageBrowser,
} from '../helpers/oauth-scenarios.ts';

// MCP logging (issue 11 item 6): the server declares `logging`, honours logging/setLevel per grant
// (stateless /mcp: no session to keep it on) or per request's `_meta`, and tool calls report
// refusals and slow calls as notifications/message inside the POST's own (SSE) answer.

const BOB = { email: 'bob@example.com', password: 'another good passphrase' };

let server: ListeningApp;
let workspaceId: string;

/** A real MCP SDK client over HTTP for Alice, with a grant of its own (a new client registered). */
async function connect() {
  const { tokens } = await connectedClient(server.t);
  return await clientWith(tokens.access_token);
}

/** Bob's token, through the same registration, sign-in and consent forms. */
async function bobToken(): Promise<string> {
  const registered = await newClient(server.t, { client_name: 'Bob Client' });
  const redirectUri = 'http://127.0.0.1:50124/callback';
  const { params, verifier } = authorizeParams(registered.client_id, redirectUri);
  const callback = await authorizeInBrowser(new PageBrowser(server.t.app), authorizePath(params), BOB);
  const tokens = await exchangeCode(server.t, {
    clientId: registered.client_id,
    code: callback.searchParams.get('code')!,
    verifier,
    redirectUri,
  });
  return tokens.access_token;
}

/** An MCP SDK client (StreamableHTTPClientTransport) that collects log messages and answer types. */
async function clientWith(token: string) {
  const contentTypes: string[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      contentTypes.push(res.headers.get('content-type') ?? '');
      return res;
    },
  });
  const client = new Client({ name: 'vitest', version: '1.0.0' });
  const messages: Array<{ level: LoggingLevel; logger?: string; data: Record<string, unknown> }> = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    messages.push(n.params as (typeof messages)[number]);
  });
  await client.connect(transport);
  return { client, messages, contentTypes, token };
}

beforeAll(async () => {
  server = await startListeningApp({
    env: { DCR_RATE_LIMIT_PER_MINUTE: '1000', DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: '1000' },
  });
  const alice = await createUser(server.t.deps, { ...ALICE, name: 'Alice' });
  await createUser(server.t.deps, { ...BOB, name: 'Bob' });
  workspaceId = (await createWorkspace(server.t.deps, { name: 'Acme', ownerUserId: alice.id })).workspace.id;
});

afterAll(async () => {
  await server?.close();
});

describe('logging over /mcp with the MCP SDK client', () => {
  it('declares the logging capability', async () => {
    const { client } = await connect();
    try {
      expect(client.getServerCapabilities()?.logging).toEqual({});
    } finally {
      await client.close();
    }
  });

  it('without setLevel a refused call sends no message, and the answer stays plain JSON', async () => {
    const { client, messages, contentTypes } = await connect();
    try {
      const result = await client.callTool({
        name: 'userplane_list_projects',
        arguments: { workspaceId: 'ws_nope' },
      });
      expect(result.isError).toBe(true);
      expect(messages).toEqual([]);
      // (The initialized notification's 202 has no body, so no type.)
      expect(contentTypes.filter(Boolean).every((type) => type.startsWith('application/json'))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('setLevel info: a refusal arrives as notifications/message (code and ids only), before the result', async () => {
    const { client, messages, contentTypes } = await connect();
    try {
      await client.setLoggingLevel('info');
      const denied = await client.callTool({
        name: 'userplane_list_projects',
        arguments: { workspaceId: 'ws_nope' },
      });
      expect(denied.isError).toBe(true);
      expect(messages).toEqual([
        {
          level: 'warning',
          logger: 'userplane',
          data: {
            message: 'userplane_list_projects refused: NOT_A_MEMBER',
            tool: 'userplane_list_projects',
            code: 'NOT_A_MEMBER',
            ms: expect.any(Number),
            workspaceId: 'ws_nope',
          },
        },
      ]);
      expect(contentTypes.at(-1)).toBe('text/event-stream');

      // Not found is info; no customer content (the title sent) is ever in a message.
      const missing = await client.callTool({
        name: 'userplane_get_rec_info',
        arguments: { workspaceId, recordingId: 'rec_nope' },
      });
      expect(missing.isError).toBe(true);
      expect(messages[1]).toMatchObject({
        level: 'info',
        data: { code: 'RECORDING_NOT_FOUND', workspaceId, recordingId: 'rec_nope' },
      });
      // A fast success is debug: below info, so nothing.
      const ok = await client.callTool({ name: 'userplane_get_profile', arguments: {} });
      expect(ok.isError ?? false).toBe(false);
      expect(messages).toHaveLength(2);
      expect(contentTypes.at(-1)).toMatch(/^application\/json/);
    } finally {
      await client.close();
    }
  });

  it('setLevel debug reports successes too; setLevel error silences warnings', async () => {
    const { client, messages } = await connect();
    try {
      await client.setLoggingLevel('debug');
      await client.callTool({ name: 'userplane_get_profile', arguments: {} });
      expect(messages).toEqual([
        {
          level: 'debug',
          logger: 'userplane',
          data: {
            message: expect.stringMatching(/^userplane_get_profile finished in \d+ ms$/),
            tool: 'userplane_get_profile',
            ms: expect.any(Number),
          },
        },
      ]);
      await client.setLoggingLevel('error');
      await client.callTool({ name: 'userplane_list_projects', arguments: { workspaceId: 'ws_nope' } });
      await client.callTool({ name: 'userplane_get_profile', arguments: {} });
      expect(messages).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("one grant's level is its own: another client of another user hears nothing", async () => {
    const alice = await connect();
    const bobSession = await clientWith(await bobToken());
    try {
      await alice.client.setLoggingLevel('debug');
      await bobSession.client.callTool({ name: 'userplane_list_projects', arguments: { workspaceId } });
      expect(bobSession.messages).toEqual([]);
      await alice.client.callTool({ name: 'userplane_list_projects', arguments: { workspaceId } });
      expect(alice.messages).toHaveLength(1);
    } finally {
      await alice.client.close();
      await bobSession.client.close();
    }
  });
});

describe('logging per session of one grant', () => {
  it('two clients on one token (two windows of one app) keep their own levels, by their Mcp-Session-Id', async () => {
    const { tokens } = await connectedClient(server.t);
    const first = await clientWith(tokens.access_token);
    const second = await clientWith(tokens.access_token);
    try {
      await first.client.setLoggingLevel('debug');
      await second.client.callTool({ name: 'userplane_get_profile', arguments: {} });
      expect(second.messages).toEqual([]);
      await first.client.callTool({ name: 'userplane_get_profile', arguments: {} });
      expect(first.messages).toHaveLength(1);
    } finally {
      await first.client.close();
      await second.client.close();
    }
  });
});

describe('logging over raw HTTP', () => {
  let token: string;
  beforeAll(async () => {
    token = (await connectedClient(server.t)).tokens.access_token;
  });

  const post = (body: unknown, accept = 'application/json, text/event-stream') =>
    fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept,
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      },
      body: JSON.stringify(body),
    });
  const deniedCall = (meta?: Record<string, unknown>) => ({
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: {
      name: 'userplane_list_projects',
      arguments: { workspaceId: 'ws_nope' },
      ...(meta ? { _meta: meta } : {}),
    },
  });

  it("honours a request's own _meta level (the stateless form) with an SSE answer: message, then result", async () => {
    const res = await post(deniedCall({ [LOG_LEVEL_META]: 'info' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((chunk) => {
        expect(chunk.startsWith('event: message\ndata: ')).toBe(true);
        return JSON.parse(chunk.slice('event: message\ndata: '.length));
      });
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'warning', data: { code: 'NOT_A_MEMBER' } },
    });
    expect(events[1]).toMatchObject({ jsonrpc: '2.0', id: 7, result: { isError: true } });
  });

  it('a client that reads JSON only gets the plain result, whatever the level', async () => {
    const res = await post(deniedCall({ [LOG_LEVEL_META]: 'debug' }), 'application/json');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ id: 7, result: { isError: true } });
  });

  it('setLevel answers {} and an unknown level is invalid params, changing nothing', async () => {
    const set = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'logging/setLevel',
      params: { level: 'warning' },
    });
    expect(await set.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    const bad = await post({ jsonrpc: '2.0', id: 2, method: 'logging/setLevel', params: { level: 'loud' } });
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32602);
    // Still `warning`: a refusal is reported, a success is not.
    const ok = await post({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'userplane_get_profile', arguments: {} },
    });
    expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
    const denied = await post(deniedCall());
    expect(denied.headers.get('content-type')).toBe('text/event-stream');
  });
});

describe('the level table and the slow-call rule', () => {
  function fakeExtra(grantId: string, meta?: Record<string, unknown>) {
    const sent: unknown[] = [];
    const extra = {
      authInfo: { token: 't', clientId: 'c', scopes: [], extra: { userId: 'u', grantId } },
      _meta: meta,
      sendNotification: async (n: unknown) => {
        sent.push(n);
      },
    };
    return { extra: extra as never, sent };
  }

  it('a call slower than the threshold is a warning, naming its ids and duration', () => {
    const levels = enableClientLogging(
      new McpServer({ name: 't', version: '1' }, { capabilities: { logging: {} } }),
    );
    levels.set('g1', 'warning');
    const { extra, sent } = fakeExtra('g1');
    const log = levels.forCall(extra)!;
    log.finished('userplane_list_recordings', { workspaceId: 'ws_1', search: 'customer text' }, 900);
    expect(sent).toEqual([]);
    log.finished(
      'userplane_list_recordings',
      { workspaceId: 'ws_1', search: 'customer text' },
      SLOW_TOOL_CALL_MS + 234,
    );
    expect(sent).toEqual([
      {
        method: 'notifications/message',
        params: {
          level: 'warning',
          logger: 'userplane',
          data: {
            message: `userplane_list_recordings took ${SLOW_TOOL_CALL_MS + 234} ms (slow)`,
            tool: 'userplane_list_recordings',
            ms: SLOW_TOOL_CALL_MS + 234,
            workspaceId: 'ws_1',
          },
        },
      },
    ]);
  });

  it('no level: nothing is built; the table keeps at most its cap, forgetting the oldest', () => {
    const levels = enableClientLogging(
      new McpServer({ name: 't', version: '1' }, { capabilities: { logging: {} } }),
      3,
    );
    expect(levels.forCall(fakeExtra('g0').extra)).toBeNull();
    for (const grant of ['g1', 'g2', 'g3', 'g4']) levels.set(grant, 'info');
    expect(levels.size).toBe(3);
    expect(levels.forCall(fakeExtra('g1').extra)).toBeNull();
    expect(levels.forCall(fakeExtra('g4').extra)).not.toBeNull();
    // Setting again makes a grant the newest.
    levels.set('g2', 'debug');
    levels.set('g5', 'info');
    expect(levels.forCall(fakeExtra('g2').extra)).not.toBeNull();
    expect(levels.forCall(fakeExtra('g3').extra)).toBeNull();
    // A request's own level needs no table entry; an unknown one is ignored.
    expect(levels.forCall(fakeExtra('g9', { [LOG_LEVEL_META]: 'error' }).extra)).not.toBeNull();
    expect(levels.forCall(fakeExtra('g9', { [LOG_LEVEL_META]: 'loud' }).extra)).toBeNull();
  });
});
