import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../lib/logger.ts';

/**
 * One line per request: method, path, status, duration. Never the query string (signed file URLs
 * carry their signature there) and never headers (keys and tokens travel there) (S37).
 */
export function accessLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    if (!log.isLevelEnabled('info')) return;
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      },
      'request',
    );
  };
}
