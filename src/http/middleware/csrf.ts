import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual, hmacBase64Url, randomToken } from '../../lib/crypto.ts';
import { PageError } from './page-error.ts';

// CSRF protection for every state-changing form (SECURITY.md S28).
//
// Signed in: the token is the session's random csrf_token, stored with the session row.
// Not yet signed in (sign-in, sign-up): a random `up_csrf` cookie binds the form to this browser,
// and the token is HMAC(key, cookie value) — the classic signed double-submit pattern. An attacker
// on another site can neither read the HttpOnly cookie nor compute the HMAC without the server
// secret, and SameSite=Lax keeps the cookie off cross-site POSTs anyway.
//
// Both need sessionMiddleware earlier in the chain (it provides the key and the session).

export const PRE_SESSION_CSRF_COOKIE = 'up_csrf';
export const CSRF_FIELD = 'csrf';

function settings(c: Context) {
  const value = c.get('pageSettings');
  if (!value) throw new Error('csrf: sessionMiddleware must run before csrfToken/requireCsrf');
  return value;
}

function preSessionToken(c: Context, cookieValue: string): string {
  return hmacBase64Url(settings(c).csrfKey, cookieValue);
}

/**
 * The CSRF token to embed in a form as `<input type="hidden" name="csrf">`: the session's token
 * when signed in, otherwise one bound to the pre-session cookie (created here when missing).
 */
export function csrfToken(c: Context): string {
  const session = c.get('session');
  if (session) return session.csrfToken;
  let cookie = c.get('preSessionCsrf') ?? getCookie(c, PRE_SESSION_CSRF_COOKIE);
  if (!cookie || !/^[A-Za-z0-9_-]{32,64}$/.test(cookie)) {
    cookie = randomToken(32);
    setCookie(c, PRE_SESSION_CSRF_COOKIE, cookie, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      secure: settings(c).secureCookies,
    });
  }
  c.set('preSessionCsrf', cookie);
  return preSessionToken(c, cookie);
}

/** The token this request must present: the session's, or the pre-session cookie's HMAC. */
function expectedToken(c: Context): string | undefined {
  const session = c.get('session');
  if (session) return session.csrfToken;
  const cookie = getCookie(c, PRE_SESSION_CSRF_COOKIE);
  return cookie ? preSessionToken(c, cookie) : undefined;
}

/**
 * Refuses a POST whose form field `csrf` is missing or not this browser's token, before the
 * handler runs, so nothing changes: a 403 PageError the surface renders as its error page.
 * Compared in constant time.
 */
export function requireCsrf(): MiddlewareHandler {
  return async (c, next) => {
    let presented: unknown;
    try {
      presented = (await c.req.parseBody())[CSRF_FIELD];
    } catch {
      presented = undefined; // an unparseable body carries no token
    }
    const expected = expectedToken(c);
    if (typeof presented !== 'string' || !expected || !constantTimeEqual(presented, expected)) {
      throw new PageError(
        403,
        'This form has expired',
        'The form you sent did not come from this page in this browser, or it is too old. Go back, reload the page and try again.',
      );
    }
    await next();
  };
}
