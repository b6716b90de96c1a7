import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ApiError, validationError } from '../domain/errors.ts';
import { newId } from '../lib/ids.ts';
import { checkFetchTarget, SafeFetchError } from '../lib/safe-fetch.ts';
import { sealString } from '../lib/secret-box.ts';
import type { Db } from '../store/db.ts';
import { listDeliveries } from '../store/deliveries.ts';
import {
  countWebhookEndpoints,
  findWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookEndpoints as listEndpointRows,
  replaceWebhookSecret,
  softDeleteWebhookEndpoint,
  updateWebhookEndpoint as updateEndpointRow,
  type WebhookEndpoint,
  type WebhookEndpointPatch,
} from '../store/webhook-endpoints.ts';
import { type Access, requireCapability } from './access.ts';
import { audit, type RequestOrigin } from './audit.ts';
import { newEventId } from './delivery/events.ts';
import { publish } from './delivery/outbox.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './delivery/types.ts';
import { WEBHOOK_SECRET_LABEL, WEBHOOK_TIMEOUT_MS } from './delivery/webhooks.ts';
import {
  checkDeliveryQuery,
  type DeliveryDetail,
  type DeliveryQuery,
  deliveryView,
  withAttempts,
} from './delivery-log.ts';
import type { Deps } from './deps.ts';

// Webhook endpoints of a workspace (issue 10 §4; admins and owners): an https URL (http only for a
// loopback address when ALLOW_PRIVATE_NETWORK_FETCH is on), the events it subscribes to, and a
// Standard Webhooks secret (`whsec_` + base64 of 32 random bytes) that is sealed at rest and shown
// once, at creation and at rotation. The URL is checked against the SSRF guard (S25) when it is
// saved, so a private address is refused at once, and again at every delivery.

export const MAX_WEBHOOK_URL = 2048;
export const MAX_WEBHOOK_DESCRIPTION = 200;
/** Enough for every tool a support team wires up; a bound on the work one event can cause. */
export const MAX_WEBHOOK_ENDPOINTS = 20;
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './delivery/types.ts';

/** An endpoint as callers see it: never the secret. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookInput {
  url: unknown;
  events: unknown;
  description?: unknown;
}

export interface WebhookUpdate {
  url?: unknown;
  events?: unknown;
  description?: unknown;
  enabled?: unknown;
}

function view(endpoint: WebhookEndpoint): WebhookEndpointView {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    events: endpoint.events.filter((e): e is WebhookEventType =>
      (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e),
    ),
    enabled: endpoint.enabled,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}

/** A new signing secret in the Standard Webhooks format. */
function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** localhost, *.localhost, 127.0.0.0/8 and ::1: the only hosts plain http may name (development). */
function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/**
 * Checks a webhook URL's shape and where it points, and returns it normalised. Shape first (no
 * DNS for a URL that is refused anyway), then the SSRF guard's address check.
 */
