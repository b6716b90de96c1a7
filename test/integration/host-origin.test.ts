import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { connectedClient, oauthTestApp } from '../helpers/oauth-scenarios.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Host and Origin validation (issue 11 item 5; MCP 2025-11-25 transports: servers MUST validate
// Origin; GHSA-w48q-cv73-mx4w): a request naming a Host that is not ours is refused before any
// route, health checks included; on /mcp a present Origin must be allowed too.

const EVIL = 'evil.example.com';
const ACCEPT = 'application/json, text/event-stream';
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
});

/** One request of every kind of route: health, REST, OAuth metadata and endpoints, MCP, pages. */
const ROUTES: Array<{ path: string; init?: RequestInit }> = [
  { path: '/healthz' },
  { path: '/readyz' },
  { path: '/api/v1/user' },
  { path: '/.well-known/oauth-authorization-server' },
  { path: '/.well-known/oauth-protected-resource/mcp' },
  { path: '/.well-known/jwks.json' },
  {
    path: '/register',
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Evil', redirect_uris: ['http://127.0.0.1/cb'] }),
    },
  },
  {
    path: '/mcp',
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: initialize,
    },
  },
  { path: '/signin' },
  { path: '/' },
];

async function expectHostRefused(res: Response, label: string, host = EVIL): Promise<void> {
  expect(res.status, label).toBe(403);
  expect(res.headers.get('content-type'), label).toContain('application/json');
  const body = (await res.json()) as { error?: unknown; message?: string };
  // /mcp answers in JSON-RPC, every other route in the API's `{ error, message }`.
  const message =
    typeof body.error === 'string' ? body.message! : (body.error as { message: string }).message;
  if (typeof body.error === 'string') expect(body.error, label).toBe('HOST_NOT_ALLOWED');
  expect(message, label).toContain('ALLOWED_HOSTS');
  expect(message, label).toContain(JSON.stringify(host));
}

describe('a loopback server (HOST=127.0.0.1, PUBLIC_URL http://localhost:3000)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await oauthTestApp();
    token = (await connectedClient(t)).tokens.access_token;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses an evil Host on every kind of route, by Host header or by URL', async () => {
    for (const { path, init } of ROUTES) {
      const headers = new Headers(init?.headers);
      headers.set('host', EVIL);
      await expectHostRefused(await t.request(path, { ...init, headers }), `Host header ${path}`);
      // The URL's authority is what @hono/node-server builds from Host (or an absolute-form target).
      await expectHostRefused(await t.request(`http://${EVIL}${path}`, init), `URL ${path}`);
    }
  });

  it('refuses the evil name on any port, and with a trailing dot or in capitals', async () => {
    for (const host of [`${EVIL}:3000`, `${EVIL}.`, 'EVIL.example.com', 'localhost.evil.example.com']) {
      const res = await t.request('/healthz', { headers: { host } });
      expect(res.status, host).toBe(403);
    }
  });

  it('an evil Host changes nothing: the refused registration left no client behind', async () => {
    const res = await t.request('/register', {
      method: 'POST',
      headers: { host: EVIL, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Refused client', redirect_uris: ['http://127.0.0.1/cb'] }),
    });
    expect(res.status).toBe(403);
    const clients = await t.deps.db
      .selectFrom('oauth_clients')
      .select('client_name')
      .where('client_name', '=', 'Refused client')
      .execute();
    expect(clients).toEqual([]);
  });

  it('accepts PUBLIC_URL’s host and loopback names on any port (in-process requests, several processes, tools)', async () => {
    for (const host of [
      'localhost:3000',
      'localhost',
      'localhost:54321',
      '127.0.0.1:8080',
      '[::1]:3000',
      '127.0.0.1',
    ]) {
      const res = await t.request('/healthz', { headers: { host } });
      expect(res.status, host).toBe(200);
    }
    // app.request('/path') without a Host header: the URL's host is `localhost`.
    expect((await t.request('/readyz')).status).toBe(200);
  });

  it('on /mcp refuses an evil Origin (with a valid token, and on the preflight) and admits loopback and own origins', async () => {
    const post = (origin?: string) =>
      t.request('/mcp', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: ACCEPT,
          ...(origin ? { origin } : {}),
        },
        body: initialize,
      });
    for (const origin of [
      `http://${EVIL}`,
      'https://localhost.evil.example.com',
      'null',
      'http://localhost:3000.evil.example.com',
    ]) {
      const res = await post(origin);
      expect(res.status, origin).toBe(403);
      const body = (await res.json()) as { jsonrpc: string; error: { message: string } };
      expect(body.jsonrpc).toBe('2.0');
      expect(body.error.message, origin).toContain('ALLOWED_ORIGINS');
    }
    const preflight = (origin: string) =>
      t.request('/mcp', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    expect((await preflight(`http://${EVIL}`)).status).toBe(403);
    expect((await preflight('http://localhost:6274')).status).toBe(204);
    // MCP Inspector's origin, any other loopback origin, our own origin, and no Origin at all.
    for (const origin of [
      'http://localhost:6274',
      'http://127.0.0.1:6274',
      'http://[::1]:8080',
      'http://localhost:3000',
      undefined,
    ]) {
      const res = await post(origin);
      expect(res.status, String(origin)).toBe(200);
      expect(
        ((await res.json()) as { result: { serverInfo: { name: string } } }).result.serverInfo.name,
      ).toBe('userplane');
    }
  });

  it('checks Origin on /mcp only: other routes serve any origin (CORS documents, the recorder, the embed script)', async () => {
    const res = await t.request('/.well-known/oauth-protected-resource/mcp', {
      headers: { origin: `https://${EVIL}` },
    });
    expect(res.status).toBe(200);
    expect((await t.request('/healthz', { headers: { origin: `https://${EVIL}` } })).status).toBe(200);
  });
});

