import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiError } from '../../domain/errors.ts';
import type { Logger } from '../../lib/logger.ts';

/**
 * The one place JSON error bodies are built: `{ error: CODE, message }`. Unknown errors become a
 * generic 500; their detail goes only to the log.
 */
export function renderApiError(error: unknown, c: Context, log: Logger): Response {
  if (error instanceof ApiError) {
    return c.json({ error: error.code, message: error.message }, error.status);
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
  log.error({ err: error, path: c.req.path, method: c.req.method }, 'unhandled error');
  return c.json({ error: 'INTERNAL_ERROR', message: 'Something went wrong on our side' }, 500);
}
