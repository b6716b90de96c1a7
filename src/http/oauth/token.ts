import { Hono } from 'hono';
import { OAuthError } from '../../domain/oauth/errors.ts';
import type { Deps } from '../../services/deps.ts';
import { authenticateClient } from '../../services/oauth/clients.ts';
import { revokeToken } from '../../services/oauth/grants.ts';
import { exchangeCode, refreshTokens } from '../../services/oauth/tokens.ts';
import {
  formString,
  oauthCors,
  oauthFailure,
  presentedCredentials,
  readForm,
  requestOrigin,
} from './common.ts';

/** POST /token (RFC 6749 §3.2) and POST /revoke (RFC 7009). Both answer `no-store` (S32). */
export function createTokenRoutes(deps: Deps): Hono {
  const app = new Hono();
  app.use('/token', oauthCors());
  app.use('/revoke', oauthCors());

  app.post('/token', async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Pragma', 'no-cache');
    try {
      const form = await readForm(c);
      const grantType = formString(form, 'grant_type');
      if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
        // S33: password, client_credentials, implicit and anything else are not offered.
        throw new OAuthError(
          'unsupported_grant_type',
          `grant_type ${grantType ?? '(missing)'} is not supported`,
        );
      }
      const client = await authenticateClient(deps, presentedCredentials(c, form));
      const origin = requestOrigin(c, deps.config.trustProxy);
      const resource = form.resource;
      const body =
        grantType === 'authorization_code'
          ? await exchangeCode(
              deps,
              client,
              {
                code: formString(form, 'code'),
                redirectUri: formString(form, 'redirect_uri'),
                codeVerifier: formString(form, 'code_verifier'),
                ...(resource !== undefined ? { resource } : {}),
              },
              origin,
            )
          : await refreshTokens(
              deps,
              client,
              {
                refreshToken: formString(form, 'refresh_token'),
                scope: formString(form, 'scope'),
                ...(resource !== undefined ? { resource } : {}),
              },
              origin,
            );
      return c.json(body);
    } catch (error) {
      return oauthFailure(c, error);
    }
  });

  app.post('/revoke', async (c) => {
    c.header('Cache-Control', 'no-store');
    try {
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
    } catch (error) {
      return oauthFailure(c, error);
    }
  });
  return app;
}
