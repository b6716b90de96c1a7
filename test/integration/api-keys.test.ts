import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { json, type TestUser, userWithKey } from '../helpers/builders.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

describe(`API keys over HTTP [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    alice = await userWithKey(t.deps, 'alice');
  });
  afterAll(async () => t.close());

  it('refuses a request without a key (API_KEY_REQUIRED) and a wrong one (API_KEY_INVALID)', async () => {
    const none = await t.request('/api/v1/public/me');
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'API_KEY_REQUIRED' });
    const wrong = await t.request('/api/v1/public/me', {
      headers: { authorization: `Bearer uspl_${'x'.repeat(43)}` },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'API_KEY_INVALID' });
    const malformed = await t.request('/api/v1/public/me', { headers: { authorization: 'Basic abc' } });
    expect((await malformed.json()).error).toBe('API_KEY_INVALID');
  });

  it('GET /public/me returns the user and stats', async () => {
    const res = await t.request('/api/v1/public/me', { headers: alice.headers });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.data.user).toMatchObject({ id: alice.user.id, email: alice.email, emailVerified: false });
    expect(body.data.stats).toEqual({ workspaces: 0, recordings: 0, links: 0 });
    expect(res.headers.get('x-ratelimit-limit')).toBe('120');
  });

  it('shows a new key once and stores only its SHA-256 hash (S37)', async () => {
    const res = await t.request(
      '/api/v1/public/api-keys',
      json('POST', alice, { name: 'ci', expiresIn: '30d' }),
    );
    expect(res.status).toBe(201);
    const { data } = await res.json();
    expect(data.key).toMatch(/^uspl_[A-Za-z0-9_-]{43}$/);
    expect(data.maskedKey).toBe(`uspl_…${data.key.slice(-4)}`);
    expect(new Date(data.expiresAt).getTime()).toBe(clock.now() + 30 * DAY_MS);

    const rows = await t.store.db.selectFrom('api_keys').selectAll().execute();
    for (const row of rows) {
      expect(JSON.stringify(row)).not.toContain(data.key.slice(5));
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    const listed = await (await t.request('/api/v1/public/api-keys', { headers: alice.headers })).json();
    expect(JSON.stringify(listed)).not.toContain(data.key);
    expect(listed.data.apiKeys.map((k: { keyId: string }) => k.keyId)).toContain(data.keyId);

    const use = await t.request('/api/v1/public/me', { headers: { authorization: `Bearer ${data.key}` } });
    expect(use.status).toBe(200);
  });

  it('refuses a fourth live key and changes nothing', async () => {
    // alice has the builder's key and the "ci" key: one more is allowed, then refused.
    const third = await t.request('/api/v1/public/api-keys', json('POST', alice, {}));
    expect(third.status).toBe(201);
    const before = await t.store.db.selectFrom('api_keys').select('id').execute();
    const fourth = await t.request('/api/v1/public/api-keys', json('POST', alice, { name: 'one too many' }));
    expect(fourth.status).toBe(403);
    expect((await fourth.json()).error).toBe('API_KEY_LIMIT_REACHED');
    expect(await t.store.db.selectFrom('api_keys').select('id').execute()).toHaveLength(before.length);
  });

  it('rotate kills the old key at once; revoke kills the new one', async () => {
    const bob = await userWithKey(t.deps, 'bob');
    const rotated = await t.request(`/api/v1/public/api-keys/${bob.key.id}/rotate`, json('POST', bob));
    expect(rotated.status).toBe(200);
    const fresh = (await rotated.json()).data;
    expect(fresh.key).not.toBe(bob.secret);
    const old = await t.request('/api/v1/public/me', { headers: bob.headers });
    expect(old.status).toBe(401);
    expect((await old.json()).error).toBe('API_KEY_INVALID');
    const freshHeaders = { authorization: `Bearer ${fresh.key}` };
    expect((await t.request('/api/v1/public/me', { headers: freshHeaders })).status).toBe(200);

    const revoked = await t.request(`/api/v1/public/api-keys/${fresh.keyId}`, {
      method: 'DELETE',
      headers: freshHeaders,
    });
    expect(revoked.status).toBe(200);
    expect((await t.request('/api/v1/public/me', { headers: freshHeaders })).status).toBe(401);
  });

  it("cannot rotate or revoke someone else's key (404)", async () => {
    const carol = await userWithKey(t.deps, 'carol');
    const res = await t.request(`/api/v1/public/api-keys/${alice.key.id}`, {
      method: 'DELETE',
      headers: carol.headers,
    });
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe('API_KEY_NOT_FOUND');
    const rot = await t.request(`/api/v1/public/api-keys/${alice.key.id}/rotate`, json('POST', carol));
    expect(rot.status).toBe(404);
    expect((await t.request('/api/v1/public/me', { headers: alice.headers })).status).toBe(200);
  });

  it('an expired key answers API_KEY_EXPIRED', async () => {
    const dave = await userWithKey(t.deps, 'dave');
    const res = await t.request('/api/v1/public/api-keys', json('POST', dave, { expiresIn: '7d' }));
    const { key } = (await res.json()).data;
    clock.advance(7 * DAY_MS + 1);
    const late = await t.request('/api/v1/public/me', { headers: { authorization: `Bearer ${key}` } });
    expect(late.status).toBe(401);
    expect((await late.json()).error).toBe('API_KEY_EXPIRED');
  });

  it('a disabled key answers API_KEY_DISABLED', async () => {
    const erin = await userWithKey(t.deps, 'erin');
    await t.store.db
      .updateTable('api_keys')
      .set({ status: 'disabled' })
      .where('id', '=', erin.key.id)
      .execute();
    const res = await t.request('/api/v1/public/me', { headers: erin.headers });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toBe('API_KEY_DISABLED');
  });

  it('rate-limits per user across keys: 429 with Retry-After after 120 requests a minute', async () => {
    const frank = await userWithKey(t.deps, 'frank');
    const second = (await (await t.request('/api/v1/public/api-keys', json('POST', frank, {}))).json()).data
      .key;
    let last: Response | undefined;
    for (let i = 0; i < 119; i++) {
      last = await t.request('/api/v1/public/me', {
        headers: i % 2 ? frank.headers : { authorization: `Bearer ${second}` },
      });
      expect(last.status).toBe(200);
    }
    expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
    const limited = await t.request('/api/v1/public/me', { headers: frank.headers });
    expect(limited.status).toBe(429);
    expect((await limited.json()).error).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(60_000);
    expect((await t.request('/api/v1/public/me', { headers: frank.headers })).status).toBe(200);
  });
});
