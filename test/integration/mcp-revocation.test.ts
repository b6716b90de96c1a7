import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { revokeConnectedApp } from '../../src/services/oauth/grants.ts';
import { createUser } from '../../src/services/users.ts';
import { revokeGrant } from '../../src/store/oauth-grants.ts';
import { tokensOverHttp } from '../helpers/oauth-http.ts';
import { ALICE, connectedClient, grantIdOf, grantRow, oauthTestApp } from '../helpers/oauth-scenarios.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { type TestApp, testDialect } from '../helpers/test-app.ts';

// S20: once a Connected App is revoked, its grant's unexpired access tokens are refused by every
// server process within 2 seconds, while the user's other grants keep working.

const LIMIT_MS = 2000;
const body = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'userplane_get_profile', arguments: {} },
});
const init = (token: string): RequestInit => ({
  method: 'POST',
  headers: {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  },
  body,
});

/** Calls `probe` every 50 ms until it answers 401; returns how long that took (or Infinity). */
async function msUntilRefused(
  probe: () => Response | Promise<Response>,
  limit = LIMIT_MS * 2,
): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < limit) {
    const res = await probe();
    if (res.status === 401) {
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      return Date.now() - start;
    }
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Number.POSITIVE_INFINITY;
}

describe('S20 in one process', () => {
  let t: TestApp;
  let userId: string;

  beforeAll(async () => {
    t = await oauthTestApp();
    userId = (
      await t.store.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', ALICE.email)
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('S20: revoking a Connected App refuses its token at once; the user’s other grant keeps working', async () => {
    const a = await connectedClient(t, { client_name: 'App A' });
    const b = await connectedClient(t, { client_name: 'App B' }, 'http://127.0.0.1:50999/callback');
    // Both tokens verified and cached first: revocation must not hide behind the token cache.
    expect((await t.request('/mcp', init(a.tokens.access_token))).status).toBe(200);
    expect((await t.request('/mcp', init(b.tokens.access_token))).status).toBe(200);

    await revokeConnectedApp(t.deps, userId, a.grantId, {});

    const refused = await t.request('/mcp', init(a.tokens.access_token));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="http://localhost:3000/.well-known/oauth-protected-resource/mcp", scope="mcp:tools", error="invalid_token"',
    );
    expect((await t.request('/mcp', init(b.tokens.access_token))).status).toBe(200);
  });

  it('S20: a revocation written by another process (no event, no notification) lands within 2 s by polling', async () => {
    const a = await connectedClient(t, { client_name: 'App C' }, 'http://127.0.0.1:51001/callback');
    const b = await connectedClient(t, { client_name: 'App D' }, 'http://127.0.0.1:51002/callback');
    expect((await t.request('/mcp', init(a.tokens.access_token))).status).toBe(200);
    // As the CLI or another server would: a plain UPDATE of the row.
    await t.store.db
      .updateTable('oauth_grants')
      .set({ revoked_at: Date.now(), revoke_reason: 'elsewhere' })
      .where('id', '=', a.grantId)
      .execute();
    const elapsed = await msUntilRefused(() => t.request('/mcp', init(a.tokens.access_token)));
    expect(elapsed).toBeLessThan(LIMIT_MS);
    expect((await t.request('/mcp', init(b.tokens.access_token))).status).toBe(200);
  });

  it('knows revocations made before it started (the view loads recent ones)', async () => {
    const a = await connectedClient(t, { client_name: 'App E' }, 'http://127.0.0.1:51003/callback');
    await revokeGrant(t.store.db, a.grantId, 'before start', Date.now());
    // A second app on the same database whose view has not loaded yet; polling off.
    const other = buildApp({
      config: { ...t.config, database: t.config.database },
      store: t.store,
      log: silentLogger(),
      mcp: { revocationPollMs: 0 },
    });
    expect(other.mcp.revocations.loaded).toBe(false);
    expect((await other.app.request('/mcp', init(a.tokens.access_token))).status).toBe(401);
    await other.mcp.stop();
  });

  it('records "last used" on the grant, at most once a minute', async () => {
    const a = await connectedClient(t, { client_name: 'App F' }, 'http://127.0.0.1:51004/callback');
    // The token exchange counts as use; pretend that was long ago.
    const longAgo = Date.now() - 10 * 60_000;
    await t.store.db
      .updateTable('oauth_grants')
      .set({ last_used_at: longAgo })
      .where('id', '=', a.grantId)
      .execute();
    const before = Date.now();
    expect((await t.request('/mcp', init(a.tokens.access_token))).status).toBe(200);
    let first = longAgo;
    for (let i = 0; i < 40 && first === longAgo; i++) {
      await new Promise((r) => setTimeout(r, 25));
      first = Number((await grantRow(t, a.grantId)).last_used_at);
    }
    expect(first).toBeGreaterThanOrEqual(before);
    await new Promise((r) => setTimeout(r, 20));
    expect((await t.request('/mcp', init(a.tokens.access_token))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(Number((await grantRow(t, a.grantId)).last_used_at)).toBe(first);
  });

  // LISTEN/NOTIFY exists only on PostgreSQL; on SQLite the in-process event above is the path.
  it.runIf(testDialect === 'postgres')(
    'S20: on PostgreSQL a NOTIFY alone (no polling, no in-process event) reaches another app',
    async () => {
      const a = await connectedClient(t, { client_name: 'App G' }, 'http://127.0.0.1:51005/callback');
      const other = buildApp({
        config: t.config,
        store: t.store,
        log: silentLogger(),
        mcp: { revocationPollMs: 0 },
      });
      try {
        expect((await other.app.request('/mcp', init(a.tokens.access_token))).status).toBe(200);
        // The repository call, not the service: no in-process event is emitted.
        await revokeGrant(t.store.db, a.grantId, 'notify test', Date.now());
        const elapsed = await msUntilRefused(() => other.app.request('/mcp', init(a.tokens.access_token)));
        expect(elapsed).toBeLessThan(LIMIT_MS);
      } finally {
        await other.mcp.stop();
      }
    },
  );
});

// Several server processes share one database only on PostgreSQL; an SQLite file belongs to one
// server process by design.
describe.runIf(testDialect === 'postgres')('S20 across two server processes on one PostgreSQL', () => {
  let procs: ServerProcesses;

  beforeAll(async () => {
    procs = await startServerProcesses(2, {
      beforeStart: ({ withDeps }) => withDeps((deps) => createUser(deps, { ...ALICE, name: 'Alice' })),
    });
  }, 90_000);
  afterAll(async () => {
    await procs?.stop();
  });

  it('S20: a grant revoked through process A is refused by process B within 2 s; the other grant works', async () => {
    const [a, b] = procs.urls as [string, string];
    const revoked = await tokensOverHttp(procs.publicUrl, 'App One', 52001);
    const kept = await tokensOverHttp(procs.publicUrl, 'App Two', 52002);
    expect(grantIdOf(revoked.access_token)).not.toBe(grantIdOf(kept.access_token));
    // Process B verifies (and caches) both tokens first.
    expect((await fetch(`${b}/mcp`, init(revoked.access_token))).status).toBe(200);
    expect((await fetch(`${b}/mcp`, init(kept.access_token))).status).toBe(200);

    // RFC 7009 revocation of the refresh token at process A ends the grant (S36).
    const res = await fetch(`${a}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: revoked.refresh_token, client_id: revoked.clientId }).toString(),
    });
    expect(res.status).toBe(200);

    const elapsed = await msUntilRefused(() => fetch(`${b}/mcp`, init(revoked.access_token)));
    expect(elapsed).toBeLessThan(LIMIT_MS);
    expect((await fetch(`${b}/mcp`, init(kept.access_token))).status).toBe(200);
    expect((await fetch(`${a}/mcp`, init(revoked.access_token))).status).toBe(401);
  });
});
