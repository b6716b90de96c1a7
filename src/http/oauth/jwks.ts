import { Hono } from 'hono';
import type { KeyManager } from '../../services/deps.ts';

// The JWKS (RFC 7517 §5) named by the metadata's `jwks_uri`. Public keys only. Cacheable for five
// minutes: a new key is published ten minutes before it signs (S21), so a cached copy always holds
// the key of any token a verifier receives.

const CACHE_CONTROL = 'public, max-age=300';

/** GET /.well-known/jwks.json: the published ES256 verification keys. */
export function createJwksRoute(keys: KeyManager): Hono {
  const app = new Hono();
  app.on(['GET', 'HEAD'], '/.well-known/jwks.json', async (c) => {
    const { keys: published } = await keys.jwks();
    // Copy the public members one by one, so nothing else a stored JWK carries can leak out.
    const body = {
      keys: published.map(({ kty, crv, x, y, kid }) => ({ kty, crv, x, y, kid, alg: 'ES256', use: 'sig' })),
    };
    c.header('Cache-Control', CACHE_CONTROL);
    // Public keys are public: any origin (a browser-based resource server) may read them.
    c.header('Access-Control-Allow-Origin', '*');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.json(body);
  });
  app.options('/.well-known/jwks.json', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    c.header('Access-Control-Max-Age', '86400');
    return c.body(null, 204);
  });
  return app;
}
