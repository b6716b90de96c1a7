import { Hono } from 'hono';
import { OAuthError } from '../../domain/oauth/errors.ts';
import type { RequestOrigin } from '../../services/audit.ts';
import type { Deps } from '../../services/deps.ts';
import { authenticateClient, type OAuthClient } from '../../services/oauth/clients.ts';
import { revokeToken } from '../../services/oauth/grants.ts';
import { exchangeCode, refreshTokens, type TokenResponse } from '../../services/oauth/tokens.ts';
import { requestOrigin } from '../middleware/client-ip.ts';
import { formString, oauthCors, presentedCredentials, readForm } from './common.ts';

type Form = Record<string, string | string[]>;
type GrantHandler = (
  deps: Deps,
  client: OAuthClient,
  form: Form,
  origin: RequestOrigin,
) => Promise<TokenResponse>;

/** The resource indicators of a token request (RFC 8707), passed on only when present. */
function resourceOf(form: Form): { resource?: string | string[] } {
  const resource = form.resource;
  return resource !== undefined ? { resource } : {};
}

/**
 * The grant types /token serves, each with its handler, in the order the metadata lists them
 * (`grant_types_supported` is this table's keys). S33: password, client_credentials, implicit and
 * anything else are not offered.
 */
export const GRANT_HANDLERS: ReadonlyMap<string, GrantHandler> = new Map<string, GrantHandler>([
  [
    'authorization_code',
    (deps, client, form, origin) =>
      exchangeCode(
        deps,
        client,
        {
          code: formString(form, 'code'),
          redirectUri: formString(form, 'redirect_uri'),
          codeVerifier: formString(form, 'code_verifier'),
          ...resourceOf(form),
        },
        origin,
      ),
  ],
  [
    'refresh_token',
    (deps, client, form, origin) =>
      refreshTokens(
        deps,
        client,
        {
          refreshToken: formString(form, 'refresh_token'),
          scope: formString(form, 'scope'),
          ...resourceOf(form),
        },
        origin,
      ),
  ],
]);

/**
 * POST /token (RFC 6749 §3.2) and POST /revoke (RFC 7009). Both answer `no-store` (S32); their
 * errors are rendered by the OAuth endpoints' one handler (createOAuthEndpoints).
 */
export function createTokenRoutes(deps: Deps): Hono {
  const app = new Hono();
  app.use('/token', oauthCors());
  app.use('/revoke', oauthCors());

  app.post('/token', async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Pragma', 'no-cache');
    const form = await readForm(c);
    const grantType = formString(form, 'grant_type');
    const grant = grantType === undefined ? undefined : GRANT_HANDLERS.get(grantType);
    if (!grant) {
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type ${grantType ?? '(missing)'} is not supported`,
      );
    }
    const client = await authenticateClient(deps, presentedCredentials(c, form));
    return c.json(await grant(deps, client, form, requestOrigin(c, deps.config.trustProxy)));
  });

  app.post('/revoke', async (c) => {
    c.header('Cache-Control', 'no-store');
    const form = await readForm(c);
    const client = await authenticateClient(deps, presentedCredentials(c, form));
    await revokeToken(
      deps,
      client,
      formString(form, 'token'),
      formString(form, 'token_type_hint'),
      requestOrigin(c, deps.config.trustProxy),
    );
    return c.body(null, 200);
  });
  return app;
}
