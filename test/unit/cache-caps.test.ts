import SqliteDatabase from 'better-sqlite3';
import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/logger.ts';
import { cachedKeyCount, KEY_CACHE_MAX_ENTRIES, openString, sealString } from '../../src/lib/secret-box.ts';
import {
  createMcpAuthenticator,
  createTokenVerifier,
  GRANT_TOUCH_INTERVAL_MS,
  type McpAuthInfo,
  TOKEN_CACHE_MAX_ENTRIES,
  type TokenVerifier,
} from '../../src/mcp/auth.ts';
import {
  createRevocationView,
  REVOCATION_POLL_MARGIN_MS,
  REVOCATION_VIEW_MAX_ENTRIES,
} from '../../src/mcp/revocation-view.ts';
import type { AccessTokenClaims } from '../../src/services/access-tokens.ts';
import { MEMORY_RATE_LIMIT_MAX_BUCKETS, memoryRateLimiter } from '../../src/services/rate-limit.ts';
import { STATEMENT_CACHE_SIZE, withStatementCache } from '../../src/store/db.ts';

// Issue 11, item 4: no in-process cache grows without bound. Each cache whose keys come from input
// (addresses, tokens, grant ids, SQL texts) has a cap; each test below feeds one far more distinct
// keys than its cap and shows it stays within it — and that what the cap must not break still holds.
// (The signing-key cache holds exactly the published keys, read from the database; the MCP
// transport's pending map holds the requests in flight; neither grows with input.)

