import { createRoute, z } from '@hono/zod-openapi';
import { multiLine, singleLine } from '../../domain/text-rules.ts';
import { iso } from '../../lib/clock.ts';
import { requireMember } from '../../services/access.ts';
import type { DeliveryDetail } from '../../services/delivery-log.ts';
import { MAX_DELIVERIES_PER_PAGE } from '../../services/delivery-log.ts';
import * as webhooks from '../../services/webhooks.ts';
import { requestOrigin } from '../middleware/client-ip.ts';
import {
  describedErrors,
  errorResponses,
  jsonBody,
  ok,
  type RegisterRoutes,
  workspaceIdParam,
} from './common.ts';
import { adminOnly, dataContent, dataResponse, idParam, listResponse } from './route-kit.ts';

const { MAX_WEBHOOK_DESCRIPTION, MAX_WEBHOOK_URL, WEBHOOK_EVENT_TYPES } = webhooks;

// Webhook endpoints of a workspace (issue 10 §4), admins and owners only. The secret appears in
// the answers to create and rotate-secret, and nowhere else. docs/notifications.md describes what
// the endpoints receive and how to verify it.

const eventType = z.enum(WEBHOOK_EVENT_TYPES);

const WebhookSchema = z
  .object({
    webhookId: z.string(),
    url: z.string().openapi({ example: 'https://hooks.example.com/userplane' }),
    description: z.string().nullable(),
    events: z.array(eventType),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Webhook');

const NewWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description:
      'The Standard Webhooks signing secret (whsec_…). Shown only in this response; stored encrypted.',
  }),
}).openapi('NewWebhook');

const CreateWebhookBody = z
  .strictObject({
    url: z
      .string()
      .max(MAX_WEBHOOK_URL)
      .openapi({ description: 'https only; must resolve to public addresses' }),
    events: z
      .array(eventType)
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length * 2)
      .openapi({ description: 'The event types to receive' }),
    description: multiLine().max(MAX_WEBHOOK_DESCRIPTION).nullable().optional(),
  })
  .openapi('CreateWebhook');

const UpdateWebhookBody = z
  .strictObject({
    url: singleLine().max(MAX_WEBHOOK_URL).optional(),
    events: z
      .array(eventType)
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length * 2)
      .optional(),
    description: multiLine().max(MAX_WEBHOOK_DESCRIPTION).nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('UpdateWebhook');

const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    startedAt: z.string(),
    durationMs: z.number().int(),
    ok: z.boolean(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    responseBody: z
      .string()
      .nullable()
      .openapi({ description: 'At most 1 KB of what the endpoint answered' }),
  })
  .openapi('DeliveryAttempt');

const DeliverySchema = z
  .object({
    deliveryId: z.string().openapi({ description: 'Also the webhook-id header: the same on every retry' }),
    eventType: z.string(),
    eventId: z.string(),
    summary: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z
      .string()
      .nullable()
      .openapi({ description: 'When the next try is due; null once finished' }),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    attemptLog: z.array(AttemptSchema),
  })
  .openapi('WebhookDelivery');

const workspaceParams = z.object({ workspaceId: workspaceIdParam });
const webhookParams = z.object({
  workspaceId: workspaceIdParam,
  webhookId: idParam('webhookId', 'whk_01…'),
});

const DeliveriesQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DELIVERIES_PER_PAGE)
    .default(20)
    .openapi({ description: `Deliveries per page (default 20, max ${MAX_DELIVERIES_PER_PAGE})` }),
  before: singleLine()
    .max(64)
    .optional()
    .openapi({ description: 'The nextBefore of the previous page: only older deliveries' }),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
});

const WebhookEnvelope = dataContent(WebhookSchema);
const NewWebhookEnvelope = dataContent(NewWebhookSchema);
const tags = ['Webhooks'];
const forbidden = adminOnly('webhooks');

const list = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/webhooks',
  tags,
  summary: "The workspace's webhook endpoints, newest first (no secrets)",
  request: { params: workspaceParams },
  responses: {
    200: listResponse('Endpoints', 'webhooks', WebhookSchema),
    ...errorResponses(410),
    ...forbidden,
  },
});

