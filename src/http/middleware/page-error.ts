import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

// A request a middleware refuses before its handler runs (a form without this browser's CSRF
// token, a field that breaks the text rule): what the person should read, not how it looks.
// Middleware renders no pages (it imports nothing from the http/ folders that draw them); the
// surface's error handler turns this into its error page (pages/error-handler.ts for the sign-in
// pages, the recorder page and the app's fallback; dashboardErrorHandler for the dashboard).
//
// It is an HTTPException so that a router mounted without such a handler still answers with the
// right status: hono's default handler sends the message as plain text.

export class PageError extends HTTPException {
  override name = 'PageError';

  constructor(
    status: ContentfulStatusCode,
    /** The page's heading. */
    readonly title: string,
    /** One plain sentence saying what happened and what to do. */
    message: string,
  ) {
    super(status, { message });
  }
}
