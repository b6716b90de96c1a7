import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { ApiError } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { type RateDecision, type RateLimiter, retryAfterSeconds } from '../../services/rate-limit.ts';
import { endSession, signIn } from '../../services/sessions.ts';
import { createUser } from '../../services/users.ts';
import { clientIp } from '../middleware/client-ip.ts';
import { csrfToken, requireCsrf } from '../middleware/csrf.ts';
import { pageSecurityHeaders } from '../middleware/security-headers.ts';
import {
  clearSessionCookie,
  SESSION_COOKIE,
  sessionMiddleware,
  setSessionCookie,
  signInBrowser,
} from '../middleware/session.ts';
import { textGuard } from '../middleware/text-guard.ts';
import { renderErrorPage } from '../views/error-page.tsx';
import { ICON_PATH, Page, renderPage, STYLESHEET_PATH } from '../views/layout.tsx';
import { APP_CSS, ICON_SVG } from '../views/styles.ts';
import { pagesErrorHandler } from './error-handler.ts';
import { safeReturnTo } from './return-to.ts';
import { SignInPage } from './signin.tsx';
import { SignUpClosedPage, SignUpPage } from './signup.tsx';

// Sign-in, sign-up and sign-out (SECURITY.md S4, S5, S27, S28, S30, S31). Plain HTML forms that
// work without JavaScript. Middleware is attached per route, not with use('*'), so mounting this
// router at '/' cannot wrap anybody else's routes.

/** The one failure message of sign-in, whatever failed (S31: never say whether the email exists). */
export const SIGNIN_FAILED = 'Email or password is incorrect';

const MINUTE = 60_000;
// Forms hold a few short fields; anything bigger is not ours (S38).
const FORM_LIMIT = 16 * 1024;

