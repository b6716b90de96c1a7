import type { Db } from './db.ts';
import type { BrowserSessionsTable } from './schema.ts';

// Browser sessions (SECURITY.md S30). The cookie holds an opaque random id; only its SHA-256
// (`id_hash`) is stored, so a copy of the database cannot be replayed as a cookie.

/** A browser session as services see it (never the raw cookie value). */
export interface BrowserSession {
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  endedAt: number | null;
}

function toSession(row: BrowserSessionsTable): BrowserSession {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
    endedAt: row.ended_at,
  };
}

/** A new live session as the service describes it (first seen when created). */
export interface NewBrowserSession {
  /** The session id only as its hash. */
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  ip: string | null;
  userAgent: string | null;
}

/** Inserts a session (the id only as its hash). */
export async function insertBrowserSession(db: Db, session: NewBrowserSession): Promise<BrowserSession> {
  const row: BrowserSessionsTable = {
    id_hash: session.idHash,
    user_id: session.userId,
    csrf_token: session.csrfToken,
    created_at: session.createdAt,
    expires_at: session.expiresAt,
    last_seen_at: session.createdAt,
    ip: session.ip,
    user_agent: session.userAgent,
    ended_at: null,
  };
  await db.insertInto('browser_sessions').values(row).execute();
  return toSession(row);
}

/**
 * The session with this id hash when it is still live at `now`: not ended, before its absolute
 * expiry, and seen within `idleMs`.
 */
export async function findLiveBrowserSession(
  db: Db,
  idHash: string,
  now: number,
  idleMs: number,
): Promise<BrowserSession | undefined> {
  const row = await db
    .selectFrom('browser_sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', now - idleMs)
    .executeTakeFirst();
  return row && toSession(row);
}

/** The session with this id hash in any state (tests and audits look at ended ones too). */
export async function findBrowserSession(db: Db, idHash: string): Promise<BrowserSession | undefined> {
  const row = await db
    .selectFrom('browser_sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  return row && toSession(row);
}

/** Records activity at most once a minute per session, so most page loads stay a single read. */
export async function touchBrowserSession(db: Db, idHash: string, now: number): Promise<void> {
  await db
    .updateTable('browser_sessions')
    .set({ last_seen_at: now })
    .where('id_hash', '=', idHash)
    .where('ended_at', 'is', null)
    .where('last_seen_at', '<', now - 60_000)
    .execute();
}

/** Ends a live session; false when it was already ended or never existed. */
export async function endBrowserSession(db: Db, idHash: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('browser_sessions')
    .set({ ended_at: now })
    .where('id_hash', '=', idHash)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Ends every live session of a user (e.g. after a password change); returns how many. */
export async function endUserBrowserSessions(db: Db, userId: string, now: number): Promise<number> {
  const result = await db
    .updateTable('browser_sessions')
    .set({ ended_at: now })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Deletes sessions that ended or expired before `before`; returns how many. */
export async function deleteStaleBrowserSessions(db: Db, before: number): Promise<number> {
  const result = await db
    .deleteFrom('browser_sessions')
    .where((eb) => eb.or([eb('expires_at', '<', before), eb('ended_at', '<', before)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