describe('ALLOWED_HOSTS and ALLOWED_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ALLOWED_HOSTS: '10.0.0.5, internal.example:8080, [fd00::1], 10.1.0.0/16, fd10::/64',
        ALLOWED_ORIGINS: 'https://agent.example.com',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('admits a listed name on any port, a listed name:port on that port only', async () => {
    for (const [host, status] of [
      ['10.0.0.5', 200], // a load balancer probing by IP
      ['10.0.0.5:3000', 200],
      ['internal.example:8080', 200],
      ['internal.example:9090', 403],
      ['internal.example', 403],
      ['[fd00::1]:3000', 200],
      ['10.0.0.6', 403],
      ['10.1.200.7:3000', 200], // a load balancer's subnet
      ['10.2.0.1', 403],
      ['[fd10::7]:3000', 200],
      ['[fd11::7]', 403],
    ] as const) {
      const res = await t.request('/healthz', { headers: { host } });
      expect(res.status, host).toBe(status);
    }
  });

  it('admits a listed Origin on /mcp (up to the token check)', async () => {
    const res = await t.request('/mcp', {
      method: 'POST',
      headers: { origin: 'https://agent.example.com', 'content-type': 'application/json', accept: ACCEPT },
      body: initialize,
    });
    expect(res.status).toBe(401);
    const other = await t.request('/mcp', {
      method: 'POST',
      headers: {
        origin: 'https://agent.example.com:8443',
        'content-type': 'application/json',
        accept: ACCEPT,
      },
      body: initialize,
    });
    expect(other.status).toBe(403);
  });
});

describe('a non-loopback deployment (HOST=0.0.0.0, PUBLIC_URL https://up.example.com)', () => {
  let t: TestApp;
  let listed: TestApp;
  beforeAll(async () => {
    const env = { PUBLIC_URL: 'https://up.example.com', HOST: '0.0.0.0' };
    t = await createTestApp({ env });
    listed = await createTestApp({ env: { ...env, ALLOWED_HOSTS: 'localhost' } });
  });
  afterAll(async () => {
    await t?.close();
    await listed?.close();
  });

  it('refuses Host localhost unless it is listed, and serves its public host (with or without :443)', async () => {
    await expectHostRefused(await t.request('/healthz'), 'in-process localhost', 'localhost');
    await expectHostRefused(await t.request('http://127.0.0.1:3000/healthz'), '127.0.0.1', '127.0.0.1:3000');
    expect((await t.request('https://up.example.com/healthz')).status).toBe(200);
    const spelledOut = await t.request('https://up.example.com/healthz', {
      headers: { host: 'up.example.com:443' },
    });
    expect(spelledOut.status).toBe(200);
    expect((await t.request('https://up.example.com:8443/healthz')).status).toBe(403);
    expect((await listed.request('/healthz')).status).toBe(200);
    expect((await listed.request('/healthz', { headers: { host: 'localhost:3000' } })).status).toBe(200);
  });

  it('does not admit loopback origins on /mcp: only its own origin', async () => {
    const post = (origin: string) =>
      t.request('https://up.example.com/mcp', {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', accept: ACCEPT },
        body: initialize,
      });
    expect((await post('http://localhost:6274')).status).toBe(403);
    expect((await post('https://up.example.com')).status).toBe(401); // on to the token check
  });
});