const create = createRoute({
  method: 'post',
  path: '/public/workspace/{workspaceId}/webhooks',
  tags,
  summary: 'Add a webhook endpoint; its signing secret is returned once',
  description:
    'The URL must use https and resolve to public addresses only (checked now and at every delivery). ' +
    'At most 20 endpoints per workspace.',
  request: { params: workspaceParams, body: jsonBody(CreateWebhookBody) },
  responses: {
    201: { description: 'The new endpoint with its secret, shown once', content: NewWebhookEnvelope },
    ...errorResponses(400, 409, 410),
    ...forbidden,
  },
});

const get = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/webhooks/{webhookId}',
  tags,
  summary: 'One webhook endpoint (no secret)',
  request: { params: webhookParams },
  responses: {
    200: { description: 'The endpoint', content: WebhookEnvelope },
    ...errorResponses(404, 410),
    ...forbidden,
  },
});

const update = createRoute({
  method: 'put',
  path: '/public/workspace/{workspaceId}/webhooks/{webhookId}',
  tags,
  summary: "Change an endpoint's URL, events, description, or enable/disable it",
  request: { params: webhookParams, body: jsonBody(UpdateWebhookBody) },
  responses: {
    200: { description: 'The updated endpoint', content: WebhookEnvelope },
    ...errorResponses(400, 404, 410),
    ...forbidden,
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/public/workspace/{workspaceId}/webhooks/{webhookId}',
  tags,
  summary: 'Delete an endpoint: nothing more is sent to it; its delivery log stays',
  request: { params: webhookParams },
  responses: {
    200: dataResponse('Deleted', z.object({ webhookId: z.string() })),
    ...errorResponses(404, 410),
    ...forbidden,
  },
});

const rotate = createRoute({
  method: 'post',
  path: '/public/workspace/{workspaceId}/webhooks/{webhookId}/rotate-secret',
  tags,
  summary: 'Replace the signing secret: the old one stops at once; the new one is returned once',
  request: { params: webhookParams },
  responses: {
    200: { description: 'The endpoint with its new secret, shown once', content: NewWebhookEnvelope },
    ...errorResponses(404, 410),
    ...forbidden,
  },
});

const test = createRoute({
  method: 'post',
  path: '/public/workspace/{workspaceId}/webhooks/{webhookId}/test',
  tags,
  summary: 'Queue a signed webhook.test event for this endpoint',
  request: { params: webhookParams },
  responses: {
    202: dataResponse('Queued; follow it in …/deliveries', z.object({ deliveryId: z.string() })),
    ...errorResponses(404, 410),
    ...forbidden,
    ...describedErrors({ 409: 'CONFLICT: the endpoint is disabled' }),
  },
});

const deliveries = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/webhooks/{webhookId}/deliveries',
  tags,
  summary: "The endpoint's deliveries, newest first, each with its attempt log",
  request: { params: webhookParams, query: DeliveriesQuery },
  responses: {
    200: dataResponse(
      'A page of deliveries',
      z.object({
        deliveries: z.array(DeliverySchema),
        hasMore: z.boolean(),
        nextBefore: z.string().nullable(),
      }),
    ),
    ...errorResponses(400, 404),
    ...forbidden,
  },
});

function webhookToWire(endpoint: webhooks.WebhookEndpointView): z.infer<typeof WebhookSchema> {
  return {
    webhookId: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events,
    enabled: endpoint.enabled,
    createdAt: iso(endpoint.createdAt),
    updatedAt: iso(endpoint.updatedAt),
  };
}

function deliveryToWire(d: DeliveryDetail): z.infer<typeof DeliverySchema> {
  return {
    deliveryId: d.id,
    eventType: d.eventType,
    eventId: d.eventId,
    summary: d.summary,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    finishedAt: iso(d.finishedAt),
    attemptLog: d.attemptLog.map((a) => ({
      attempt: a.attempt,
      startedAt: iso(a.startedAt),
      durationMs: a.durationMs,
      ok: a.ok,
      statusCode: a.statusCode,
      error: a.error,
      responseBody: a.responseBody,
    })),
  };
}

