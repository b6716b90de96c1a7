import type { ApiKey } from '../domain/types.ts';
import type { Db } from './db.ts';
import type { ApiKeysTable } from './schema.ts';

function toApiKey(row: ApiKeysTable): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    last4: row.last4,
    status: row.status,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
  };
}

/** A new active key as the service describes it (the secret only as its hash). */
export interface NewApiKey {
  id: string;
  userId: string;
  name: string | null;
  keyHash: string;
  last4: string;
  expiresAt: number | null;
  createdAt: number;
}

/** Inserts an active, unused key (hash only). */
export async function insertApiKey(db: Db, key: NewApiKey): Promise<ApiKey> {
  const row: ApiKeysTable = {
    id: key.id,
    user_id: key.userId,
    name: key.name,
    key_hash: key.keyHash,
    last4: key.last4,
    status: 'active',
    expires_at: key.expiresAt,
    revoked_at: null,
    last_used_at: null,
    created_at: key.createdAt,
  };
  await db.insertInto('api_keys').values(row).execute();
  return toApiKey(row);
}

/** The key whose hash matches, revoked or not. */
export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKey | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
  return row && toApiKey(row);
}

/** One of the user's keys by id. */
export async function findUserApiKey(db: Db, userId: string, keyId: string): Promise<ApiKey | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', keyId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row && toApiKey(row);
}

/** The user's keys that are not revoked, newest first. */
export async function listUserApiKeys(db: Db, userId: string): Promise<ApiKey[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toApiKey);
}

/** Keys that count against the per-user limit: not revoked and not expired at `now`. */
export async function countLiveApiKeys(db: Db, userId: string, now: number): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Revokes a live key; false when it was already revoked (so the caller can answer 404). */
export async function revokeApiKey(db: Db, keyId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records use at most once a minute per key, so the check stays a read on most requests. */
export async function touchApiKey(db: Db, keyId: string, now: number): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', keyId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - 60_000)]))
    .execute();
}

/** Sets a key's status (an operator can disable a key without revoking it). */
export async function setApiKeyStatus(db: Db, keyId: string, status: 'active' | 'disabled'): Promise<void> {
  await db.updateTable('api_keys').set({ status }).where('id', '=', keyId).execute();
}
