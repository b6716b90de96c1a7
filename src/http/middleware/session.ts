import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../../config/index.ts';
import type { User } from '../../domain/types.ts';
import { hmacBase64Url } from '../../lib/crypto.ts';
import type { Deps } from '../../services/deps.ts';
import { resolveSession, SESSION_ABSOLUTE_MS, startSession } from '../../services/sessions.ts';
import { clientIp } from './client-ip.ts';

// Browser sessions for the server-rendered pages (SECURITY.md S30). The cookie carries an opaque
// random id; the database keeps only its SHA-256. Routes read `c.var.session` and `c.var.user`.

export const SESSION_COOKIE = 'up_session';

/** What a route sees of the signed-in browser; the raw cookie value is never exposed. */
export interface SessionInfo {
  userId: string;
  csrfToken: string;
  idHash: string;
}

/** Set by sessionMiddleware for csrf.ts: a key derived from the server secret, and the cookie mode. */
export interface PageSettings {
  csrfKey: string;
  secureCookies: boolean;
}

declare module 'hono' {
  interface ContextVariableMap {
    session: SessionInfo | undefined;
    user: User | undefined;
    pageSettings: PageSettings;
    /** The pre-session CSRF cookie value created during this request, if any (csrf.ts). */
    preSessionCsrf: string | undefined;
  }
}

/** The variables sessionMiddleware provides, for routers that want them in their Env type. */
export interface SessionEnv {
  Variables: { session: SessionInfo | undefined; user: User | undefined; pageSettings: PageSettings };
}

/** True when cookies must carry `Secure`: the public origin is https (S30). */
export function secureCookies(config: Pick<Config, 'publicUrl'>): boolean {
  return config.publicUrl.startsWith('https:');
}

/** Loads the session named by the `up_session` cookie into `c.var.session` / `c.var.user`. */
export function sessionMiddleware(deps: Deps): MiddlewareHandler {
  // A purpose-bound key, so the raw secret never sits in the request context (S28's HMAC).
  const settings: PageSettings = {
    csrfKey: hmacBase64Url(deps.config.secret, 'userplane/csrf/v1'),
    secureCookies: secureCookies(deps.config),
  };
  return async (c, next) => {
    c.set('pageSettings', settings);
    c.set('session', undefined);
    c.set('user', undefined);
    const rawId = getCookie(c, SESSION_COOKIE);
    if (rawId) {
      const found = await resolveSession(deps, rawId);
      if (found) {
        c.set('session', {
          userId: found.session.userId,
          csrfToken: found.session.csrfToken,
          idHash: found.session.idHash,
        });
        c.set('user', found.user);
      }
    }
    await next();
  };
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Path=/, Secure over https (S30). */
export function setSessionCookie(c: Context, config: Pick<Config, 'publicUrl'>, rawId: string): void {
  setCookie(c, SESSION_COOKIE, rawId, {
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
    secure: secureCookies(config),
    maxAge: Math.floor(SESSION_ABSOLUTE_MS / 1000),
  });
}

/** Removes the session cookie from the browser (the server-side end is endSession's job). */
export function clearSessionCookie(c: Context, config: Pick<Config, 'publicUrl'>): void {
  setCookie(c, SESSION_COOKIE, '', {
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
    secure: secureCookies(config),
    maxAge: 0,
    expires: new Date(0),
  });
}

/**
 * Signs the browser in as `user`: ends any session it had, starts a new one (so the id changes
 * at sign-in, S30), sets the cookie and updates `c.var` for the rest of this request.
 */
export async function signInBrowser(c: Context, deps: Deps, user: User): Promise<SessionInfo> {
  const { rawId, session } = await startSession(deps, {
    userId: user.id,
    previousRawId: getCookie(c, SESSION_COOKIE),
    ip: clientIp(c, deps.config.trustProxy),
    userAgent: c.req.header('user-agent') ?? null,
  });
  setSessionCookie(c, deps.config, rawId);
  const info = { userId: session.userId, csrfToken: session.csrfToken, idHash: session.idHash };
  c.set('session', info);
  c.set('user', user);
  return info;
}