async function checkUrl(deps: Deps, value: unknown): Promise<string> {
  if (typeof value !== 'string' || value.trim() === '') throw validationError('url', 'is required');
  const raw = value.trim();
  if (raw.length > MAX_WEBHOOK_URL) {
    throw validationError('url', `must be at most ${MAX_WEBHOOK_URL} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validationError('url', 'must be an absolute URL such as https://hooks.example.com/userplane');
  }
  if (url.username !== '' || url.password !== '') {
    throw validationError('url', 'must not contain a user name or password');
  }
  const dev = deps.config.allowPrivateNetworkFetch;
  if (url.protocol === 'http:') {
    if (!(dev && isLoopbackHost(url.hostname))) {
      throw validationError(
        'url',
        dev
          ? 'must use https (plain http is accepted only for a loopback address such as http://127.0.0.1:8080/)'
          : 'must use https',
      );
    }
  } else if (url.protocol !== 'https:') {
    throw validationError('url', 'must use https');
  }
  url.hash = '';
  const href = url.href;
  if (href.length > MAX_WEBHOOK_URL) {
    throw validationError('url', `must be at most ${MAX_WEBHOOK_URL} characters`);
  }
  try {
    await checkFetchTarget(href, { timeoutMs: WEBHOOK_TIMEOUT_MS, allowPrivateAddresses: dev });
  } catch (error) {
    if (!(error instanceof SafeFetchError)) throw error;
    if (error.reason === 'blocked_address') {
      throw validationError(
        'url',
        `${url.hostname} is a private, loopback or link-local address; webhooks are sent only to public addresses`,
      );
    }
    if (error.reason === 'dns_failed' || error.reason === 'timeout') {
      throw validationError('url', `${url.hostname} could not be resolved; check the host name`);
    }
    throw validationError('url', error.message);
  }
  return href;
}

function checkEvents(value: unknown): WebhookEventType[] {
  const choices = WEBHOOK_EVENT_TYPES.join(', ');
  if (!Array.isArray(value) || value.length === 0) {
    throw validationError('events', `must name at least one of ${choices}`);
  }
  const out: WebhookEventType[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(item)) {
      throw validationError('events', `must be one or more of ${choices}`);
    }
    if (!out.includes(item as WebhookEventType)) out.push(item as WebhookEventType);
  }
  // Stored in the canonical order, so lists read the same however they were sent.
  return WEBHOOK_EVENT_TYPES.filter((type) => out.includes(type));
}

function checkDescription(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw validationError('description', 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length > MAX_WEBHOOK_DESCRIPTION) {
    throw validationError('description', `must be at most ${MAX_WEBHOOK_DESCRIPTION} characters`);
  }
  return trimmed === '' ? null : trimmed;
}

/** The audit log entry of a change: who, which endpoint, and only its host (a path can hold a token). */
function recordChange(
  deps: Deps,
  db: Db,
  type: 'webhook.created' | 'webhook.deleted' | 'webhook.secret_rotated',
  access: Access,
  endpoint: WebhookEndpoint,
  origin: RequestOrigin | undefined,
): Promise<void> {
  let host = '';
  try {
    host = new URL(endpoint.url).host;
  } catch {
    // Stored URLs were checked when saved; an unparsable one is simply not named.
  }
  return audit(
    deps,
    type,
    {
      userId: access.userId,
      workspaceId: access.workspace.id,
      ...(origin ? { origin } : {}),
      detail: { webhookId: endpoint.id, host },
    },
    db,
  );
}

function notFound(): ApiError {
  return new ApiError(404, 'WEBHOOK_NOT_FOUND', 'No such webhook endpoint in this workspace');
}

function gone(): ApiError {
  return new ApiError(410, 'WEBHOOK_GONE', 'This webhook endpoint has been deleted');
}

/** A live endpoint of the workspace; unknown (or another workspace's) 404, deleted 410. */
async function liveEndpoint(deps: Deps, access: Access, endpointId: string): Promise<WebhookEndpoint> {
  const endpoint =
    typeof endpointId === 'string' && endpointId.length <= 64
      ? await findWebhookEndpoint(deps.db, access.workspace.id, endpointId)
      : undefined;
  if (!endpoint) throw notFound();
  if (endpoint.deletedAt !== null) throw gone();
  return endpoint;
}

/**
 * Adds a webhook endpoint (admin or owner). Returns it with its secret, which is shown only in
 * this answer: it is stored sealed and never returned again.
 */
export async function createWebhookEndpoint(
  deps: Deps,
  access: Access,
  input: WebhookInput,
  origin?: RequestOrigin,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  // Every field is checked before anything is written (S38).
  const events = checkEvents(input.events);
  const description = checkDescription(input.description);
  const url = await checkUrl(deps, input.url);
  const workspaceId = access.workspace.id;
  if ((await countWebhookEndpoints(deps.db, workspaceId)) >= MAX_WEBHOOK_ENDPOINTS) {
    throw new ApiError(
      409,
      'CONFLICT',
      `A workspace has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints; delete one first`,
    );
  }
  const now = deps.clock.now();
  const secret = newSecret();
  const endpoint = await deps.db.transaction().execute(async (trx) => {
    const row = await insertWebhookEndpoint(trx, {
      id: newId('whk', now),
      workspaceId,
      url,
      description,
      events,
      sealedSecret: sealString(deps.config.secret, WEBHOOK_SECRET_LABEL, secret),
      now,
    });
    await recordChange(deps, trx, 'webhook.created', access, row, origin);
    return row;
  });
  return { endpoint: view(endpoint), secret };
}

/** The workspace's webhook endpoints, newest first, without secrets (admin or owner). */
export async function listWebhookEndpoints(deps: Deps, access: Access): Promise<WebhookEndpointView[]> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  return (await listEndpointRows(deps.db, access.workspace.id)).map(view);
}

/** One endpoint, without its secret (admin or owner). */
export async function getWebhookEndpoint(
  deps: Deps,
  access: Access,
  endpointId: string,
): Promise<WebhookEndpointView> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  return view(await liveEndpoint(deps, access, endpointId));
}

/** Changes an endpoint's URL, events, description or enabled flag (admin or owner). */
export async function updateWebhookEndpoint(
  deps: Deps,
  access: Access,
  endpointId: string,
  input: WebhookUpdate,
): Promise<WebhookEndpointView> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  const patch: WebhookEndpointPatch = {};
  if (input.events !== undefined) patch.events = checkEvents(input.events);
  if (input.description !== undefined) patch.description = checkDescription(input.description);
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') throw validationError('enabled', 'must be true or false');
    patch.enabled = input.enabled;
  }
  if (input.url === undefined && Object.keys(patch).length === 0) {
    throw validationError('body', 'name at least one field to update');
  }
  await liveEndpoint(deps, access, endpointId);
  if (input.url !== undefined) patch.url = await checkUrl(deps, input.url);
  const updated = await updateEndpointRow(deps.db, access.workspace.id, endpointId, patch, deps.clock.now());
  if (!updated) throw gone();
  return view(updated);
}

/**
 * Deletes an endpoint (admin or owner): nothing more is sent to it, deliveries still pending fail
 * without being sent, and its delivery log stays readable in Workspace Settings > Deliveries.
 */
export async function deleteWebhookEndpoint(
  deps: Deps,
  access: Access,
  endpointId: string,
  origin?: RequestOrigin,
): Promise<void> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  const endpoint = await liveEndpoint(deps, access, endpointId);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await softDeleteWebhookEndpoint(trx, access.workspace.id, endpointId, deps.clock.now()))) {
      throw gone();
    }
    await recordChange(deps, trx, 'webhook.deleted', access, endpoint, origin);
  });
}

/**
 * Replaces an endpoint's secret (admin or owner) and returns the new one, shown only now. The old
 * secret stops at once: every try from now on, retries of earlier events included, signs with the
 * new one.
 */
export async function rotateWebhookSecret(
  deps: Deps,
  access: Access,
  endpointId: string,
  origin?: RequestOrigin,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  const endpoint = await liveEndpoint(deps, access, endpointId);
  const secret = newSecret();
  const now = deps.clock.now();
  const sealed = sealString(deps.config.secret, WEBHOOK_SECRET_LABEL, secret);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await replaceWebhookSecret(trx, access.workspace.id, endpoint.id, sealed, now))) throw gone();
    await recordChange(deps, trx, 'webhook.secret_rotated', access, endpoint, origin);
  });
  return { endpoint: view({ ...endpoint, updatedAt: now }), secret };
}

/**
 * Queues a `webhook.test` event for this one endpoint (admin or owner), delivered, signed and
 * retried like any other. Returns the delivery's id (also its webhook-id).
 */
export async function sendTestWebhook(
  deps: Deps,
  access: Access,
  endpointId: string,
): Promise<{ deliveryId: string }> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  const endpoint = await liveEndpoint(deps, access, endpointId);
  if (!endpoint.enabled) {
    throw new ApiError(409, 'CONFLICT', 'This webhook endpoint is disabled; enable it to send a test event');
  }
  const ids = await deps.db.transaction().execute((trx) =>
    publish(deps, trx, {
      type: 'webhook.test',
      id: newEventId(deps),
      at: deps.clock.now(),
      workspaceId: access.workspace.id,
      endpointId: endpoint.id,
    }),
  );
  const deliveryId = ids[0];
  // Deleted between our read and the plan: nothing was queued.
  if (deliveryId === undefined) throw gone();
  deps.wakeDeliveries();
  return { deliveryId };
}

/**
 * The endpoint's deliveries, newest first, each with the log of its tries (admin or owner).
 * Works for a deleted endpoint too, so its history can still be read.
 */
export async function listEndpointDeliveries(
  deps: Deps,
  access: Access,
  endpointId: string,
  query: Omit<DeliveryQuery, 'channel'>,
): Promise<{ items: DeliveryDetail[]; hasMore: boolean }> {
  requireCapability(access, 'webhook.manage', 'Managing webhooks');
  const filter = checkDeliveryQuery(query);
  const endpoint =
    typeof endpointId === 'string' && endpointId.length <= 64
      ? await findWebhookEndpoint(deps.db, access.workspace.id, endpointId)
      : undefined;
  if (!endpoint) throw notFound();
  const rows = await listDeliveries(deps.db, access.workspace.id, {
    ...filter,
    channel: 'webhook',
    targetId: endpoint.id,
    limit: filter.limit + 1,
  });
  const items = await withAttempts(deps, rows.slice(0, filter.limit).map(deliveryView));
  return { items, hasMore: rows.length > filter.limit };
}
