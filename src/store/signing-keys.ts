import type { Db } from './db.ts';
import type { OAuthSigningKeysTable } from './schema.ts';

/** A signing key as stored: the public JWK in JSON, the private JWK sealed (S37). */
export interface StoredSigningKey {
  kid: string;
  alg: string;
  publicJwk: string;
  privateJwkEncrypted: string;
  createdAt: number;
  activatesAt: number;
  retiredAt: number | null;
  expiresAt: number | null;
}

function toStoredKey(row: OAuthSigningKeysTable): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateJwkEncrypted: row.private_jwk_encrypted,
    createdAt: Number(row.created_at),
    activatesAt: Number(row.activates_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

/** Inserts a new key; the private JWK must already be encrypted. */
export async function insertSigningKey(db: Db, key: StoredSigningKey): Promise<void> {
  await db
    .insertInto('oauth_signing_keys')
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: key.publicJwk,
      private_jwk_encrypted: key.privateJwkEncrypted,
      created_at: key.createdAt,
      activates_at: key.activatesAt,
      retired_at: key.retiredAt,
      expires_at: key.expiresAt,
    })
    .execute();
}

/** Keys still published at `now` (no expiry, or expiring later), oldest activation first. */
export async function listPublishedSigningKeys(db: Db, now: number): Promise<StoredSigningKey[]> {
  const rows = await db
    .selectFrom('oauth_signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('activates_at', 'asc')
    .orderBy('created_at', 'asc')
    .orderBy('kid', 'asc')
    .execute();
  return rows.map(toStoredKey);
}

/** One key by kid, whatever its state. */
export async function findSigningKey(db: Db, kid: string): Promise<StoredSigningKey | undefined> {
  const row = await db.selectFrom('oauth_signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
  return row && toStoredKey(row);
}

/**
 * Retires a key that still signs: it stops signing at `retiredAt` and leaves the JWKS at `expiresAt`.
 * Conditional on not being retired already, so two processes retiring it agree on the first time.
 */
export async function retireSigningKey(
  db: Db,
  kid: string,
  retiredAt: number,
  expiresAt: number,
): Promise<boolean> {
  const result = await db
    .updateTable('oauth_signing_keys')
    .set({ retired_at: retiredAt, expires_at: expiresAt })
    .where('kid', '=', kid)
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
