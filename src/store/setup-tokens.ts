import type { Db } from './db.ts';

// The first-run setup link: one row with id 'setup'. Only the token's SHA-256 is stored.

const ROW_ID = 'setup';

/** The stored setup token's state, or undefined when none was ever issued. */
export interface SetupToken {
  tokenHash: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

/** Replaces any setup token with a new one (the previous link stops working). */
export async function replaceSetupToken(
  db: Db,
  row: { tokenHash: string; createdAt: number; expiresAt: number },
): Promise<void> {
  await db.deleteFrom('setup_tokens').where('id', '=', ROW_ID).execute();
  await db
    .insertInto('setup_tokens')
    .values({
      id: ROW_ID,
      token_hash: row.tokenHash,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
      used_at: null,
    })
    .execute();
}

/** The current setup token, whatever its state. */
export async function findSetupToken(db: Db): Promise<SetupToken | undefined> {
  const row = await db.selectFrom('setup_tokens').selectAll().where('id', '=', ROW_ID).executeTakeFirst();
  return (
    row && {
      tokenHash: row.token_hash,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      usedAt: row.used_at === null ? null : Number(row.used_at),
    }
  );
}

/**
 * Marks the token used with one conditional UPDATE, so a link completes setup at most once even
 * when two requests race; false when the hash does not match, it expired or was used.
 */
export async function consumeSetupToken(db: Db, tokenHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('setup_tokens')
    .set({ used_at: now })
    .where('id', '=', ROW_ID)
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
