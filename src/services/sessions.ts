import type { User } from '../domain/types.ts';
import { DAY_MS } from '../lib/clock.ts';
import { randomToken, sha256Hex } from '../lib/crypto.ts';
import {
  type BrowserSession,
  endBrowserSession,
  endUserBrowserSessions,
  findLiveBrowserSession,
  insertBrowserSession,
  touchBrowserSession,
} from '../store/sessions.ts';
import { findUserById } from '../store/users.ts';
import type { Deps } from './deps.ts';

export type { BrowserSession } from '../store/sessions.ts';

/** Absolute session lifetime: a sign-in is good for at most 14 days (S30). */
export const SESSION_ABSOLUTE_MS = 14 * DAY_MS;
/** A session unused for 7 days ends. */
export const SESSION_IDLE_MS = 7 * DAY_MS;

// Column caps so a hostile User-Agent cannot bloat the table.
const MAX_USER_AGENT = 512;
const MAX_IP = 64;

/** The hash under which a raw session id is stored; the raw id only ever lives in the cookie. */
export function sessionIdHash(rawId: string): string {
  return sha256Hex(rawId);
}

/**
 * Starts a fresh session for `userId` and ends `previousRawId`'s session, so the id always changes
 * at sign-in (session fixation, S30). Returns the raw id for the cookie.
 */
export async function startSession(
  deps: Deps,
  input: {
    userId: string;
    previousRawId?: string | undefined;
    ip?: string | null;
    userAgent?: string | null;
  },
): Promise<{ rawId: string; session: BrowserSession }> {
  const now = deps.clock.now();
  if (input.previousRawId) await endBrowserSession(deps.db, sessionIdHash(input.previousRawId), now);
  const rawId = randomToken(32);
  const session = await insertBrowserSession(deps.db, {
    id_hash: sessionIdHash(rawId),
    user_id: input.userId,
    // Unguessable and per session: the CSRF token of forms shown after sign-in (S28).
    csrf_token: randomToken(32),
    created_at: now,
    expires_at: now + SESSION_ABSOLUTE_MS,
    last_seen_at: now,
    ip: input.ip ? input.ip.slice(0, MAX_IP) : null,
    user_agent: input.userAgent ? input.userAgent.slice(0, MAX_USER_AGENT) : null,
    ended_at: null,
  });
  return { rawId, session };
}

/** The live session and its user for a cookie value, or undefined; records activity at most once a minute. */
export async function resolveSession(
  deps: Deps,
  rawId: string,
): Promise<{ session: BrowserSession; user: User } | undefined> {
  // Our ids are 43 base64url characters; anything else cannot match, so skip the query.
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(rawId)) return undefined;
  const now = deps.clock.now();
  const session = await findLiveBrowserSession(deps.db, sessionIdHash(rawId), now, SESSION_IDLE_MS);
  if (!session) return undefined;
  const user = await findUserById(deps.db, session.userId);
  if (!user) return undefined;
  await touchBrowserSession(deps.db, session.idHash, now);
  return { session, user };
}

/** Ends the session behind a cookie value server-side (sign-out); false when it was not live. */
export async function endSession(deps: Deps, rawId: string): Promise<boolean> {
  return endBrowserSession(deps.db, sessionIdHash(rawId), deps.clock.now());
}

/** Ends every session of a user, e.g. after a password change or account removal. */
export async function endAllSessions(deps: Deps, userId: string): Promise<number> {
  return endUserBrowserSessions(deps.db, userId, deps.clock.now());
}
