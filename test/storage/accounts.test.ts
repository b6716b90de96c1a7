import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { sha256Hex } from '../../src/lib/crypto.ts';
import { newId } from '../../src/lib/ids.ts';
import { databaseRateLimiter, memoryRateLimiter } from '../../src/services/rate-limit.ts';
import { createUser } from '../../src/services/users.ts';
import {
  countLiveApiKeys,
  findApiKeyByHash,
  insertApiKey,
  revokeApiKey,
  touchApiKey,
} from '../../src/store/api-keys.ts';
import { countUsers, findUserByEmail } from '../../src/store/users.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

describe(`users, API keys and rate-limit counters in storage [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('emails are unique whatever their case, also when two sign-ups race', async () => {
    const results = await Promise.allSettled(
      ['Race@Example.com', 'race@example.com', 'RACE@EXAMPLE.COM'].map((email) =>
        createUser(t.deps, { email, password: 'long enough pw' }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason.code).toBe('EMAIL_TAKEN');
    }
    const found = await findUserByEmail(t.store.db, 'rAcE@example.COM');
    expect(found?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await countUsers(t.store.db)).toBe(1);
  });

  it('finds keys by hash, counts live ones, revokes once, touches at most once a minute', async () => {
    const user = await createUser(t.deps, { email: 'keys@example.com', password: 'long enough pw' });
    const now = Date.UTC(2026, 0, 1);
    const mk = (secret: string, expiresAt: number | null) =>
      insertApiKey(t.store.db, {
        id: newId('key', now),
        userId: user.id,
        name: null,
        keyHash: sha256Hex(secret),
        last4: secret.slice(-4),
        expiresAt,
        createdAt: now,
      });
    const live = await mk('uspl_live', null);
    await mk('uspl_expired', now - 1);
    expect(await countLiveApiKeys(t.store.db, user.id, now)).toBe(1);
    expect((await findApiKeyByHash(t.store.db, sha256Hex('uspl_live')))?.id).toBe(live.id);
    expect(await findApiKeyByHash(t.store.db, sha256Hex('uspl_other'))).toBeUndefined();

    await touchApiKey(t.store.db, live.id, now);
    await touchApiKey(t.store.db, live.id, now + 30_000);
    expect((await findApiKeyByHash(t.store.db, sha256Hex('uspl_live')))?.lastUsedAt).toBe(now);
    await touchApiKey(t.store.db, live.id, now + 61_000);
    expect((await findApiKeyByHash(t.store.db, sha256Hex('uspl_live')))?.lastUsedAt).toBe(now + 61_000);

    expect(await revokeApiKey(t.store.db, live.id, now)).toBe(true);
    expect(await revokeApiKey(t.store.db, live.id, now)).toBe(false);
    expect(await countLiveApiKeys(t.store.db, user.id, now)).toBe(0);
  });

  it('the shared rate limiter counts concurrent hits exactly and starts a new window on time', async () => {
    const clock = fakeClock(Date.UTC(2026, 0, 1, 10, 0, 0));
    const limiter = databaseRateLimiter({ db: t.store.db, clock });
    const decisions = await Promise.all(Array.from({ length: 40 }, () => limiter.hit('u1', 30, 60_000)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(30);
    expect(Math.min(...decisions.map((d) => d.remaining))).toBe(0);
    clock.advance(60_000);
    expect((await limiter.hit('u1', 30, 60_000)).remaining).toBe(29);

    const memory = memoryRateLimiter(() => clock.now());
    const inMemory = await Promise.all(Array.from({ length: 40 }, () => memory.hit('u1', 30, 60_000)));
    expect(inMemory.filter((d) => d.allowed)).toHaveLength(30);
  });
});
