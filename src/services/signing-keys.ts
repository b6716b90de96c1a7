import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { DAY_MS } from '../lib/clock.ts';
import { openString, sealString } from '../lib/secret-box.ts';
import {
  insertSigningKey,
  listPublishedSigningKeys,
  retireSigningKey,
  type StoredSigningKey,
} from '../store/signing-keys.ts';
import { audit } from './audit.ts';
import type { Deps, KeyManager, PublicJwk } from './deps.ts';

// ES256 signing keys for access tokens (S16), stored encrypted (S37), rotated on a schedule (S21).
//
// Life of a key: inserted → published in the JWKS at once → signs from `activates_at` → retired
// when a newer key activates → leaves the JWKS at `expires_at`, after every token it signed has
// expired. Many processes share one database, so every decision here is derived from the rows
// (which any process may write) and stays correct when two processes race.

/** The label that separates signing-key ciphertexts from other secret-box uses. */
export const SIGNING_KEY_LABEL = 'signing-keys';
export const SIGNING_ALG = 'ES256';
/**
 * A scheduled or default manual rotation publishes the new key this long before it signs: longer
 * than the JWKS Cache-Control max-age (5 min) plus our own 30 s reload, so every verifier that
 * caches the JWKS already holds the key when the first token it signed arrives (S21).
 */
export const PREPUBLISH_MS = 10 * 60_000;
/** How long a process trusts its in-memory key list before rereading it from the database. */
export const RELOAD_INTERVAL_MS = 30_000;
/** An unknown `kid` triggers at most one reload per cooldown, so random kids cannot hammer the db (S21). */
export const UNKNOWN_KID_COOLDOWN_MS = 5_000;
/** Verifiers accept this much clock skew on `exp` (S17), so retired keys stay published that much longer. */
export const EXPIRY_LEEWAY_MS = 60_000;
const ROTATION_CHECK_INTERVAL_MS = 60_000;

// KeyManager and PublicJwk are declared in deps.ts, where Deps holds the manager: declaring them here
// made deps.ts import this module, which imports audit.ts, which imports deps.ts.

interface CachedKey {
  row: StoredSigningKey;
  publicJwk: PublicJwk;
  publicKey?: CryptoKey;
  privateKey?: CryptoKey;
}

/** Newer first: by activation, then creation, then kid, so every process agrees on "the newest". */
function newerFirst(a: StoredSigningKey, b: StoredSigningKey): number {
  if (a.activatesAt !== b.activatesAt) return b.activatesAt - a.activatesAt;
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0;
}

function isEs256PublicJwk(value: unknown): value is { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  const jwk = value as Record<string, unknown> | null;
  return (
    typeof jwk === 'object' &&
    jwk !== null &&
    jwk.kty === 'EC' &&
    jwk.crv === 'P-256' &&
    typeof jwk.x === 'string' &&
    typeof jwk.y === 'string'
  );
}

