import { Agent, request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/services/users.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { ALICE, connectedClient } from '../helpers/oauth-scenarios.ts';
import { testDialect } from '../helpers/test-app.ts';

// POST /mcp is served straight off node:http (src/mcp/route.ts NODE_PATH, src/main.ts), everything
// else by the hono app through @hono/node-server. Both must answer alike: each request here is sent
// once to /mcp (the node path) and once with an absolute-form target (`POST http://host/mcp`, which
// main.ts hands to the app), on the real server `userplane serve` runs, and the answers compared.

const ACCEPT = 'application/json, text/event-stream';

interface Wire {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: ListeningApp;
let token: string;
const lines: Array<Record<string, unknown>> = [];
// Keep-alive, as real clients connect: a `connection: close` answer says the server will not reuse it.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request over its own connection; `absolute` sends the target in absolute form (the app's path). */
function send(
  options: {
    absolute: boolean;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunked?: boolean;
    method?: string;
  },
  path = '/mcp',
): Promise<Wire> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'POST',
        path: options.absolute ? `${server.url}${path}` : path,
        headers: {
          ...(options.chunked || options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', (error) => {
      // A server that answered a too-large body may close before the whole body went out.
      if (
        (error as NodeJS.ErrnoException).code !== 'EPIPE' &&
        (error as NodeJS.ErrnoException).code !== 'ECONNRESET'
      )
        reject(error);
    });
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

const mcpHeaders = (bearer: string | null, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  accept: ACCEPT,
  ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
  ...extra,
});

/**
 * What must match between the two paths: status, body, and every header but the date, for an empty
 * body how its absence is framed (the app sends an empty chunked body, the node path
 * `content-length: 0`), and whether the connection stays open: the app closes it after an answer
 * given before the body was read (a refused token, a wrong Accept), the node path reads the body
 * first and keeps it (asserted on its own below).
 */
function comparable(wire: Wire, { randomSession = false } = {}) {
  const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...headers } = wire.headers;
  if (wire.body === '') {
    delete headers['content-length'];
    delete headers['transfer-encoding'];
  }
  if (randomSession && headers['mcp-session-id']) headers['mcp-session-id'] = '(random)';
  return { status: wire.status, headers, body: wire.body };
}

async function both(
  options: Omit<Parameters<typeof send>[0], 'absolute'>,
  compare: { randomSession?: boolean } = {},
): Promise<Wire> {
  const fast = await send({ ...options, absolute: false });
  const app = await send({ ...options, absolute: true });
  expect(comparable(fast, compare)).toEqual(comparable(app, compare));
  return fast;
}

const call = (id: number, name: string, args: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe(`POST /mcp straight off node:http answers as the app does [${testDialect}]`, () => {
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    server = await startListeningApp({ log: pino({ level: 'info' }, sink) });
    await createUser(server.t.deps, ALICE);
    token = (await connectedClient(server.t)).tokens.access_token;
  });
  afterAll(async () => {
    agent.destroy();
    await server?.close();
  });

  it('a tool call: the same 200, headers (CORS included) and JSON-RPC body', async () => {
    const res = await both({
      headers: mcpHeaders(token, { origin: server.url }),
      body: call(7, 'userplane_get_profile'),
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: '2.0', id: 7, result: { structuredContent: {} } });
  });

  it('initialize (a session id either way), a batch, and a notification alone (202)', async () => {
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'c', version: '1' },
      },
    });
    const first = await both({ headers: mcpHeaders(token), body: init }, { randomSession: true });
    expect(first.headers['mcp-session-id']).toBeTruthy();
    const batch = `[${call(1, 'userplane_get_profile')},${call(2, 'userplane_list_workspaces')}]`;
    expect((await both({ headers: mcpHeaders(token), body: batch })).status).toBe(200);
    const note = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect((await both({ headers: mcpHeaders(token), body: note })).status).toBe(202);
  });

  it('refused tokens: the same 401 challenges (S18), and the connection stays open on the node path', async () => {
    const body = call(1, 'userplane_get_profile');
    const none = await both({ headers: mcpHeaders(null), body });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer resource_metadata=/);
    const bad = await both({ headers: mcpHeaders('not-a-token'), body });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    // The body was read before answering, so a client may send its next request on this connection.
    expect(bad.headers.connection).toBe('keep-alive');
    const basic = await both({ headers: mcpHeaders(null, { authorization: 'Basic eDp5' }), body });
    expect(basic.status).toBe(401);
  });

  it('the transport’s refusals: Accept, Content-Type, protocol version, JSON, JSON-RPC', async () => {
    const body = call(1, 'userplane_get_profile');
    const accept = await both({ headers: mcpHeaders(token, { accept: 'text/html' }), body });
    expect(accept.status).toBe(406);
    expect(accept.headers.connection).toBe('keep-alive');
    expect((await both({ headers: mcpHeaders(token, { 'content-type': 'text/plain' }), body })).status).toBe(
      415,
    );
    expect(
      (await both({ headers: mcpHeaders(token, { 'mcp-protocol-version': '1999-01-01' }), body })).status,
    ).toBe(400);
    expect((await both({ headers: mcpHeaders(token), body: '{"jsonrpc":' })).status).toBe(400);
    expect((await both({ headers: mcpHeaders(token), body: '{"jsonrpc":"1.0"}' })).status).toBe(400);
    expect((await both({ headers: mcpHeaders(token), body: '[]' })).status).toBe(400);
  });

  it('a chunked body over 1 MiB: 413 and the connection closed, on both paths', async () => {
    const huge = Buffer.alloc(1024 * 1024 + 10, 0x20);
    const res = await both({ headers: mcpHeaders(token), body: huge, chunked: true });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
  });

  it('what the node path leaves to the app: preflight, GET, a declared body over 1 MiB, a foreign Origin or Host', async () => {
    const preflight = await send({
      absolute: false,
      method: 'OPTIONS',
      headers: { origin: server.url, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect((await send({ absolute: false, method: 'GET', headers: mcpHeaders(token) })).status).toBe(405);
    const big = await send({
      absolute: false,
      headers: mcpHeaders(token, { 'content-length': String(2 * 1024 * 1024) }),
      body: Buffer.alloc(10),
    }).catch(() => undefined);
    if (big) expect(big.status).toBe(413);
    const body = call(1, 'userplane_get_profile');
    expect(
      (await send({ absolute: false, headers: mcpHeaders(token, { origin: 'https://evil.example' }), body }))
        .status,
    ).toBe(403);
    expect(
      (await send({ absolute: false, headers: mcpHeaders(token, { host: 'evil.example' }), body })).status,
    ).toBe(403);
  });

  it('every request on the node path is in the access log, as the app logs its own', async () => {
    lines.length = 0;
    await send({ absolute: false, headers: mcpHeaders(token), body: call(1, 'userplane_get_profile') });
    await send({ absolute: false, headers: mcpHeaders('nope'), body: call(1, 'userplane_get_profile') });
    const logged = lines.filter((l) => l.msg === 'request' && l.path === '/mcp');
    expect(logged.map((l) => [l.method, l.status])).toEqual([
      ['POST', 200],
      ['POST', 401],
    ]);
    expect(typeof logged[0]!.ms).toBe('number');
    // S37: never a header, never the token.
    expect(JSON.stringify(lines)).not.toContain('nope');
  });
});
