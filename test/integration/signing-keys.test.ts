import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJwksRoute } from '../../src/http/oauth/jwks.ts';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import {
  type AccessTokenClaims,
  InvalidTokenError,
  issueAccessToken,
  verifyAccessToken,
} from '../../src/services/access-tokens.ts';
import type { KeyManager } from '../../src/services/deps.ts';
import {
  createKeyManager,
  EXPIRY_LEEWAY_MS,
  PREPUBLISH_MS,
  RELOAD_INTERVAL_MS,
  UNKNOWN_KID_COOLDOWN_MS,
} from '../../src/services/signing-keys.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

const ISSUER = 'http://localhost:3000';
const AUDIENCE = 'http://localhost:3000/mcp';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe(`signing keys, access tokens and the JWKS [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 3, 1));
  let t: TestApp;
  let keys: KeyManager;

  /** A fresh key table and a manager ("process") over it; `ttl` overrides the access-token lifetime. */
  const manager = (options: { ttl?: number; rotationDays?: number } = {}) =>
    createKeyManager({
      ...t.deps,
      clock,
      config: {
        ...t.config,
        accessTokenTtlSeconds: options.ttl ?? t.config.accessTokenTtlSeconds,
        signingKeyRotationDays: options.rotationDays ?? t.config.signingKeyRotationDays,
      },
    });

  const issue = (km: KeyManager, over: Partial<Parameters<typeof issueAccessToken>[1]> = {}) =>
    issueAccessToken(km, {
      issuer: ISSUER,
      subject: 'usr_alice',
      audience: AUDIENCE,
      clientId: 'client-1',
      scope: 'mcp:tools',
      grantId: 'grt_1',
      ttlSeconds: 3600,
      now: clock.now(),
      ...over,
    });

  const verify = (
    km: KeyManager,
    token: string,
    over: Partial<Parameters<typeof verifyAccessToken>[1]> = {},
  ) =>
    verifyAccessToken(token, {
      issuer: ISSUER,
      audience: AUDIENCE,
      getKey: (kid) => km.publicKeyFor(kid),
      now: clock.now(),
      ...over,
    });

  /** The reason verification refused the token (fails the test when it was accepted). */
  async function refusal(token: string, over: Partial<Parameters<typeof verifyAccessToken>[1]> = {}) {
    try {
      await verify(keys, token, over);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTokenError);
      return (error as InvalidTokenError).reason;
    }
    throw new Error('the token was accepted');
  }

  /** Claims as we issue them, for forging variants. */
  const claims = (over: Record<string, unknown> = {}) => {
    const iat = Math.floor(clock.now() / 1000);
    return {
      iss: ISSUER,
      sub: 'usr_alice',
      aud: AUDIENCE,
      client_id: 'client-1',
      scope: 'mcp:tools',
      jti: 'jti-1',
      grant_id: 'grt_1',
      iat,
      exp: iat + 600,
      ...over,
    };
  };

  async function forge(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
    const { kid, privateKey } = await keys.signingKey();
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid, ...header })
      .sign(privateKey);
  }

  const jwksOver = async (km: KeyManager) => {
    const res = await createJwksRoute(km).request('/.well-known/jwks.json');
    return { res, body: (await res.json()) as { keys: Array<Record<string, unknown>> } };
  };
  const publishedKids = async (km: KeyManager) => (await km.jwks()).keys.map((k) => k.kid);

  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(async () => t.close());
  beforeEach(async () => {
    await t.store.db.deleteFrom('oauth_signing_keys').execute();
    keys = manager();
    await keys.init();
  });

  describe('issue and verify', () => {
    it('S16: an access token is an ES256 at+jwt with kid and every RFC 9068 claim, exp ≤ 1 hour', async () => {
      const { token, jti, expiresIn } = await issue(keys, { ttlSeconds: 3600 });
      const header = decodeProtectedHeader(token);
      const { kid } = await keys.signingKey();
      expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid });
      const verified: AccessTokenClaims = await verify(keys, token);
      const iat = Math.floor(clock.now() / 1000);
      expect(verified).toEqual({
        iss: ISSUER,
        sub: 'usr_alice',
        aud: AUDIENCE,
        client_id: 'client-1',
        scope: 'mcp:tools',
        jti,
        iat,
        exp: iat + 3600,
        grant_id: 'grt_1',
      });
      expect(expiresIn).toBe(3600);

      // A longer lifetime is capped at an hour; every token gets its own jti.
      const long = await issue(keys, { ttlSeconds: 7200 });
      expect(long.expiresIn).toBe(3600);
      expect((await verify(keys, long.token)).exp - iat).toBe(3600);
      expect(long.jti).not.toBe(jti);
    });

    it('S17: accepts an exp in the past within the 60 s leeway and refuses it beyond', async () => {
      const { token } = await issue(keys, { ttlSeconds: 300 });
      const exp = Math.floor(clock.now() / 1000) + 300;
      await expect(verify(keys, token, { now: (exp + 59) * 1000 })).resolves.toMatchObject({ exp });
      expect(await refusal(token, { now: (exp + 61) * 1000 })).toBe('expired');
    });

    it('S16: refuses a token claiming more than an hour of life or issued in the future', async () => {
      const iat = Math.floor(clock.now() / 1000);
      expect(await refusal(await forge({}, claims({ exp: iat + 7200 })))).toBe('expired');
      expect(await refusal(await forge({}, claims({ iat: iat + 120, exp: iat + 600 })))).toBe(
        'not_yet_valid',
      );
      await expect(
        verify(keys, await forge({}, claims({ iat: iat + 30, exp: iat + 600 }))),
      ).resolves.toBeDefined();
    });

    it('S17: refuses the wrong aud and the wrong iss', async () => {
      const { token } = await issue(keys);
      expect(await refusal(token, { audience: 'https://other.example/mcp' })).toBe('wrong_audience');
      expect(await refusal(token, { issuer: 'https://evil.example' })).toBe('wrong_issuer');
      expect(await refusal(await forge({}, claims({ aud: 'https://other.example/mcp' })))).toBe(
        'wrong_audience',
      );
      expect(await refusal(await forge({}, claims({ iss: `${ISSUER}/` })))).toBe('wrong_issuer');
    });

    it('S17: refuses typ JWT and a missing typ, though correctly signed', async () => {
      expect(await refusal(await forge({ typ: 'JWT' }, claims()))).toBe('wrong_typ');
      const { kid, privateKey } = await keys.signingKey();
      const untyped = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
      expect(await refusal(untyped)).toBe('wrong_typ');
      // The control: the same claims with typ at+jwt pass.
      await expect(verify(keys, await forge({}, claims()))).resolves.toMatchObject({ sub: 'usr_alice' });
    });

    it('S17: refuses alg none, with or without a signature part', async () => {
      const { kid } = await keys.signingKey();
      const unsigned = `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims())}.`;
      expect(await refusal(unsigned)).toBe('unsupported_alg');
      const { token } = await issue(keys);
      const [, , signature] = token.split('.');
      expect(await refusal(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims())}.${signature}`)).toBe(
        'unsupported_alg',
      );
    });

    it('S17: refuses HS256 tokens signed with the public key as the HMAC secret (algorithm confusion)', async () => {
      const { kid } = await keys.signingKey();
      const publicJwk = (await keys.jwks()).keys.find((k) => k.kid === kid)!;
      const secrets = [
        new TextEncoder().encode(JSON.stringify(publicJwk)),
        Buffer.concat([
          Buffer.from([4]),
          Buffer.from(publicJwk.x, 'base64url'),
          Buffer.from(publicJwk.y, 'base64url'),
        ]),
      ];
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        for (const secret of secrets) {
          const token = await new SignJWT(claims())
            .setProtectedHeader({ alg, typ: 'at+jwt', kid })
            .sign(secret);
          expect(await refusal(token)).toBe('unsupported_alg');
        }
      }
    });

    it('S17: refuses a key it does not publish and a bad signature', async () => {
      const stranger = await generateKeyPair('ES256');
      const strangerKid = await calculateJwkThumbprint(await exportJWK(stranger.publicKey));
      const foreign = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: strangerKid })
        .sign(stranger.privateKey);
      expect(await refusal(foreign)).toBe('unknown_kid');
      expect(await refusal(await forge({ kid: undefined }, claims()))).toBe('unknown_kid');

      // Our kid, someone else's signature.
      const { kid } = await keys.signingKey();
      const impostor = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
        .sign(stranger.privateKey);
      expect(await refusal(impostor)).toBe('bad_signature');

      // A real token whose payload was changed after signing.
      const { token } = await issue(keys);
      const [header, , signature] = token.split('.');
      const tampered = `${header}.${b64(claims({ sub: 'usr_mallory' }))}.${signature}`;
      expect(await refusal(tampered)).toBe('bad_signature');
      expect(await refusal('not-a-jwt')).toBe('malformed');
    });
  });

  describe('the JWKS endpoint', () => {
    it('S21: serves only public ES256 members, cacheable for 5 minutes, to any origin', async () => {
      const { kid } = await keys.signingKey();
      const { res, body } = await jwksOver(keys);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(body.keys).toHaveLength(1);
      expect(Object.keys(body.keys[0]!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid, alg: 'ES256', use: 'sig' });
      // The kid is the RFC 7638 thumbprint of the published key.
      expect(await calculateJwkThumbprint(body.keys[0] as JWK)).toBe(kid);
    });
  });

  describe('rotation', () => {
    it('S21: a rotation publishes the new key before it signs; the old key stays until its tokens expire, then leaves', async () => {
      const ttl = 600;
      keys = manager({ ttl });
      const { kid: oldKid } = await keys.signingKey();
      const oldToken = await issue(keys, { ttlSeconds: ttl });

      const { kid: newKid } = await keys.rotate('test');
      expect(newKid).not.toBe(oldKid);
      // Published at once (any JWKS fetched from now on, cached ≤ 5 min, holds it) …
      const cached = (await jwksOver(keys)).body.keys.map((k) => k.kid);
      expect(cached).toEqual(expect.arrayContaining([oldKid, newKid]));
      // … and signs only after PREPUBLISH, which outlasts that cache.
      expect(PREPUBLISH_MS).toBeGreaterThan(300_000 + RELOAD_INTERVAL_MS);
      clock.advance(PREPUBLISH_MS - 1);
      expect((await keys.signingKey()).kid).toBe(oldKid);
      const lastOld = await issue(keys, { ttlSeconds: ttl });
      clock.advance(1);
      const activation = clock.now();
      expect((await keys.signingKey()).kid).toBe(newKid);
      const firstNew = await issue(keys, { ttlSeconds: ttl });
      expect(decodeProtectedHeader(firstNew.token).kid).toBe(newKid);
      // The JWKS fetched before activation already verified the new key's tokens.
      expect(cached).toContain(decodeProtectedHeader(firstNew.token).kid);

      // The old key's last token is still good until it expires; its key stays published that long.
      clock.set(activation + ttl * 1000 - 1_000);
      await expect(verify(keys, lastOld.token)).resolves.toMatchObject({ sub: 'usr_alice' });
      expect(await publishedKids(keys)).toEqual(expect.arrayContaining([oldKid, newKid]));
      await keys.maybeRotate(); // any process's periodic check writes the retirement down
      const row = await t.store.db
        .selectFrom('oauth_signing_keys')
        .selectAll()
        .where('kid', '=', oldKid)
        .executeTakeFirst();
      expect(row).toMatchObject({
        retired_at: activation,
        expires_at: activation + ttl * 1000 + EXPIRY_LEEWAY_MS,
      });

      // Past every old token's exp plus leeway, the old key leaves the JWKS and verifies nothing.
      clock.set(activation + ttl * 1000 + EXPIRY_LEEWAY_MS);
      expect(await publishedKids(keys)).toEqual([newKid]);
      expect((await jwksOver(keys)).body.keys.map((k) => k.kid)).toEqual([newKid]);
      expect(await keys.publicKeyFor(oldKid)).toBeUndefined();
      expect(await refusal(oldToken.token)).toBe('unknown_kid');
      await expect(verify(keys, firstNew.token, { now: clock.now() - 120_000 })).resolves.toBeDefined();
    });

    it('S21: rotates on schedule: the successor is published PREPUBLISH before it takes over, never zero keys', async () => {
      keys = manager({ rotationDays: 1, ttl: 300 });
      const { kid: first } = await keys.signingKey();
      clock.advance(DAY_MS - PREPUBLISH_MS - 60_000);
      expect(await keys.maybeRotate()).toBe(false);
      clock.advance(60_000);
      // The check runs lazily from signingKey(); the current key still signs.
      expect((await keys.signingKey()).kid).toBe(first);
      const published = await publishedKids(keys);
      expect(published).toHaveLength(2);
      const second = published.find((kid) => kid !== first)!;
      // A second process's check finds the pending key and creates no third.
      const other = manager({ rotationDays: 1, ttl: 300 });
      expect(await other.maybeRotate()).toBe(false);
      clock.advance(PREPUBLISH_MS);
      expect((await keys.signingKey()).kid).toBe(second);
      expect((await other.signingKey()).kid).toBe(second);
      clock.advance(300_000 + EXPIRY_LEEWAY_MS);
      expect(await publishedKids(other)).toEqual([second]);
      expect(await t.store.db.selectFrom('oauth_signing_keys').select('kid').execute()).toHaveLength(2);
    });

    it('S21: two processes racing to rotate leave every process signing with the same key', async () => {
      const a = manager({ rotationDays: 1 });
      const b = manager({ rotationDays: 1 });
      await Promise.all([a.init(), b.init()]);
      clock.advance(DAY_MS);
      const created = await Promise.all([a.maybeRotate(), b.maybeRotate()]);
      expect(created.filter(Boolean).length).toBeGreaterThanOrEqual(1);
      clock.advance(PREPUBLISH_MS + RELOAD_INTERVAL_MS);
      const [ka, kb] = await Promise.all([a.signingKey(), b.signingKey()]);
      expect(ka.kid).toBe(kb.kid);
      const token = await issue(a);
      await expect(verify(b, token.token)).resolves.toBeDefined();
    });

    it('S21: an unknown kid triggers at most one reload per cooldown', async () => {
      const verifier = manager();
      await verifier.init();
      const rotator = manager();
      const { kid: k1 } = await rotator.rotate('emergency', { immediate: true });
      // Not in the verifier's cache: it rereads the database once and finds it.
      expect(await verifier.publicKeyFor(k1)).toBeDefined();

      const { kid: k2 } = await rotator.rotate('emergency', { immediate: true });
      const random = await calculateJwkThumbprint(
        await exportJWK((await generateKeyPair('ES256')).publicKey),
      );
      expect(await verifier.publicKeyFor(random)).toBeUndefined(); // spends this cooldown's reload
      expect(await verifier.publicKeyFor(k2)).toBeUndefined(); // no second reload in the same cooldown
      clock.advance(UNKNOWN_KID_COOLDOWN_MS);
      expect(await verifier.publicKeyFor(k2)).toBeDefined();
      // Strings that cannot be thumbprints never cost a reload.
      expect(await verifier.publicKeyFor('../../etc/passwd')).toBeUndefined();
    });

    it('S21: a key rotation in the middle of a stream of token issues and verifications fails none', async () => {
      const ttl = 300;
      // Three processes on one database: one issues, one rotates, one verifies (the MCP server).
      const issuer = manager({ ttl, rotationDays: 1 });
      const rotator = manager({ ttl, rotationDays: 1 });
      const mcp = manager({ ttl, rotationDays: 1 });
      await Promise.all([issuer.init(), rotator.init(), mcp.init()]);
      // A remote verifier that caches the JWKS for its max-age and refetches once per cooldown on an unknown kid.
      let remote = { keys: [] as Array<Record<string, unknown>>, fetchedAt: Number.NEGATIVE_INFINITY };
      const fetchJwks = async () => {
        remote = { keys: (await jwksOver(mcp)).body.keys, fetchedAt: clock.now() };
      };
      let remoteRefetchAt = Number.NEGATIVE_INFINITY;
      const imported = new Map<string, CryptoKey>();
      const remoteKey = async (kid: string) => {
        if (clock.now() - remote.fetchedAt >= 300_000) await fetchJwks();
        if (
          !remote.keys.some((k) => k.kid === kid) &&
          clock.now() - remoteRefetchAt >= UNKNOWN_KID_COOLDOWN_MS
        ) {
          remoteRefetchAt = clock.now();
          await fetchJwks();
        }
        const jwk = remote.keys.find((k) => k.kid === kid);
        if (!jwk) return undefined;
        if (!imported.has(kid)) imported.set(kid, (await importJWK(jwk as JWK, 'ES256')) as CryptoKey);
        return imported.get(kid);
      };

      const live: Array<{ token: string; exp: number }> = [];
      const kidsSeen = new Set<string>();
      let verified = 0;
      let steps = 0;
      // New tokens are verified at once; every live token again every fourth step, until it expires.
      const verifyAll = async (fresh: number) => {
        const now = clock.now();
        const due = steps++ % 4 === 0 ? live.filter((x) => x.exp * 1000 > now) : live.slice(-fresh);
        for (const item of due) {
          await verify(mcp, item.token);
          await verify(rotator, item.token);
          await verifyAccessToken(item.token, { issuer: ISSUER, audience: AUDIENCE, getKey: remoteKey, now });
          verified += 3;
        }
      };
      const step = async (ms: number, during?: () => Promise<unknown>) => {
        clock.advance(ms);
        // Issues run concurrently with the rotation, as requests would.
        const batch = await Promise.all([
          issue(issuer, { ttlSeconds: ttl }),
          during?.(),
          issue(issuer, { ttlSeconds: ttl }),
          issue(issuer, { ttlSeconds: ttl }),
        ]);
        for (const item of [batch[0], batch[2], batch[3]]) {
          const { token } = item as Awaited<ReturnType<typeof issue>>;
          kidsSeen.add(String(decodeProtectedHeader(token).kid));
          live.push({ token, exp: Math.floor(clock.now() / 1000) + ttl });
        }
        await verifyAll(3);
      };

      for (let i = 0; i < 5; i++) await step(20_000);
      await step(7_000, () => rotator.rotate('scheduled by hand'));
      for (let i = 0; i < 40; i++) await step(20_000); // through activation and past the old key's expiry
      await step(3_000, () => rotator.rotate('emergency', { immediate: true }));
      for (let i = 0; i < 40; i++) await step(20_000);
      // And the automatic schedule, crossing the one-day boundary.
      clock.advance(DAY_MS - 40 * 20_000 - PREPUBLISH_MS);
      for (let i = 0; i < 70; i++) await step(20_000);

      expect(kidsSeen.size).toBeGreaterThanOrEqual(4);
      expect(verified).toBeGreaterThan(3000);
      // Expired keys have left; the JWKS holds at most the current key, its successor and the just-retired one.
      expect((await publishedKids(mcp)).length).toBeLessThanOrEqual(3);
    });
  });
});