function field(form: Record<string, unknown>, name: string, max: number): string {
  const value = form[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** The 429 page with Retry-After (S31). */
function tooManyPage(c: Context, seconds: number, what: string): Response {
  c.header('Retry-After', String(seconds));
  return renderErrorPage(c, 429, `Too many ${what} attempts`, `Wait ${seconds} seconds, then try again.`);
}

/** Sends 429 with Retry-After when any decision refused (S31). */
function tooMany(c: Context, deps: Deps, decisions: RateDecision[], what: string): Response | undefined {
  const seconds = retryAfterSeconds(decisions, deps.clock.now());
  return seconds === undefined ? undefined : tooManyPage(c, seconds, what);
}

/** The sign-in, sign-up and sign-out pages, and the stylesheet; mount at '/'. */
export function createAuthPages(deps: Deps, limiter: RateLimiter): Hono {
  const app = new Hono();
  app.onError(pagesErrorHandler(deps.log));
  const { config } = deps;
  const session = sessionMiddleware(deps);
  const headers = pageSecurityHeaders();
  const formBody = bodyLimit({
    maxSize: FORM_LIMIT,
    onError: (c) =>
      renderErrorPage(c, 413, 'Form too large', 'The form you sent is larger than this page accepts.'),
  });
  const csrf = requireCsrf();
  // Every field of these pages is single-line text (domain/text-rules.ts, S38): an e-mail with a
  // NUL in it is refused before it is looked up, a name with a CR/LF before it is stored. return_to
  // is not refused but sent home by safeReturnTo, which applies the same rule (S4).
  const sanitized = new Set(['return_to']);
  const guard = textGuard({ sanitized });
  const formGuard = textGuard({ form: { multiLine: new Set() }, sanitized });

  app.get(STYLESHEET_PATH, (c) => {
    c.header('Cache-Control', 'public, max-age=3600');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(APP_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  app.get(ICON_PATH, (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(ICON_SVG, 200, { 'Content-Type': 'image/svg+xml' });
  });

  app.get('/signin', headers, session, guard, (c) => {
    const returnTo = safeReturnTo(c.req.query('return_to'), config.publicUrl);
    return renderPage(
      c,
      <SignInPage
        csrf={csrfToken(c)}
        returnTo={returnTo}
        signupEnabled={config.signupEnabled}
        user={c.get('user')}
      />,
    );
  });

  app.post('/signin', headers, formBody, session, csrf, formGuard, async (c) => {
    const form = await c.req.parseBody();
    const email = field(form, 'email', 254).trim();
    const password = field(form, 'password', 256);
    const returnTo = safeReturnTo(form.return_to, config.publicUrl);
    // The checks, the session and the audit event are the service's (services/sessions.ts).
    const outcome = await signIn(deps, limiter, {
      email,
      password,
      ip: clientIp(c, config.trustProxy),
      userAgent: c.req.header('user-agent') ?? null,
      previousRawId: getCookie(c, SESSION_COOKIE),
    });
    if (outcome.kind === 'too_many') return tooManyPage(c, outcome.retryAfterSeconds, 'sign-in');
    if (outcome.kind === 'failed') {
      return renderPage(
        c,
        <SignInPage
          csrf={csrfToken(c)}
          returnTo={returnTo}
          email={email}
          error={SIGNIN_FAILED}
          signupEnabled={config.signupEnabled}
          user={c.get('user')}
        />,
        401,
      );
    }
    setSessionCookie(c, config, outcome.rawId);
    // S5: after a form POST carrying credentials, 303 so the browser follows with a GET.
    return c.redirect(returnTo, 303);
  });

  app.get('/signup', headers, session, guard, (c) => {
    if (!config.signupEnabled) return renderPage(c, <SignUpClosedPage />, 404);
    const returnTo = safeReturnTo(c.req.query('return_to'), config.publicUrl);
    return renderPage(c, <SignUpPage csrf={csrfToken(c)} returnTo={returnTo} />);
  });

  app.post(
    '/signup',
    headers,
    // Closed sign-up refuses before reading anything: nothing can be created.
    async (c, next) => (config.signupEnabled ? next() : renderPage(c, <SignUpClosedPage />, 404)),
    formBody,
    session,
    csrf,
    formGuard,
    async (c) => {
      const form = await c.req.parseBody();
      const email = field(form, 'email', 300).trim();
      const password = field(form, 'password', 300);
      const name = field(form, 'name', 200).trim();
      const returnTo = safeReturnTo(form.return_to, config.publicUrl);
      const again = (error: string, status: 400 | 409) =>
        renderPage(
          c,
          <SignUpPage csrf={csrfToken(c)} returnTo={returnTo} email={email} name={name} error={error} />,
          status,
        );
      // Each account costs an argon2 hash: the same per-address budget as sign-in.
      const ip = clientIp(c, config.trustProxy);
      const decision = await limiter.hit(`signup:ip:${ip}`, config.signinRateLimitPerMinute, MINUTE);
      const refused = tooMany(c, deps, [decision], 'sign-up');
      if (refused) return refused;
      let user: Awaited<ReturnType<typeof createUser>>;
      try {
        user = await createUser(deps, { email, password, name: name || undefined });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'EMAIL_TAKEN')
          return again('An account with this email already exists. Sign in instead.', 409);
        if (error instanceof ApiError && error.code === 'VALIDATION_FAILED') {
          const message = error.message.replace(
            /^(\w+): /,
            (_m, f: string) => `${f[0]!.toUpperCase()}${f.slice(1)} `,
          );
          return again(message, 400);
        }
        throw error;
      }
      await signInBrowser(c, deps, user);
      deps.log.info({ userId: user.id }, 'account created');
      return c.redirect(returnTo, 303);
    },
  );

  // GET shows a confirmation form: signing out changes state, so it takes a POST with a token.
  app.get('/signout', headers, session, (c) => {
    const user = c.get('user');
    if (!user) return c.redirect('/signin', 303);
    const csrf = csrfToken(c);
    return renderPage(
      c,
      <Page title="Sign out" user={user} csrf={csrf}>
        <div class="card">
          <h1>Sign out?</h1>
          <p>{`You are signed in as ${user.email}.`}</p>
          <form method="post" action="/signout">
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" class="full">
              Sign out
            </button>
          </form>
        </div>
      </Page>,
    );
  });

  app.post(
    '/signout',
    headers,
    formBody,
    session,
    // Without a live session there is nothing a forged request could end, so a stale cookie is
    // simply cleared; with one, the session's token is required (S28).
    async (c, next) => {
      if (c.get('session')) return csrf(c, next);
      await next();
    },
    formGuard,
    async (c) => {
      const rawId = getCookie(c, SESSION_COOKIE);
      // S30: the session ends in the database, so a copy of the cookie stops working too.
      if (rawId) await endSession(deps, rawId);
      clearSessionCookie(c, config);
      return c.redirect('/signin', 303);
    },
  );

  return app;
}
