// Token and code lifetimes in one place; docs/oauth.md lists them.

/** S8: an authorization code lives at most 60 seconds. */
export const CODE_TTL_MS = 60_000;
/** A pending authorization request (sign-in and consent) must finish within 10 minutes. */
export const PENDING_TTL_MS = 10 * 60_000;
/** S14: a refresh token dies after 30 idle days. */
export const REFRESH_IDLE_MS = 30 * 86_400_000;
/** S14: and 90 days after the authorization, however often it was used. */
export const REFRESH_ABSOLUTE_MS = 90 * 86_400_000;
/** S12: concurrent refreshes with one token inside this window all get the same new pair. */
export const REFRESH_GRACE_MS = 30_000;
/** S24: dynamic registrations never used for an authorization are removed after a day. */
export const UNUSED_CLIENT_TTL_MS = 86_400_000;
