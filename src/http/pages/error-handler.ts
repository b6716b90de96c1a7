import type { ErrorHandler } from 'hono';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '../../domain/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { renderApiError, UNAVAILABLE_MESSAGE } from '../middleware/error-handler.ts';
import { PageError } from '../middleware/page-error.ts';
import { renderErrorPage, renderPageError } from '../views/error-page.tsx';

/**
 * `app.onError` of the pages outside the dashboard (sign-in, sign-up, sign-out), and the app's
 * fallback for the other routers that serve browsers without a handler of their own (the recorder
 * page, what /authorize's handler passes on): a request a middleware refused (PageError) is the
 * error page; while the database is away a browser (Accept: text/html) gets a 503 page and a
 * program the JSON body; everything else is the JSON renderer's (renderApiError).
 */
export function pagesErrorHandler(log: Logger): ErrorHandler {
  return (error, c) => {
    if (error instanceof PageError) return renderPageError(c, error);
    if (error instanceof DatabaseUnavailableError && c.req.header('accept')?.includes('text/html')) {
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      return renderErrorPage(c, 503, 'Temporarily unavailable', UNAVAILABLE_MESSAGE);
    }
    return renderApiError(error, c, log);
  };
}
