import { ApiError, validationError } from '../domain/errors.ts';
import type { ApiKey } from '../domain/types.ts';
import { DAY_MS } from '../lib/clock.ts';
import { randomToken, sha256Hex } from '../lib/crypto.ts';
import { newId } from '../lib/ids.ts';
import {
  countLiveApiKeys,
  findApiKeyByHash,
  findUserApiKey,
  insertApiKey,
  listUserApiKeys,
  revokeApiKey,
  touchApiKey,
} from '../store/api-keys.ts';
import type { Db } from '../store/db.ts';
import type { Deps } from './deps.ts';

export const API_KEY_PREFIX = 'uspl_';
export const MAX_LIVE_API_KEYS = 3;
export const API_KEY_EXPIRY_OPTIONS = ['7d', '30d', '60d', '90d', 'never'] as const;
export type ApiKeyExpiry = (typeof API_KEY_EXPIRY_OPTIONS)[number];

// 32 random bytes, base64url: 43 characters after the prefix.
const KEY_SHAPE = /^uspl_[A-Za-z0-9_-]{43}$/;

function expiryMs(expiry: ApiKeyExpiry, now: number): number | null {
  return expiry === 'never' ? null : now + Number(expiry.slice(0, -1)) * DAY_MS;
}

/** A key as shown in lists: never the secret, only `uspl_…last4`. */
export function maskApiKey(key: ApiKey): string {
  return `${API_KEY_PREFIX}…${key.last4}`;
}

/** Status a person sees: Active, Disabled or Expired. */
export function apiKeyStatus(key: ApiKey, now: number): 'active' | 'disabled' | 'expired' {
  if (key.status === 'disabled') return 'disabled';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return 'active';
}

async function mint(
  deps: Deps,
  db: Db,
  userId: string,
  name: string | null,
  expiry: ApiKeyExpiry,
): Promise<{ key: ApiKey; secret: string }> {
  const now = deps.clock.now();
  const secret = `${API_KEY_PREFIX}${randomToken(32)}`;
  const key = await insertApiKey(db, {
    id: newId('key', now),
    userId,
    name,
    keyHash: sha256Hex(secret),
    last4: secret.slice(-4),
    expiresAt: expiryMs(expiry, now),
    createdAt: now,
  });
  return { key, secret };
}

/** Creates a key for the user; the secret is returned once and stored only as a hash (S37). */
export async function createApiKey(
  deps: Deps,
  input: { userId: string; name?: string | null | undefined; expiry?: ApiKeyExpiry | undefined },
): Promise<{ key: ApiKey; secret: string }> {
  const name = input.name?.trim() || null;
  if (name && name.length > 100) throw validationError('name', 'must be at most 100 characters');
  return deps.db.transaction().execute(async (trx) => {
    if ((await countLiveApiKeys(trx, input.userId, deps.clock.now())) >= MAX_LIVE_API_KEYS) {
      throw new ApiError(
        403,
        'API_KEY_LIMIT_REACHED',
        `You already have ${MAX_LIVE_API_KEYS} live API keys; revoke one first`,
      );
    }
    return mint(deps, trx, input.userId, name, input.expiry ?? 'never');
  });
}

/** The user's keys that are not revoked (expired ones included, marked by status). */
export async function listApiKeys(deps: Deps, userId: string): Promise<ApiKey[]> {
  return listUserApiKeys(deps.db, userId);
}

/**
 * Rotation: the old key stops working at once and a new one with the same name and expiry period
 * is minted, in one transaction so a crash cannot leave the user with neither.
 */
export async function rotateApiKey(
  deps: Deps,
  userId: string,
  keyId: string,
): Promise<{ key: ApiKey; secret: string }> {
  return deps.db.transaction().execute(async (trx) => {
    const old = await findUserApiKey(trx, userId, keyId);
    if (!old || old.revokedAt !== null) throw new ApiError(404, 'API_KEY_NOT_FOUND', 'No such API key');
    const now = deps.clock.now();
    if (!(await revokeApiKey(trx, keyId, now)))
      throw new ApiError(404, 'API_KEY_NOT_FOUND', 'No such API key');
    let expiry: ApiKeyExpiry = 'never';
    if (old.expiresAt !== null) {
      const days = Math.round((old.expiresAt - old.createdAt) / DAY_MS);
      expiry = (API_KEY_EXPIRY_OPTIONS.find((o) => o === `${days}d`) ?? '90d') as ApiKeyExpiry;
    }
    return mint(deps, trx, userId, old.name, expiry);
  });
}

/** Revokes one of the user's keys; 404 for someone else's or an already revoked key. */
export async function deleteApiKey(deps: Deps, userId: string, keyId: string): Promise<void> {
  const key = await findUserApiKey(deps.db, userId, keyId);
  if (!key || key.revokedAt !== null || !(await revokeApiKey(deps.db, keyId, deps.clock.now()))) {
    throw new ApiError(404, 'API_KEY_NOT_FOUND', 'No such API key');
  }
}

/**
 * Resolves a presented key to its user. Order matters: shape and hash first (INVALID), then
 * revoked (INVALID: a revoked key is indistinguishable from a wrong one), expired, disabled.
 */
export async function authenticateApiKey(deps: Deps, presented: string): Promise<ApiKey> {
  if (!KEY_SHAPE.test(presented)) throw new ApiError(401, 'API_KEY_INVALID', 'The API key is not valid');
  const key = await findApiKeyByHash(deps.db, sha256Hex(presented));
  if (!key || key.revokedAt !== null) throw new ApiError(401, 'API_KEY_INVALID', 'The API key is not valid');
  const now = deps.clock.now();
  if (key.expiresAt !== null && key.expiresAt <= now)
    throw new ApiError(401, 'API_KEY_EXPIRED', 'The API key has expired; create a new one');
  if (key.status === 'disabled') throw new ApiError(403, 'API_KEY_DISABLED', 'The API key is disabled');
  if (key.lastUsedAt === null || key.lastUsedAt < now - 60_000) await touchApiKey(deps.db, key.id, now);
  return key;
}
