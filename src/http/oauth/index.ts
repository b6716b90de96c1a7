import { Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import type { RateLimiter } from '../../services/rate-limit.ts';
import { renderOAuthError } from './common.ts';
import { createRegisterRoute } from './register.ts';
import { createTokenRoutes } from './token.ts';

/**
 * The authorization server's endpoints that answer RFC 6749 §5.2 error bodies: POST /register,
 * /token and /revoke, with their one error handler (a hono onError covers the routes of the app it
 * is set on, so it is set here, once, for all three). The discovery documents (metadata, JWKS) and
 * the browser's /authorize are mounted on their own; /authorize renders its errors as pages or
 * redirects (authorize.tsx). Mount at '/'.
 */
export function createOAuthEndpoints(deps: Deps, limiter: RateLimiter): Hono {
  const app = new Hono();
  app.route('/', createRegisterRoute(deps, limiter));
  app.route('/', createTokenRoutes(deps));
  app.onError(renderOAuthError);
  return app;
}
