import { Hono } from 'hono';
import type { Deps } from '../../services/deps.ts';
import { mcpResourceUrl } from '../../services/oauth/tokens.ts';
import { oauthCors } from './common.ts';
import { GRANT_HANDLERS } from './token.ts';

/** RFC 8414 authorization server metadata; `issuer` is PUBLIC_URL byte for byte (§3.3). */
export function authorizationServerMetadata(deps: Pick<Deps, 'config'>) {
  const issuer = deps.config.publicUrl;
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    revocation_endpoint: `${issuer}/revoke`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    scopes_supported: ['mcp:tools'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // What /token serves, from its own table (S33).
    grant_types_supported: [...GRANT_HANDLERS.keys()],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
    resource_indicators_supported: true,
    protected_resources: [mcpResourceUrl(deps)],
    service_documentation: `${issuer}/api/docs`,
  };
}

/** The discovery documents: RFC 8414's path and the OpenID one, which some clients try first. */
export function createMetadataRoutes(deps: Deps): Hono {
  const app = new Hono();
  const body = JSON.stringify(authorizationServerMetadata(deps));
  app.use('/.well-known/*', oauthCors());
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, (c) => {
      c.header('Cache-Control', 'public, max-age=300');
      c.header('Content-Type', 'application/json');
      return c.body(body);
    });
  }
  return app;
}