describe('ALLOWED_HOSTS and ALLOWED_ORIGINS are validated at start, naming the setting', () => {
  const base = () => ({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'up-hosts-')),
    USERPLANE_SECRET: 'x'.repeat(40),
  });

  it('normalizes good entries', () => {
    const config = loadConfig({
      ...base(),
      ALLOWED_HOSTS: ' LB.Example.com. , 10.0.0.5:3000,[::1]:8080 ,10.0.0.0/08,[FD00::]/64',
      ALLOWED_ORIGINS: 'https://Agent.Example.com:443, http://localhost:6274/',
    });
    expect(config.allowedHosts).toEqual([
      'lb.example.com',
      '10.0.0.5:3000',
      '[::1]:8080',
      '10.0.0.0/8',
      'fd00::/64',
    ]);
    expect(config.allowedOrigins).toEqual(['https://agent.example.com', 'http://localhost:6274']);
    expect(loadConfig(base()).allowedHosts).toEqual([]);
  });

  it.each([
    ['ALLOWED_HOSTS', 'https://lb.example.com'],
    ['ALLOWED_HOSTS', 'lb.example.com/health'],
    ['ALLOWED_HOSTS', '10.0.0.0/33'],
    ['ALLOWED_HOSTS', 'lb.example.com/16'],
    ['ALLOWED_HOSTS', '*'],
    ['ALLOWED_HOSTS', '::1'],
    ['ALLOWED_HOSTS', 'lb.example.com:0'],
    ['ALLOWED_HOSTS', 'lb.example.com:70000'],
    ['ALLOWED_HOSTS', 'bad host'],
    ['ALLOWED_ORIGINS', 'agent.example.com'],
    ['ALLOWED_ORIGINS', 'ftp://agent.example.com'],
    ['ALLOWED_ORIGINS', 'https://agent.example.com/path'],
    ['ALLOWED_ORIGINS', 'https://agent.example.com?q=1'],
    ['ALLOWED_ORIGINS', 'https://user:pw@agent.example.com'],
  ])('%s=%s is refused', (name, value) => {
    expect(() => loadConfig({ ...base(), [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), [name]: value })).toThrow(name);
  });
});

describe('a real `userplane serve` applies it (raw node:http requests)', () => {
  let procs: ServerProcesses;
  beforeAll(async () => {
    procs = await startServerProcesses(1);
  }, 60_000);
  afterAll(async () => {
    await procs?.stop();
  });

  function raw(path: string, headers: Record<string, string>, method = 'GET', body?: string) {
    const url = new URL(procs.urls[0]!);
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path, method, headers, setHost: false },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('refuses a foreign Host on the health check and /mcp, accepts its own and loopback names', async () => {
    const own = new URL(procs.urls[0]!).host;
    const refused = await raw('/healthz', { host: EVIL });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'HOST_NOT_ALLOWED' });
    expect(refused.body).toContain('ALLOWED_HOSTS');
    const mcp = await raw(
      '/mcp',
      { host: EVIL, 'content-type': 'application/json', accept: ACCEPT },
      'POST',
      initialize,
    );
    expect(mcp.status).toBe(403);
    expect((await raw('/healthz', { host: own })).status).toBe(200);
    expect((await raw('/healthz', { host: 'localhost:1' })).status).toBe(200);
    // A DNS-rebinding page on /mcp: its name in Host, its origin in Origin.
    const rebinding = await raw(
      '/mcp',
      { host: own, origin: `http://${EVIL}`, 'content-type': 'application/json', accept: ACCEPT },
      'POST',
      initialize,
    );
    expect(rebinding.status).toBe(403);
    expect(rebinding.body).toContain('ALLOWED_ORIGINS');
    expect(procs.output(0)).toContain('ALLOWED_HOSTS');
  });
});
