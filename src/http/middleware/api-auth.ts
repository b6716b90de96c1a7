import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../domain/errors.ts';
import { authenticateApiKey } from '../../services/api-keys.ts';
import type { Deps } from '../../services/deps.ts';
import { type RateLimiter, retryAfterSeconds } from '../../services/rate-limit.ts';

/** Variables the API middleware sets for route handlers: who the key belongs to, and which key. */
export interface ApiEnv {
  Variables: { userId: string; apiKeyId: string };
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * `Authorization: Bearer uspl_…` → the key's user, then the per-user limits (PRODUCT.md §3:
 * 120/minute and 10,000/day across all of the user's keys). Headers report the minute window.
 */
export function apiKeyAuth(deps: Deps, limiter: RateLimiter): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header)
      throw new ApiError(401, 'API_KEY_REQUIRED', 'Send your API key as "Authorization: Bearer uspl_…"');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match)
      throw new ApiError(401, 'API_KEY_INVALID', 'The Authorization header must be "Bearer uspl_…"');
    const key = await authenticateApiKey(deps, match[1]!);

    const minute = await limiter.hit(`api:${key.userId}:m`, deps.config.apiRateLimitPerMinute, MINUTE);
    const day = await limiter.hit(`api:${key.userId}:d`, deps.config.apiRateLimitPerDay, DAY);
    c.header('X-RateLimit-Limit', String(minute.limit));
    c.header('X-RateLimit-Remaining', String(Math.min(minute.remaining, day.remaining)));
    c.header('X-RateLimit-Reset', String(Math.ceil(minute.resetAt / 1000)));
    const blocking = !minute.allowed ? minute : !day.allowed ? day : undefined;
    if (blocking) {
      const seconds = retryAfterSeconds([blocking], deps.clock.now()) ?? 1;
      c.header('Retry-After', String(seconds));
      throw new ApiError(429, 'RATE_LIMITED', `Too many requests; retry in ${seconds} s`);
    }
    c.set('userId', key.userId);
    c.set('apiKeyId', key.id);
    await next();
  };
}
