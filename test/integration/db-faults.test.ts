import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/api-keys.ts';
import { createUser } from '../../src/services/users.ts';
import { tokensOverHttp } from '../helpers/oauth-http.ts';
import { ALICE, grantIdOf } from '../helpers/oauth-scenarios.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { testDialect, testPostgresUrl } from '../helpers/test-app.ts';

// Issue 13: the server survives database faults. Real `userplane serve` processes on PostgreSQL;
// the faults are real too: the database terminating the server's backends, and the network to it
// cut by a TCP proxy the test controls. (SQLite is a file inside the process: it cannot go away
// while the process runs, so these run on PostgreSQL only.)

const REQUEST_TIMEOUT_MS = 10_000;

const mcpCall = (token: string): RequestInit => ({
  method: 'POST',
  headers: {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  },
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'userplane_get_profile', arguments: {} },
  }),
});

/** A token request the server must look up in the database (and refuse): 400 when it is up. */
const bogusCode = (clientId: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({
    grant_type: 'authorization_code',
    code: 'no-such-code',
    code_verifier: 'v'.repeat(43),
    client_id: clientId,
    redirect_uri: 'http://127.0.0.1:53001/callback',
  }).toString(),
});

interface Outcome {
  name: string;
  status: number;
  body: string;
  retryAfter: string | null;
}

/** One request with a bound: a hang past REQUEST_TIMEOUT_MS, or a dropped connection, throws. */
async function call(name: string, url: string, init: RequestInit = {}): Promise<Outcome> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { name, status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
}

/** What each surface must answer while the database is away: 503 with its own error shape. */
function expectUnavailable(outcome: Outcome): void {
  expect(outcome.status, `${outcome.name}: ${outcome.body}`).toBe(503);
  const body = JSON.parse(outcome.body) as Record<string, unknown>;
  if (outcome.name === 'rest' || outcome.name === 'readyz') {
    expect(body.error).toBe('SERVICE_UNAVAILABLE');
    expect(outcome.retryAfter).not.toBeNull();
  } else if (outcome.name === 'mcp') {
    // A JSON-RPC error, whether the token check or the tool found the database missing.
    expect(body.jsonrpc).toBe('2.0');
    expect((body.error as { message: string }).message).toMatch(/unavailable/i);
  } else if (outcome.name === 'token') {
    expect(body.error).toBe('temporarily_unavailable');
  }
}

/** The answer each probe gives when everything works. */
const healthy: Record<string, number> = { rest: 200, mcp: 200, token: 400, readyz: 200, healthz: 200 };

function probes(base: string, apiKey: string, accessToken: string, clientId: string) {
  return {
    rest: () => call('rest', `${base}/api/v1/public/me`, { headers: { authorization: `Bearer ${apiKey}` } }),
    mcp: () => call('mcp', `${base}/mcp`, mcpCall(accessToken)),
    token: () => call('token', `${base}/token`, bogusCode(clientId)),
    readyz: () => call('readyz', `${base}/readyz`),
    healthz: () => call('healthz', `${base}/healthz`),
  };
}

/** Probes every surface until all answer as healthy; returns how long that took. */
async function msUntilHealthy(all: ReturnType<typeof probes>, limitMs: number): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    const outcomes = await Promise.all(Object.values(all).map((probe) => probe()));
    if (outcomes.every((o) => o.status === healthy[o.name])) return Date.now() - start;
    for (const o of outcomes) if (o.status !== healthy[o.name]) expectUnavailable(o);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number.POSITIVE_INFINITY;
}

const outageLines = (output: string) =>
  output.split('\n').filter((line) => line.includes('database unreachable'));

async function seedAliceWithKey(procs: Pick<ServerProcesses, 'withDeps'>): Promise<string> {
  return procs.withDeps(async (deps) => {
    const alice = await createUser(deps, { ...ALICE, name: 'Alice' });
    return (await createApiKey(deps, { userId: alice.id })).secret;
  });
}