/** Webhook endpoints of a workspace: list, create, get, update, delete, rotate secret, test, deliveries. */
export const registerWebhookRoutes: RegisterRoutes = (api, deps) => {
  const access = (userId: string, workspaceId: string) => requireMember(deps, userId, workspaceId);

  api.openapi(list, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const endpoints = await webhooks.listWebhookEndpoints(deps, await access(c.get('userId'), workspaceId));
    return ok(c, 'Webhooks retrieved', { webhooks: endpoints.map(webhookToWire) });
  });

  api.openapi(create, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const body = c.req.valid('json');
    const { endpoint, secret } = await webhooks.createWebhookEndpoint(
      deps,
      await access(c.get('userId'), workspaceId),
      { url: body.url, events: body.events, description: body.description },
      requestOrigin(c, deps.config.trustProxy),
    );
    return ok(
      c,
      'Webhook created; copy the secret now, it will not be shown again',
      { ...webhookToWire(endpoint), secret },
      201,
    );
  });

  api.openapi(get, async (c) => {
    const { workspaceId, webhookId } = c.req.valid('param');
    const endpoint = await webhooks.getWebhookEndpoint(
      deps,
      await access(c.get('userId'), workspaceId),
      webhookId,
    );
    return ok(c, 'Webhook retrieved', webhookToWire(endpoint));
  });

  api.openapi(update, async (c) => {
    const { workspaceId, webhookId } = c.req.valid('param');
    const body = c.req.valid('json');
    const patch: webhooks.WebhookUpdate = {};
    if (body.url !== undefined) patch.url = body.url;
    if (body.events !== undefined) patch.events = body.events;
    if (body.description !== undefined) patch.description = body.description;
    if (body.enabled !== undefined) patch.enabled = body.enabled;
    const endpoint = await webhooks.updateWebhookEndpoint(
      deps,
      await access(c.get('userId'), workspaceId),
      webhookId,
      patch,
    );
    return ok(c, 'Webhook updated', webhookToWire(endpoint));
  });

  api.openapi(remove, async (c) => {
    const { workspaceId, webhookId } = c.req.valid('param');
    await webhooks.deleteWebhookEndpoint(
      deps,
      await access(c.get('userId'), workspaceId),
      webhookId,
      requestOrigin(c, deps.config.trustProxy),
    );
    return ok(c, 'Webhook deleted', { webhookId });
  });

  api.openapi(rotate, async (c) => {
    const { workspaceId, webhookId } = c.req.valid('param');
    const { endpoint, secret } = await webhooks.rotateWebhookSecret(
      deps,
      await access(c.get('userId'), workspaceId),
      webhookId,
      requestOrigin(c, deps.config.trustProxy),
    );
    return ok(c, 'Secret rotated; the old secret no longer signs deliveries', {
      ...webhookToWire(endpoint),
      secret,
    });
  });

  api.openapi(test, async (c) => {
    const { workspaceId, webhookId } = c.req.valid('param');
    const queued = await webhooks.sendTestWebhook(
      deps,
      await access(c.get('userId'), workspaceId),
      webhookId,
    );
    return c.json({ message: 'Test event queued', data: queued }, 202);
  });

  api.openapi(deliveries, async (c) => {
    const { workspaceId, webhookId } = c.req.valid('param');
    const query = c.req.valid('query');
    const page = await webhooks.listEndpointDeliveries(
      deps,
      await access(c.get('userId'), workspaceId),
      webhookId,
      {
        limit: query.limit,
        before: query.before,
        status: query.status,
      },
    );
    const last = page.items.at(-1);
    return ok(c, 'Deliveries retrieved', {
      deliveries: page.items.map(deliveryToWire),
      hasMore: page.hasMore,
      nextBefore: page.hasMore && last ? last.id : null,
    });
  });
};
