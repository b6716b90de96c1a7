import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Deps } from '../../services/deps.ts';
import { mcpResourceUrl } from '../../services/oauth/tokens.ts';

// RFC 9728 protected-resource metadata for /mcp. Clients find it from the 401 challenge's
// `resource_metadata` (S18) or by inserting the well-known segment before the resource's path
// (RFC 9728 §3.1: /.well-known/oauth-protected-resource/mcp); some try the bare well-known path
// first, so both answer (INTEROP item 5).

/** The metadata document: `resource` is the URL users paste, `authorization_servers[0]` the issuer. */
export function protectedResourceMetadata(deps: Pick<Deps, 'config'>, issuer: string) {
  return {
    resource: mcpResourceUrl(deps),
    // Byte for byte the AS metadata's `issuer` (RFC 8414 §3.3): clients compare them exactly.
    authorization_servers: [issuer],
    scopes_supported: ['mcp:tools'],
    // S19: tokens are accepted in the Authorization header only.
    bearer_methods_supported: ['header'],
    resource_name: 'Userplane',
    resource_documentation: `${deps.config.publicUrl}/api/docs`,
  };
}

/** GET /.well-known/oauth-protected-resource{,/mcp}; open to any origin (INTEROP item 10). */
export function createProtectedResourceRoutes(deps: Pick<Deps, 'config'>, issuer: string): Hono {
  const app = new Hono();
  const body = JSON.stringify(protectedResourceMetadata(deps, issuer));
  const open = cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], maxAge: 600 });
  for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    app.use(path, open);
    app.on(['GET', 'HEAD'], path, (c) => {
      c.header('Cache-Control', 'public, max-age=300');
      c.header('Content-Type', 'application/json');
      return c.body(body);
    });
  }
  return app;
}