describe.runIf(testDialect === 'postgres')('database faults on PostgreSQL (issue 13)', () => {
  describe('the database terminates the server’s connections under load', () => {
    const applicationName = `up_fault_${Math.random().toString(36).slice(2, 8)}`;
    let procs: ServerProcesses;
    let apiKey = '';
    let admin: pg.Client;

    beforeAll(async () => {
      procs = await startServerProcesses(1, {
        env: { API_RATE_LIMIT_PER_MINUTE: '100000', API_RATE_LIMIT_PER_DAY: '1000000' },
        beforeStart: async (p) => {
          apiKey = await seedAliceWithKey(p);
        },
        // Tagged, so the test terminates this server's backends and no one else's.
        envFor: (_, env) => ({ DATABASE_URL: `${env.DATABASE_URL}&application_name=${applicationName}` }),
      });
      admin = new pg.Client({ connectionString: testPostgresUrl });
      await admin.connect();
    }, 90_000);
    afterAll(async () => {
      if (process.env.DEBUG_FAULTS) console.log(procs?.output(0));
      await admin?.end();
      await procs?.stop();
    });

    it('stays up, answers 503-class errors (never another 5xx, never a hang), and works again within 5 s', async () => {
      const base = procs.urls[0]!;
      const tokens = await tokensOverHttp(procs.publicUrl, 'Fault App', 53001);
      const all = probes(base, apiKey, tokens.access_token, tokens.clientId);
      expect(await msUntilHealthy(all, 5000)).toBeLessThan(5000);

      const outcomes: Outcome[] = [];
      let loading = true;
      const worker = async () => {
        while (loading) for (const probe of Object.values(all)) outcomes.push(await probe());
      };
      const workers = Array.from({ length: 6 }, worker);
      let terminated = 0;
      for (let round = 0; round < 3; round++) {
        await new Promise((r) => setTimeout(r, 400));
        const result = await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
          [applicationName],
        );
        terminated += result.rowCount ?? 0;
      }
      const faultAt = Date.now();
      loading = false;
      await Promise.all(workers);

      if (process.env.DEBUG_FAULTS)
        console.log({
          terminated,
          total: outcomes.length,
          failed: outcomes.filter((o) => o.status === 503).map((o) => o.name),
        });
      expect(terminated).toBeGreaterThan(0);
      expect(outcomes.length).toBeGreaterThan(50);
      for (const outcome of outcomes) {
        if (outcome.status !== healthy[outcome.name]) expectUnavailable(outcome);
      }
      const recoveredIn = await msUntilHealthy(all, 5000);
      expect(Date.now() - faultAt).toBeLessThan(5000 + 1000);
      expect(recoveredIn).toBeLessThan(5000);
      expect(procs.alive(0)).toBe(true);
      const output = procs.output(0);
      expect(output).not.toMatch(/Unhandled 'error' event|INTERNAL_ERROR|unhandled error/);
      // Logged per outage, not per failed request.
      const failed = outcomes.filter((o) => o.status === 503).length;
      expect(outageLines(output).length).toBeLessThanOrEqual(Math.max(3, failed));
      expect(outageLines(output).length).toBeLessThanOrEqual(6);
    }, 60_000);
  });

  describe('the network to the database is cut for 10 s (a TCP proxy in front of process A)', () => {
    let proxy: TcpProxy;
    let procs: ServerProcesses;
    let apiKey = '';

    beforeAll(async () => {
      const target = new URL(testPostgresUrl);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      procs = await startServerProcesses(2, {
        env: { API_RATE_LIMIT_PER_MINUTE: '100000', API_RATE_LIMIT_PER_DAY: '1000000' },
        beforeStart: async (p) => {
          apiKey = await seedAliceWithKey(p);
        },
        // Process A reaches the database only through the proxy; process B directly.
        envFor: (index, env): Record<string, string> => {
          if (index !== 0) return {};
          const url = new URL(env.DATABASE_URL!);
          url.host = `127.0.0.1:${proxy.port}`;
          return { DATABASE_URL: url.toString() };
        },
      });
    }, 90_000);
    afterAll(async () => {
      await procs?.stop();
      await proxy?.close();
    });

    it('/readyz 503 during and 200 after; every surface 503s meanwhile; a revocation made on B meanwhile holds on A within 2 s of recovery (S20)', async () => {
      const [a, b] = procs.urls as [string, string];
      const revoked = await tokensOverHttp(procs.publicUrl, 'Cut App One', 53002);
      const kept = await tokensOverHttp(procs.publicUrl, 'Cut App Two', 53003);
      expect(grantIdOf(revoked.access_token)).not.toBe(grantIdOf(kept.access_token));
      const onA = probes(a, apiKey, kept.access_token, kept.clientId);
      expect(await msUntilHealthy(onA, 5000)).toBeLessThan(5000);
      expect((await call('mcp', `${a}/mcp`, mcpCall(revoked.access_token))).status).toBe(200);

      proxy.cut();
      const cutAt = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      // Each surface answers 503 in its own shape, promptly; the process itself is healthy.
      for (const name of ['rest', 'mcp', 'token', 'readyz'] as const) {
        const started = Date.now();
        expectUnavailable(await onA[name]());
        expect(Date.now() - started).toBeLessThan(5000);
      }
      expect((await onA.healthz()).status).toBe(200);

      // Meanwhile process B, which still reaches the database, revokes one grant (RFC 7009, S36).
      const revokedAt = Date.now();
      const res = await fetch(`${b}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: revoked.refresh_token, client_id: revoked.clientId }).toString(),
      });
      expect(res.status).toBe(200);
      expect((await call('mcp', `${b}/mcp`, mcpCall(revoked.access_token))).status).toBe(401);

      // For the rest of the 10 s, A never serves the revoked token and keeps saying 503.
      while (Date.now() - cutAt < 10_000) {
        const outcome = await call('mcp', `${a}/mcp`, mcpCall(revoked.access_token));
        expect(outcome.status, outcome.body).not.toBe(200);
        if (Date.now() - revokedAt > 2000) expectUnavailable(outcome);
        expectUnavailable(await onA.readyz());
        await new Promise((r) => setTimeout(r, 250));
      }

      proxy.restore();
      const restoredAt = Date.now();
      let refusedAt = Number.POSITIVE_INFINITY;
      while (Date.now() - restoredAt < 4000) {
        const outcome = await call('mcp', `${a}/mcp`, mcpCall(revoked.access_token));
        if (outcome.status === 401) {
          refusedAt = Date.now();
          break;
        }
        expect(outcome.status, outcome.body).not.toBe(200);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(refusedAt - restoredAt).toBeLessThan(2000);
      expect(await msUntilHealthy(onA, 5000)).toBeLessThan(5000);
      expect(procs.alive(0)).toBe(true);
      const output = procs.output(0);
      expect(output).not.toMatch(/Unhandled 'error' event|unhandled error/);
      // Ten seconds of failing requests and LISTEN retries: a handful of lines, not one per failure.
      expect(outageLines(output).length).toBeGreaterThanOrEqual(1);
      expect(outageLines(output).length).toBeLessThanOrEqual(3);
    }, 60_000);
  });
});
