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
import { audit } from './audit.ts';
import type { Deps } from './deps.ts';
import { type RateLimiter, retryAfterSeconds } from './rate-limit.ts';
import { authenticate, signedInBeforeFrom } from './users.ts';

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
    idHash: sessionIdHash(rawId),
    userId: input.userId,
    // Unguessable and per session: the CSRF token of forms shown after sign-in (S28).
    csrfToken: randomToken(32),
    createdAt: now,
    expiresAt: now + SESSION_ABSOLUTE_MS,
    ip: input.ip ? input.ip.slice(0, MAX_IP) : null,
    userAgent: input.userAgent ? input.userAgent.slice(0, MAX_USER_AGENT) : null,
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

/** The per-address sign-in window: SIGNIN_RATE_LIMIT_PER_MINUTE attempts per minute (S31). */
const ADDRESS_LIMIT_WINDOW_MS = 60_000;
/** The per-account sign-in limit: this many times the per-address one, over this window (S31). */
const ACCOUNT_LIMIT_FACTOR = 10;
const ACCOUNT_LIMIT_WINDOW_MS = 15 * 60_000;

/** A sign-in form as sent: the email (trimmed), the password, and where it came from. */
export interface SignInAttempt {
  email: string;
  password: string;
  ip: string;
  userAgent: string | null;
  /** The browser's current session cookie, ended by the new session (S30). */
  previousRawId?: string | undefined;
}

/** What a sign-in attempt came to; `failed` never says whether the email exists (S31). */
export type SignInOutcome =
  | { kind: 'signed_in'; user: User; rawId: string; session: BrowserSession }
  | { kind: 'too_many'; retryAfterSeconds: number }
  | { kind: 'failed' };

/**
 * Signs in with email and password: the rate limits, the password check, a fresh session (the id
 * changes at sign-in, S30) and the audit event the workspace log shows (issue 5).
 */
export async function signIn(
  deps: Deps,
  limiter: RateLimiter,
  attempt: SignInAttempt,
): Promise<SignInOutcome> {
  const { email, password, ip, userAgent } = attempt;
  // Every attempt counts before any password work, so a flood costs us no argon2 time (S31):
  // - per address, strictly (SIGNIN_RATE_LIMIT_PER_MINUTE);
  // - per account, ten times that over a quarter of an hour, and only for addresses that have not
  //   signed in to the account before: guessing from many addresses is slowed, but nobody can
  //   lock the owner out of the places they usually sign in from. The account bucket is keyed by
  //   a hash (counters never hold emails) and exists for unknown emails too, so it reveals nothing.
  const limit = deps.config.signinRateLimitPerMinute;
  const decisions = [await limiter.hit(`signin:ip:${ip}`, limit, ADDRESS_LIMIT_WINDOW_MS)];
  if (!(await signedInBeforeFrom(deps, email, ip))) {
    decisions.push(
      await limiter.hit(
        `signin:acct:${sha256Hex(email.toLowerCase())}`,
        limit * ACCOUNT_LIMIT_FACTOR,
        ACCOUNT_LIMIT_WINDOW_MS,
      ),
    );
  }
  const retryAfter = retryAfterSeconds(decisions, deps.clock.now());
  if (retryAfter !== undefined) return { kind: 'too_many', retryAfterSeconds: retryAfter };

  // authenticate spends the same argon2 time on an unknown email as on a wrong password.
  const user = email && password ? await authenticate(deps, email, password) : undefined;
  if (!user) return { kind: 'failed' };
  const { rawId, session } = await startSession(deps, {
    userId: user.id,
    previousRawId: attempt.previousRawId,
    ip,
    userAgent,
  });
  await audit(deps, 'user.signed_in', { userId: user.id, origin: { ip, userAgent } });
  deps.log.info({ userId: user.id }, 'browser signed in');
  return { kind: 'signed_in', user, rawId, session };
}