describe('every in-process cache has a size cap', () => {
  it('the defaults are finite', () => {
    for (const cap of [
      MEMORY_RATE_LIMIT_MAX_BUCKETS,
      REVOCATION_VIEW_MAX_ENTRIES,
      TOKEN_CACHE_MAX_ENTRIES,
      KEY_CACHE_MAX_ENTRIES,
      STATEMENT_CACHE_SIZE,
    ]) {
      expect(Number.isFinite(cap) && cap > 0).toBe(true);
    }
  });

  it('rate limiter: a flood of distinct buckets stays within the cap; a bucket still counts', async () => {
    let now = Date.UTC(2026, 0, 1, 10, 0, 0);
    const limiter = memoryRateLimiter(() => now, { maxBuckets: 100 });
    // The bucket under test is hit before and during the flood, so it stays among the newest.
    expect((await limiter.hit('victim', 5, 60_000)).remaining).toBe(4);
    for (let i = 0; i < 5_000; i++) {
      await limiter.hit(`ip:10.0.${i >> 8}.${i & 255}`, 5, 60_000);
      expect(limiter.size).toBeLessThanOrEqual(100);
      if (i % 50 === 0) await limiter.hit('victim', 5, 60_000);
    }
    // 1 + 100 hits of one window, limit 5: refused.
    expect((await limiter.hit('victim', 5, 60_000)).allowed).toBe(false);
    // Ended windows are dropped: a minute later only the buckets hit since remain.
    now += 61_000;
    await limiter.hit('fresh', 5, 60_000);
    expect(limiter.size).toBe(1);
  });

  it('revocation view: stays within the cap, and a forgotten revocation still refuses its tokens (S20)', async () => {
    let now = Date.UTC(2026, 0, 1, 10, 0, 0);
    let push: (grantId: string) => void = () => {};
    const view = createRevocationView({
      listRevokedSince: async () => [],
      sources: [
        (onRevoked) => {
          push = onRevoked;
          return () => {};
        },
      ],
      now: () => now,
      retentionMs: 3_660_000,
      pollIntervalMs: 0,
      maxEntries: 100,
      log: silentLogger(),
    });
    await view.ready();
    const issuedBeforeFirst = now - 1000;
    for (let i = 0; i < 1_000; i++) {
      now += 10;
      push(`grt_${i}`);
      expect(view.size).toBeLessThanOrEqual(100);
    }
    // grt_0 was dropped to make room; a token of it (issued before its revocation) is refused anyway.
    expect(view.isRevoked('grt_0')).toBe(false);
    expect(view.isRevoked('grt_0', issuedBeforeFirst)).toBe(true);
    // The newest revocations are remembered outright.
    expect(view.isRevoked('grt_999')).toBe(true);
    // An active grant's token issued after the forgotten revocations (and the clock margin) passes.
    expect(view.isRevoked('grt_active', now + REVOCATION_POLL_MARGIN_MS + 1000)).toBe(false);
    await view.stop();
  });

  it('token verifier: remembers at most maxEntries tokens, dropping the least recently used', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    let keyLookups = 0;
    const issuer = 'https://as.example.com';
    const audience = 'https://as.example.com/mcp';
    const now = Date.now();
    const verifier = createTokenVerifier({
      issuer,
      audience,
      getKey: async () => {
        keyLookups += 1;
        return publicKey;
      },
      now: () => now,
      maxEntries: 3,
    });
    const token = (i: number) =>
      new SignJWT({ client_id: 'oc_1', scope: 'mcp:tools', grant_id: `grt_${i}` })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
        .setIssuer(issuer)
        .setSubject('usr_1')
        .setAudience(audience)
        .setJti(`jti_${i}`)
        .setIssuedAt(Math.floor(now / 1000))
        .setExpirationTime(Math.floor(now / 1000) + 600)
        .sign(privateKey);
    const tokens = await Promise.all([0, 1, 2, 3].map(token));
    for (const t of tokens.slice(0, 3)) await verifier.verify(t);
    expect(keyLookups).toBe(3);
    // Cached: no key lookup. Token 0 is now the most recently used.
    await verifier.verify(tokens[0]!);
    expect(keyLookups).toBe(3);
    // A fourth token evicts the least recently used (token 1), not token 0.
    await verifier.verify(tokens[3]!);
    await verifier.verify(tokens[0]!);
    expect(keyLookups).toBe(4);
    await verifier.verify(tokens[1]!);
    expect(keyLookups).toBe(5);
  });

  it('grant-use debounce: at most TOKEN_CACHE_MAX_ENTRIES grants remembered', async () => {
    const now = Date.UTC(2026, 0, 1, 10, 0, 0);
    const touches: string[] = [];
    const verifier: TokenVerifier = {
      async verify(token) {
        const grantId = token.slice('t-'.length);
        const claims = { iat: Math.floor(now / 1000), grant_id: grantId } as AccessTokenClaims;
        const authInfo = {
          token,
          clientId: 'oc_1',
          scopes: ['mcp:tools'],
          extra: { userId: 'usr_1', grantId },
        } as unknown as McpAuthInfo;
        return { claims, authInfo };
      },
    };
    const revocations = createRevocationView({
      listRevokedSince: async () => [],
      sources: [],
      now: () => now,
      retentionMs: 3_660_000,
      pollIntervalMs: 0,
      log: silentLogger(),
    });
    const auth = createMcpAuthenticator({
      verifier,
      revocations,
      resourceMetadataUrl: 'https://as.example.com/.well-known/oauth-protected-resource/mcp',
      recordGrantUse: async (grantId) => {
        touches.push(grantId);
      },
      now: () => now,
      log: silentLogger(),
    });
    // Within the interval a grant's use is recorded once…
    await auth.authenticate('Bearer t-grt_first');
    await auth.authenticate('Bearer t-grt_first');
    expect(touches).toEqual(['grt_first']);
    // …until more distinct grants than the cap arrive within the interval: the memory starts over
    // rather than growing, and the first grant's use is recorded once more (a harmless extra write).
    for (let i = 0; i < TOKEN_CACHE_MAX_ENTRIES; i++) await auth.authenticate(`Bearer t-grt_${i}`);
    await auth.authenticate('Bearer t-grt_first');
    expect(touches.filter((g) => g === 'grt_first')).toHaveLength(2);
    expect(GRANT_TOUCH_INTERVAL_MS).toBeGreaterThan(0);
    await revocations.stop();
  });

  it('secret box: derived keys for ever new labels stay within the cap', () => {
    const secret = 'unit-secret-unit-secret-unit-secret-0123456789';
    for (let i = 0; i < 500; i++) {
      const sealed = sealString(secret, `label-${i}`, 'x');
      expect(openString(secret, `label-${i}`, sealed)).toBe('x');
      expect(cachedKeyCount()).toBeLessThanOrEqual(KEY_CACHE_MAX_ENTRIES);
    }
  });

  it('SQLite statement cache: ever new SQL texts stay within the cap, and statements still run', () => {
    const sqlite = new SqliteDatabase(':memory:');
    const cache = withStatementCache(sqlite, 10);
    try {
      for (let i = 0; i < 200; i++) {
        expect(cache.prepare(`select ${i} as n`).get()).toEqual({ n: i });
        expect(cache.size).toBeLessThanOrEqual(10);
      }
      // Kysely's deferred `begin` becomes `begin immediate` (kept from before).
      cache.prepare('begin').run();
      expect(sqlite.inTransaction).toBe(true);
    } finally {
      cache.close();
    }
  });
});
