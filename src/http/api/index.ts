import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { ApiError } from '../../domain/errors.ts';
import type { Deps } from '../../services/deps.ts';
import type { RateLimiter } from '../../services/rate-limit.ts';
import { apiKeyAuth } from '../middleware/api-auth.ts';
import { renderApiError } from '../middleware/error-handler.ts';
import { registerApiKeyRoutes } from './api-keys.ts';
import { createApiApp, type RegisterRoutes } from './common.ts';
import { renderApiDocs } from './docs-page.ts';
import { registerIntegrationRoutes } from './integrations.ts';
import { registerLinkRoutes } from './links.ts';
import { registerMeRoutes } from './me.ts';
import { registerProjectRoutes } from './projects.ts';
import { registerRecordingRoutes } from './recordings.ts';
import { registerWebhookRoutes } from './webhooks.ts';
import { registerWorkspaceRoutes } from './workspaces.ts';

/** Request bodies above this are refused before parsing (S38); `meta` alone may be 10 KB. */
export const API_BODY_LIMIT = 64 * 1024;

const resources: RegisterRoutes[] = [
  registerMeRoutes,
  registerWorkspaceRoutes,
  registerProjectRoutes,
  registerLinkRoutes,
  registerRecordingRoutes,
  registerApiKeyRoutes,
  registerWebhookRoutes,
  registerIntegrationRoutes,
];

/** The REST API v1 (PRODUCT.md §3), mounted at /api/v1 by app.ts. */
export function createRestApi(deps: Deps, limiter: RateLimiter) {
  const api = createApiApp();
  // Open CORS without credentials: keys travel in a header, never in cookies.
  api.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      exposeHeaders: ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
      maxAge: 600,
    }),
  );
  api.use(
    '/public/*',
    bodyLimit({
      maxSize: API_BODY_LIMIT,
      onError: () => {
        throw new ApiError(
          413,
          'PAYLOAD_TOO_LARGE',
          `body: request body exceeds ${API_BODY_LIMIT} bytes`,
          'body',
        );
      },
    }),
  );
  api.use('/public/*', apiKeyAuth(deps, limiter));
  for (const register of resources) register(api, deps);

  const docConfig = {
    openapi: '3.1.0',
    info: {
      title: 'Userplane REST API',
      version: '1.0.0',
      description:
        'Recordings, recording links, projects and workspaces. Authenticate with `Authorization: Bearer uspl_…`.',
    },
    servers: [{ url: `${deps.config.publicUrl}/api/v1` }],
    security: [{ apiKey: [] }],
  };
  api.doc31('/openapi.json', docConfig);
  api.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key from Account Settings > Developers (uspl_…)',
  });
  api.notFound((c) =>
    c.json({ error: 'NOT_FOUND', message: `No route for ${c.req.method} ${c.req.path}` }, 404),
  );
  api.onError((error, c) => renderApiError(error, c, deps.log));
  // Rendered once, on first use: the routes do not change while the process runs.
  let docsHtml: string | undefined;
  const docsPage = () => {
    docsHtml ??= renderApiDocs(api.getOpenAPI31Document(docConfig) as unknown as Record<string, unknown>);
    return docsHtml;
  };
  return { api, docsPage };
}