/** Builds the signing-key manager of one process; its caches keep db reads and imports off the hot path. */
export function createKeyManager(deps: Pick<Deps, 'db' | 'config' | 'clock' | 'log'>): KeyManager {
  const { db, config, clock, log } = deps;
  const retireLifetimeMs = config.accessTokenTtlSeconds * 1000 + EXPIRY_LEEWAY_MS;

  // kid → key; rebuilt from the database, keeping already imported CryptoKeys.
  let cache = new Map<string, CachedKey>();
  let loadedAt = Number.NEGATIVE_INFINITY;
  let unknownKidReloadAt = Number.NEGATIVE_INFINITY;
  let rotationCheckedAt = Number.NEGATIVE_INFINITY;
  let initialized: Promise<void> | undefined;
  let reloading: Promise<void> | undefined;
  let rotating: Promise<boolean> | undefined;

  async function load(): Promise<void> {
    const startedAt = clock.now();
    const rows = await listPublishedSigningKeys(db, startedAt);
    const next = new Map<string, CachedKey>();
    for (const row of rows) {
      const previous = cache.get(row.kid);
      if (previous) {
        next.set(row.kid, { ...previous, row });
        continue;
      }
      const parsed: unknown = JSON.parse(row.publicJwk);
      if (row.alg !== SIGNING_ALG || !isEs256PublicJwk(parsed)) {
        log.warn({ kid: row.kid, alg: row.alg }, 'ignoring a signing key of an unsupported kind');
        continue;
      }
      const publicJwk: PublicJwk = {
        kty: 'EC',
        crv: 'P-256',
        x: parsed.x,
        y: parsed.y,
        kid: row.kid,
        alg: 'ES256',
        use: 'sig',
      };
      next.set(row.kid, { row, publicJwk });
    }
    // A key this process created while the query ran may be missing from its result; keep it.
    for (const [kid, key] of cache) if (!next.has(kid) && key.row.createdAt >= startedAt) next.set(kid, key);
    cache = next;
    loadedAt = clock.now();
  }

  /** One reload at a time, shared by every caller that needs it. */
  function reload(): Promise<void> {
    reloading ??= load().finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  async function fresh(): Promise<void> {
    if (!initialized) await init();
    else await initialized;
    if (clock.now() - loadedAt >= RELOAD_INTERVAL_MS) await reload();
  }

  function sorted(): CachedKey[] {
    return [...cache.values()].sort((a, b) => newerFirst(a.row, b.row));
  }

  /**
   * When a key stops signing and leaves the JWKS. The stored values win; otherwise they follow
   * from the rows: a key stops signing when a newer key activates. Every process computes the same
   * answer, so a retirement is in force before any process has written it down.
   */
  function lifecycle(
    key: CachedKey,
    keys: CachedKey[],
    now: number,
  ): { retiredAt: number | null; expiresAt: number | null } {
    if (key.row.retiredAt !== null) {
      return {
        retiredAt: key.row.retiredAt,
        expiresAt: key.row.expiresAt ?? key.row.retiredAt + retireLifetimeMs,
      };
    }
    // Superseded when the first key that sorts newer activates (never before its own activation,
    // since newer keys activate no earlier than it).
    let successorAt: number | null = null;
    for (const other of keys) {
      if (other === key || newerFirst(other.row, key.row) >= 0 || other.row.activatesAt > now) continue;
      if (successorAt === null || other.row.activatesAt < successorAt) successorAt = other.row.activatesAt;
    }
    if (successorAt === null) return { retiredAt: null, expiresAt: key.row.expiresAt };
    return { retiredAt: successorAt, expiresAt: key.row.expiresAt ?? successorAt + retireLifetimeMs };
  }

  function isPublished(key: CachedKey, keys: CachedKey[], now: number): boolean {
    const { expiresAt } = lifecycle(key, keys, now);
    return expiresAt === null || expiresAt > now;
  }

  /** The newest key that has activated and is not retired. */
  function currentKey(now: number): CachedKey | undefined {
    const keys = sorted();
    return keys.find((key) => key.row.activatesAt <= now && lifecycle(key, keys, now).retiredAt === null);
  }

  async function createKey(activatesAt: number): Promise<string> {
    const now = clock.now();
    // Strictly after every known key's creation, so a key made in the same millisecond as the one
    // it replaces still sorts newer (an immediate rotation right after the first key, in tests).
    let createdAt = now;
    for (const key of cache.values()) createdAt = Math.max(createdAt, key.row.createdAt + 1);
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const privateJwk = await exportJWK(privateKey);
    // RFC 7638 thumbprint: a stable kid derived from the key itself, unique without coordination.
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const row: StoredSigningKey = {
      kid,
      alg: SIGNING_ALG,
      publicJwk: JSON.stringify({ kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y }),
      privateJwkEncrypted: sealString(config.secret, SIGNING_KEY_LABEL, JSON.stringify(privateJwk)),
      createdAt,
      activatesAt,
      retiredAt: null,
      expiresAt: null,
    };
    await insertSigningKey(db, row);
    // Keep the CryptoKeys we already hold, so this process needs no import for its own new key.
    const parsed = JSON.parse(row.publicJwk) as { x: string; y: string };
    cache.set(kid, {
      row,
      publicJwk: { kty: 'EC', crv: 'P-256', x: parsed.x, y: parsed.y, kid, alg: 'ES256', use: 'sig' },
      publicKey,
      privateKey,
    });
    return kid;
  }

  /** Writes down retirements that the rows already imply, so the JWKS drops those keys on time. */
  async function persistRetirements(now: number): Promise<void> {
    const keys = sorted();
    for (const key of keys) {
      if (key.row.retiredAt !== null) continue;
      const { retiredAt, expiresAt } = lifecycle(key, keys, now);
      if (retiredAt === null || expiresAt === null) continue;
      await retireSigningKey(db, key.row.kid, retiredAt, expiresAt);
      key.row = { ...key.row, retiredAt, expiresAt };
    }
  }

  async function recordRotation(kid: string, reason: string, activatesAt: number): Promise<void> {
    log.info({ kid, reason, activatesAt }, 'signing key created');
    try {
      await audit({ db, clock }, 'signing_key.rotated', { detail: { kid, reason, activatesAt } });
    } catch (error) {
      log.warn({ err: error }, 'could not record the signing key rotation');
    }
  }

  async function doMaybeRotate(): Promise<boolean> {
    await reload();
    const now = clock.now();
    let created = false;
    const current = currentKey(now);
    const pending = [...cache.values()].some((key) => key.row.activatesAt > now);
    if (!current) {
      // Never zero: with no key able to sign, one that signs at once beats a failing token endpoint.
      const reason = cache.size === 0 ? 'first key' : 'no usable key';
      const kid = await createKey(now);
      await recordRotation(kid, reason, now);
      created = true;
    } else if (
      !pending &&
      now - current.row.activatesAt >= config.signingKeyRotationDays * DAY_MS - PREPUBLISH_MS
    ) {
      // Start early by PREPUBLISH_MS so the successor activates when the current key reaches its age.
      // Two processes racing here insert two keys: harmless, every process picks the same newest.
      const activatesAt = now + PREPUBLISH_MS;
      const kid = await createKey(activatesAt);
      await recordRotation(kid, 'scheduled', activatesAt);
      created = true;
    }
    await persistRetirements(now);
    rotationCheckedAt = now;
    return created;
  }

  function maybeRotate(): Promise<boolean> {
    rotating ??= doMaybeRotate().finally(() => {
      rotating = undefined;
    });
    return rotating;
  }

  function init(): Promise<void> {
    initialized ??= maybeRotate()
      .then(() => undefined)
      .catch((error: unknown) => {
        initialized = undefined; // let the next call try again
        throw error;
      });
    return initialized;
  }

  async function importPrivate(key: CachedKey): Promise<CryptoKey> {
    if (key.privateKey) return key.privateKey;
    const jwk = JSON.parse(openString(config.secret, SIGNING_KEY_LABEL, key.row.privateJwkEncrypted)) as JWK;
    const privateKey = (await importJWK(jwk, SIGNING_ALG)) as CryptoKey;
    key.privateKey = privateKey;
    return privateKey;
  }

  return {
    init,

    async signingKey() {
      await fresh();
      if (clock.now() - rotationCheckedAt >= ROTATION_CHECK_INTERVAL_MS) {
        try {
          await maybeRotate();
        } catch (error) {
          // The current key still signs; the next check tries again.
          log.error({ err: error }, 'signing key rotation check failed');
          rotationCheckedAt = clock.now();
        }
      }
      let key = currentKey(clock.now());
      if (!key) {
        await maybeRotate();
        key = currentKey(clock.now());
      }
      if (!key) throw new Error('no signing key is available');
      return { kid: key.row.kid, privateKey: await importPrivate(key) };
    },

    async jwks() {
      await fresh();
      const now = clock.now();
      const keys = sorted();
      return { keys: keys.filter((key) => isPublished(key, keys, now)).map((key) => ({ ...key.publicJwk })) };
    },

    async publicKeyFor(kid) {
      await fresh();
      let key = cache.get(kid);
      // RFC 7638 SHA-256 thumbprints are 43 base64url characters; anything else cannot be ours.
      if (
        !key &&
        /^[A-Za-z0-9_-]{43}$/.test(kid) &&
        clock.now() - unknownKidReloadAt >= UNKNOWN_KID_COOLDOWN_MS
      ) {
        unknownKidReloadAt = clock.now();
        await reload();
        key = cache.get(kid);
      }
      if (!key) return undefined;
      const keys = sorted();
      if (!isPublished(key, keys, clock.now())) return undefined;
      key.publicKey ??= (await importJWK(key.publicJwk, SIGNING_ALG)) as CryptoKey;
      return key.publicKey;
    },

    async rotate(reason, options = {}) {
      await fresh();
      await reload();
      const now = clock.now();
      const activatesAt = options.immediate ? now : now + PREPUBLISH_MS;
      const kid = await createKey(activatesAt);
      await recordRotation(kid, reason, activatesAt);
      // An immediate rotation retires the previous key now; it stays published until its tokens expire.
      if (options.immediate) await persistRetirements(clock.now());
      return { kid };
    },

    maybeRotate,
  };
}
