import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiError, DATABASE_RETRY_AFTER_SECONDS, DatabaseUnavailableError } from '../../domain/errors.ts';
import type { Logger } from '../../lib/logger.ts';

/** What a caller hears while the database is away (pages/error-handler.ts shows browsers the same). */
export const UNAVAILABLE_MESSAGE =
  'The service cannot reach its database right now; nothing was changed. Try again in a few seconds.';

/**
 * The one place JSON error bodies are built: `{ error: CODE, message }`. Unknown errors become a
 * generic 500; their detail goes only to the log. JSON only: surfaces that serve browsers decide
 * on pages in their own handlers (pages/error-handler.ts, dashboard/context.ts) before this one.
 */
export function renderApiError(error: unknown, c: Context, log: Logger): Response {
  if (error instanceof ApiError) {
    return c.json({ error: error.code, message: error.message }, error.status);
  }
  // Logged once per outage by the store; each request only hears "try again shortly".
  if (error instanceof DatabaseUnavailableError) {
    c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    return c.json({ error: 'SERVICE_UNAVAILABLE', message: UNAVAILABLE_MESSAGE }, 503);
  }
  if (error instanceof HTTPException) {
    // A finished response carried by the exception (dashboard pages end requests this way).
    if (error.res) return error.getResponse();
    if (error.status === 413)
      return c.json({ error: 'PAYLOAD_TOO_LARGE', message: 'body: request body is too large' }, 413);
    if (error.status === 400) {
      // hono's JSON validator throws this for a body that is not JSON or lacks the JSON content type.
      return c.json(
        { error: 'VALIDATION_FAILED', message: `body: ${error.message || 'must be a JSON object'}` },
        400,
      );
    }
    if (error.status === 415) {
      return c.json(
        { error: 'UNSUPPORTED_MEDIA_TYPE', message: 'body: must be sent as application/json' },
        415,
      );
    }
    if (error.status < 500)
      return c.json({ error: 'VALIDATION_FAILED', message: `request: ${error.message}` }, error.status);
    log.error({ err: error, path: c.req.path, method: c.req.method }, 'HTTP exception');
    return c.json({ error: 'INTERNAL_ERROR', message: 'Something went wrong on our side' }, 500);
  }
  if (clientWentAway(error, c)) {
    // Not our fault and nobody reads the answer: no stack, no error level.
    log.info({ path: c.req.path, method: c.req.method }, 'client closed the connection mid-request');
    return c.json({ error: 'VALIDATION_FAILED', message: 'body: the request was cut off' }, 400);
  }
  log.error({ err: error, path: c.req.path, method: c.req.method }, 'unhandled error');
  return c.json({ error: 'INTERNAL_ERROR', message: 'Something went wrong on our side' }, 500);
}

/** Whether `error` comes from the client leaving before its request body arrived. */
export function clientWentAway(error: unknown, c: Context): boolean {
  if (c.req.raw.signal?.aborted) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    code === 'ECONNRESET' ||
    code === 'ECONNABORTED' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    /Client connection prematurely closed|^aborted$/.test(error.message)
  );
}
