import { Hono } from 'hono';
import { MAX_REGISTRATION_BODY_BYTES } from '../../domain/oauth/client-metadata.ts';
import { OAuthError } from '../../domain/oauth/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { registerClient, registrationResponse } from '../../services/oauth/clients.ts';
import { type RateLimiter, retryAfterSeconds } from '../../services/rate-limit.ts';
import { requestOrigin } from '../middleware/client-ip.ts';
import { oauthCors } from './common.ts';

/**
 * POST /register: RFC 7591 dynamic registration, rate-limited per source address and in all
 * (shared across instances on PostgreSQL) (S22), bodies ≤ 16 KiB (S23), `no-store` (S32). A refusal
 * is an OAuthError, rendered by the OAuth endpoints' one handler (createOAuthEndpoints).
 */
export function createRegisterRoute(deps: Deps, limiter: RateLimiter): Hono {
  const app = new Hono();
  app.use('/register', oauthCors());
  app.post('/register', async (c) => {
    c.header('Cache-Control', 'no-store');
    const origin = requestOrigin(c, deps.config.trustProxy);
    for (const [bucket, limit] of [
      [`dcr:ip:${origin.ip}`, deps.config.dcrRateLimitPerMinute],
      ['dcr:all', deps.config.dcrGlobalRateLimitPerMinute],
    ] as const) {
      const decision = await limiter.hit(bucket, limit, 60_000);
      if (!decision.allowed) {
        const seconds = retryAfterSeconds([decision], deps.clock.now()) ?? 1;
        throw new OAuthError(
          'temporarily_unavailable',
          `Too many registrations; retry in ${seconds} s`,
          429,
          seconds,
        );
      }
    }
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > MAX_REGISTRATION_BODY_BYTES)
      throw new OAuthError('invalid_client_metadata', 'The registration request is larger than 16 KiB');
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_REGISTRATION_BODY_BYTES) {
      throw new OAuthError('invalid_client_metadata', 'The registration request is larger than 16 KiB');
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new OAuthError('invalid_client_metadata', 'The registration request must be a JSON object');
    }
    const { client, clientSecret } = await registerClient(deps, body, origin);
    return c.json(registrationResponse(client, clientSecret), 201);
  });
  return app;
}
