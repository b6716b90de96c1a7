import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { LocalAuthorizationError, RedirectedAuthorizationError } from '../../domain/oauth/errors.ts';
import { randomToken } from '../../lib/crypto.ts';
import type { Deps } from '../../services/deps.ts';
import {
  authorizationResponseUrl,
  decideAuthorization,
  type ResumeOutcome,
  resumeAuthorization,
  startAuthorization,
} from '../../services/oauth/authorization.ts';
import { requestOrigin } from '../middleware/client-ip.ts';
import { csrfToken, requireCsrf } from '../middleware/csrf.ts';
import { secureCookies } from '../middleware/session.ts';
import { ConsentPage } from '../pages/consent.tsx';
import { renderErrorPage } from '../views/error-page.tsx';
import { renderPage } from '../views/layout.tsx';

/** The cookie that binds a pending authorization to the browser that started it (S29). */
export const BINDING_COOKIE = 'up_authz';

function bindingCookie(c: Context, deps: Deps): string {
  let value = getCookie(c, BINDING_COOKIE);
  if (!value || !/^[A-Za-z0-9_-]{43}$/.test(value)) {
    value = randomToken(32);
    setCookie(c, BINDING_COOKIE, value, {
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      secure: secureCookies(deps.config),
    });
  }
  return value;
}

function resumePath(pendingId: string): string {
  return `/authorize/resume?pending=${encodeURIComponent(pendingId)}`;
}

/**
 * GET /authorize, GET /authorize/resume, POST /authorize/decision. Needs sessionMiddleware before
 * it. The answer to the client is a 302 (INTEROP: a 307 breaks claude.ai); the consent POST answers
 * 303 to /authorize/resume (S5), which then answers the client.
 */
export function createAuthorizeRoutes(deps: Deps): Hono {
  const app = new Hono();

  function respond(c: Context, outcome: ResumeOutcome) {
    if (outcome.kind === 'signin') {
      return c.redirect(`/signin?return_to=${encodeURIComponent(resumePath(outcome.pendingId))}`, 302);
    }
    if (outcome.kind === 'redirect') {
      c.header('Cache-Control', 'no-store');
      c.header('Referrer-Policy', 'no-referrer');
      return c.redirect(outcome.location, 302);
    }
    const user = c.get('user');
    return renderPage(
      c,
      <ConsentPage
        clientName={outcome.client.name}
        logoUri={outcome.client.logoUri}
        verified={outcome.client.verifiedVendor !== null}
        verifiedVendor={outcome.client.verifiedVendor}
        redirectHost={outcome.redirectHost}
        loopbackRedirect={outcome.loopbackRedirect}
        scope={outcome.scope}
        userEmail={user?.email ?? ''}
        pendingId={outcome.pendingId}
        csrf={csrfToken(c)}
      />,
    );
  }

  // The one error handler of these routes: a failure before the redirect URI is trusted is our own
  // page (S1), one after it goes back to the client; anything else to the generic handler.
  app.onError((error, c) => {
    if (error instanceof LocalAuthorizationError) {
      return renderErrorPage(c, error.status as 400, error.title, error.message);
    }
    if (error instanceof RedirectedAuthorizationError) {
      return c.redirect(
        authorizationResponseUrl(deps, error.redirect, {
          error: error.error.code,
          error_description: error.error.description,
        }),
        302,
      );
    }
    throw error;
  });

  app.get('/authorize', async (c) => {
    const url = new URL(c.req.url);
    const query: Record<string, string[]> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
    const outcome = await startAuthorization(deps, {
      query,
      browserBinding: bindingCookie(c, deps),
      userId: c.get('session')?.userId,
      origin: requestOrigin(c, deps.config.trustProxy),
    });
    return respond(c, outcome);
  });

  app.get('/authorize/resume', async (c) => {
    const outcome = await resumeAuthorization(deps, {
      pendingId: c.req.query('pending'),
      browserBinding: getCookie(c, BINDING_COOKIE),
      userId: c.get('session')?.userId,
      origin: requestOrigin(c, deps.config.trustProxy),
    });
    return respond(c, outcome);
  });

  app.post('/authorize/decision', requireCsrf(), async (c) => {
    const session = c.get('session');
    const form = await c.req.parseBody();
    const pendingId = typeof form.pending === 'string' ? form.pending : undefined;
    if (!session)
      return c.redirect(`/signin?return_to=${encodeURIComponent(resumePath(pendingId ?? ''))}`, 303);
    await decideAuthorization(deps, {
      pendingId,
      browserBinding: getCookie(c, BINDING_COOKIE),
      userId: session.userId,
      decision: typeof form.decision === 'string' ? form.decision : undefined,
      origin: requestOrigin(c, deps.config.trustProxy),
    });
    return c.redirect(resumePath(pendingId ?? ''), 303);
  });
  return app;
}
