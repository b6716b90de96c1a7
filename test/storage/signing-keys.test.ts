import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { openString } from '../../src/lib/secret-box.ts';
import { createKeyManager, SIGNING_KEY_LABEL } from '../../src/services/signing-keys.ts';
import {
  findSigningKey,
  insertSigningKey,
  listPublishedSigningKeys,
  retireSigningKey,
  type StoredSigningKey,
} from '../../src/store/signing-keys.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

describe(`signing keys in storage [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 2, 1));
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(async () => t.close());

  const row = (kid: string, over: Partial<StoredSigningKey> = {}): StoredSigningKey => ({
    kid,
    alg: 'ES256',
    publicJwk: '{"kty":"EC","crv":"P-256","x":"x","y":"y"}',
    privateJwkEncrypted: 'v1.a.b.c',
    createdAt: 1_000,
    activatesAt: 1_000,
    retiredAt: null,
    expiresAt: null,
    ...over,
  });

  it('lists keys until they expire and retires a key only once', async () => {
    await insertSigningKey(t.store.db, row('repo-a', { activatesAt: 2_000 }));
    await insertSigningKey(
      t.store.db,
      row('repo-b', { activatesAt: 3_000, retiredAt: 4_000, expiresAt: 5_000 }),
    );
    expect((await findSigningKey(t.store.db, 'repo-b'))?.expiresAt).toBe(5_000);
    const at = (now: number) =>
      listPublishedSigningKeys(t.store.db, now).then((keys) => keys.map((k) => k.kid));
    expect(await at(4_999)).toEqual(expect.arrayContaining(['repo-a', 'repo-b']));
    expect(await at(5_000)).not.toContain('repo-b');

    expect(await retireSigningKey(t.store.db, 'repo-a', 6_000, 7_000)).toBe(true);
    // A second process retiring the same key later does not move its times.
    expect(await retireSigningKey(t.store.db, 'repo-a', 6_500, 7_500)).toBe(false);
    expect(await findSigningKey(t.store.db, 'repo-a')).toMatchObject({ retiredAt: 6_000, expiresAt: 7_000 });
    expect(await at(7_000)).not.toContain('repo-a');
    await t.store.db.deleteFrom('oauth_signing_keys').execute();
  });

  it('S37: a signing key persists across processes and its private half is stored only encrypted', async () => {
    const first = createKeyManager({ ...t.deps, clock });
    await first.init();
    const { kid } = await first.signingKey();

    const rows = await t.store.db.selectFrom('oauth_signing_keys').selectAll().execute();
    expect(rows).toHaveLength(1);
    const stored = rows[0]!;
    expect(stored.kid).toBe(kid);
    // No column holds the private scalar `d` in the clear.
    for (const value of Object.values(stored)) expect(String(value)).not.toMatch(/"d"\s*:/);
    expect(JSON.parse(stored.public_jwk)).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: expect.any(String),
      y: expect.any(String),
    });
    expect(stored.private_jwk_encrypted).toMatch(/^v1\./);
    const opened = JSON.parse(openString(t.config.secret, SIGNING_KEY_LABEL, stored.private_jwk_encrypted));
    expect(opened).toMatchObject({ kty: 'EC', crv: 'P-256', d: expect.any(String) });
    expect(stored.private_jwk_encrypted).not.toContain(opened.d);

    // A restarted (or second) process on the same database signs with the same key, made no other.
    const second = createKeyManager({ ...t.deps, clock });
    await second.init();
    expect((await second.signingKey()).kid).toBe(kid);
    expect((await second.jwks()).keys.map((k) => k.kid)).toEqual([kid]);
    expect(await t.store.db.selectFrom('oauth_signing_keys').select('kid').execute()).toHaveLength(1);
  });

  it('S37: a key sealed under another secret cannot be used to sign', async () => {
    const other = createKeyManager({
      ...t.deps,
      clock,
      config: { ...t.config, secret: `${t.config.secret}-other` },
    });
    await expect(other.signingKey()).rejects.toThrow();
  });
});
