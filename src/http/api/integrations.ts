import { createRoute, z } from '@hono/zod-openapi';
import { singleLine } from '../../domain/text-rules.ts';
import { iso } from '../../lib/clock.ts';
import { requireMember } from '../../services/access.ts';
import {
  connectIntegration,
  DEFAULT_INTERCOM_BASE_URL,
  disconnectIntegration,
  INTEGRATION_PROVIDERS,
  type IntegrationView,
  listIntegrations,
} from '../../services/integrations.ts';
import { requestOrigin } from '../middleware/client-ip.ts';
import { errorResponses, jsonBody, ok, type RegisterRoutes, workspaceIdParam } from './common.ts';
import { adminOnly, dataContent, dataResponse, listResponse } from './route-kit.ts';

// Slack, Intercom and Zendesk of a workspace (issue 10 §5, §6), admins and owners only: the same
// service as Workspace Settings > Integrations. Credentials go in and never come back out — the
// answers carry their last four characters. docs/notifications.md describes what is sent.

const provider = z.enum(INTEGRATION_PROVIDERS as [string, ...string[]]).openapi({
  param: { name: 'provider', in: 'path' },
  example: 'intercom',
});

const IntegrationSchema = z
  .object({
    provider: z.enum(INTEGRATION_PROVIDERS as [string, ...string[]]),
    status: z.enum(['connected', 'needs_reconnect']).openapi({
      description: 'needs_reconnect: the provider refused the credentials (401/403); save new ones',
    }),
    statusDetail: z
      .string()
      .nullable()
      .openapi({ description: "The provider's refusal, when needs_reconnect" }),
    secretHint: z.string().openapi({ description: 'The last 4 characters of the token or webhook URL' }),
    baseUrl: z
      .string()
      .openapi({ description: 'Slack: the webhook host; Intercom/Zendesk: the API base URL' }),
    adminId: z.string().nullable().openapi({ description: 'Intercom: the admin the notes are written as' }),
    agentEmail: z.string().nullable().openapi({ description: 'Zendesk: the agent whose API token it is' }),
    connectedAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Integration');

const ConnectBody = z
  .strictObject({
    webhookUrl: singleLine()
      .max(501)
      .optional()
      .openapi({ description: 'Slack: the incoming-webhook URL (https)' }),
    accessToken: singleLine()
      .max(501)
      .optional()
      .openapi({ description: 'Intercom: the access token; omit on replace to keep the saved one' }),
    adminId: singleLine().max(65).optional().openapi({ description: 'Intercom: the admin id' }),
    subdomain: singleLine().max(64).optional().openapi({ description: 'Zendesk: acme for acme.zendesk.com' }),
    email: singleLine().max(255).optional().openapi({ description: 'Zendesk: the agent e-mail' }),
    apiToken: singleLine()
      .max(501)
      .optional()
      .openapi({ description: 'Zendesk: the API token; omit on replace to keep the saved one' }),
    baseUrl: singleLine()
      .max(501)
      .optional()
      .openapi({
        description: `Intercom (default ${DEFAULT_INTERCOM_BASE_URL}) or Zendesk (instead of subdomain) API base URL, https`,
      }),
  })
  .openapi('ConnectIntegration');

const workspaceParams = z.object({ workspaceId: workspaceIdParam });
const providerParams = z.object({ workspaceId: workspaceIdParam, provider });
const IntegrationEnvelope = dataContent(IntegrationSchema);
const tags = ['Integrations'];
const forbidden = adminOnly('integrations');

const list = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/integrations',
  tags,
  summary: "The workspace's connected integrations (no credentials)",
  request: { params: workspaceParams },
  responses: {
    200: listResponse('Integrations', 'integrations', IntegrationSchema),
    ...errorResponses(410),
    ...forbidden,
  },
});

const connect = createRoute({
  method: 'put',
  path: '/public/workspace/{workspaceId}/integrations/{provider}',
  tags,
  summary: 'Connect Slack, Intercom or Zendesk, or replace its settings',
  description:
    'slack: webhookUrl. intercom: accessToken, adminId, baseUrl?. zendesk: subdomain or baseUrl, email, apiToken. ' +
    'Other fields are refused. Saving makes the status connected again.',
  request: { params: providerParams, body: jsonBody(ConnectBody) },
  responses: {
    200: { description: 'The saved integration', content: IntegrationEnvelope },
    ...errorResponses(400, 410),
    ...forbidden,
  },
});

const disconnect = createRoute({
  method: 'delete',
  path: '/public/workspace/{workspaceId}/integrations/{provider}',
  tags,
  summary: 'Disconnect: the credentials are deleted; notes and messages still queued fail',
  request: { params: providerParams },
  responses: {
    200: dataResponse('Disconnected', z.object({ provider: z.string() })),
    ...errorResponses(404, 410),
    ...forbidden,
  },
});

function toWire(view: IntegrationView): z.infer<typeof IntegrationSchema> {
  return {
    provider: view.provider,
    status: view.status,
    statusDetail: view.statusDetail,
    secretHint: view.secretHint,
    baseUrl: view.baseUrl,
    adminId: view.adminId,
    agentEmail: view.agentEmail,
    connectedAt: iso(view.connectedAt),
    updatedAt: iso(view.updatedAt),
  };
}

/** Integrations of a workspace: list, connect/replace, disconnect. */
export const registerIntegrationRoutes: RegisterRoutes = (api, deps) => {
  const access = (userId: string, workspaceId: string) => requireMember(deps, userId, workspaceId);

  api.openapi(list, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const views = await listIntegrations(deps, await access(c.get('userId'), workspaceId));
    return ok(c, 'Integrations retrieved', { integrations: views.map(toWire) });
  });

  api.openapi(connect, async (c) => {
    const { workspaceId, provider: which } = c.req.valid('param');
    const view = await connectIntegration(
      deps,
      await access(c.get('userId'), workspaceId),
      which as IntegrationView['provider'],
      c.req.valid('json'),
      requestOrigin(c, deps.config.trustProxy),
    );
    return ok(c, `${view.name} saved`, toWire(view));
  });

  api.openapi(disconnect, async (c) => {
    const { workspaceId, provider: which } = c.req.valid('param');
    await disconnectIntegration(
      deps,
      await access(c.get('userId'), workspaceId),
      which as IntegrationView['provider'],
      requestOrigin(c, deps.config.trustProxy),
    );
    return ok(c, 'Integration disconnected', { provider: which });
  });
};
