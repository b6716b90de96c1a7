import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { User } from '../../domain/types.ts';
import { setPageSecurityHeaders } from '../middleware/security-headers.ts';

// The shared page shell. Every value reaches the HTML through hono/jsx, which escapes it; no
// script, no inline style, nothing from another origin (S27).

export const STYLESHEET_PATH = '/assets/app.css';
/** The site icon; every page links it, so browsers do not ask for a missing /favicon.ico. */
export const ICON_PATH = '/assets/icon.svg';

export interface PageProps {
  title: string;
  children?: Child;
  /** The signed-in user: shown in the header with a sign-out button when `csrf` is given. */
  user?: Pick<User, 'email'> | undefined;
  /** The CSRF token for the header's sign-out form. */
  csrf?: string | undefined;
}

/** The HTML document around a page's content. */
export function Page({ title, children, user, csrf }: PageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · Userplane`}</title>
        <link rel="icon" type="image/svg+xml" href={ICON_PATH} />
        <link rel="stylesheet" href={STYLESHEET_PATH} />
      </head>
      <body>
        <header class="site">
          <a class="brand" href="/">
            Userplane
          </a>
          {user ? (
            <div class="who">
              <span>{user.email}</span>
              {csrf ? (
                <form method="post" action="/signout">
                  <input type="hidden" name="csrf" value={csrf} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              ) : null}
            </div>
          ) : null}
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

/** Sends a rendered page with the S27 headers and `Cache-Control: no-store`. */
export function renderPage(c: Context, element: unknown, status: ContentfulStatusCode = 200): Response {
  setPageSecurityHeaders(c);
  return c.html(`<!DOCTYPE html>${String(element)}`, status);
}
