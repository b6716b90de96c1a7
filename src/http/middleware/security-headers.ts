import type { Context, MiddlewareHandler } from 'hono';

// Headers for every server-rendered page (SECURITY.md S27).
//
// default-src 'self': the pages load only our own stylesheet; no script runs at all (there is
// none, and nothing from another origin may be fetched). img-src adds data: so a client icon can
// be inlined after the server fetched it; remote icons are never loaded by the browser.
//
// form-action is deliberately not set by default. It does not fall back to default-src, and
// Chrome applies it to every redirect that follows a form submission: the sign-in POST answers
// 303 → /authorize → 302 to the client's redirect_uri, and the consent POST answers 302 to it.
// Those targets are https URLs, loopback http URLs, or private-use schemes (cursor://,
// com.example.app:/…) that no fixed source list can enumerate, so `form-action 'self'` would
// break sign-in and consent for native clients. Every form we render posts to a fixed
// same-origin path and every value is escaped, so the directive would protect nothing we
// need. Pages whose forms never lead off-site can still ask for it (`formAction: "'self'"`).

export interface PageSecurityOptions {
  /** A form-action source list, e.g. "'self'"; omitted by default (see above). */
  formAction?: string;
}

/** The Content-Security-Policy value for our pages. */
export function pageContentSecurityPolicy(options: PageSecurityOptions = {}): string {
  const directives = [
    "default-src 'self'",
    "img-src 'self' data:",
    "script-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ];
  if (options.formAction) directives.push(`form-action ${options.formAction}`);
  return directives.join('; ');
}

/** Sets the page headers on this response (for handlers that render outside the middleware). */
export function setPageSecurityHeaders(c: Context, options: PageSecurityOptions = {}): void {
  c.header('Content-Security-Policy', pageContentSecurityPolicy(options));
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Content-Type-Options', 'nosniff');
  // Forms carry CSRF tokens and pages show account details: never keep them in a cache.
  c.header('Cache-Control', 'no-store');
}

/**
 * S27 headers on every response of the routes it wraps. HTML responses also get
 * `Cache-Control: no-store` unless the handler chose otherwise (the stylesheet stays cacheable).
 */
export function pageSecurityHeaders(options: PageSecurityOptions = {}): MiddlewareHandler {
  const csp = pageContentSecurityPolicy(options);
  return async (c, next) => {
    await next();
    c.res.headers.set('Content-Security-Policy', csp);
    c.res.headers.set('X-Frame-Options', 'DENY');
    c.res.headers.set('Referrer-Policy', 'no-referrer');
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    const type = c.res.headers.get('content-type') ?? '';
    if (type.startsWith('text/html') && !c.res.headers.has('cache-control')) {
      c.res.headers.set('Cache-Control', 'no-store');
    }
  };
}
