import { createHmac } from 'node:crypto';
import { iso } from '../../lib/clock.ts';
import { SafeFetchError, safeFetch } from '../../lib/safe-fetch.ts';
import { openString } from '../../lib/secret-box.ts';
import type { Db } from '../../store/db.ts';
import {
  findWebhookEndpoint,
  listSubscribedEndpoints,
  type WebhookEndpoint,
} from '../../store/webhook-endpoints.ts';
import type { Deps } from '../deps.ts';
import type { Channel } from './channels.ts';
import { MAX_STORED_BODY } from './outbox.ts';
import {
  type DeliveryEvent,
  type PlannedDelivery,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from './types.ts';

// Webhooks (issue 10 §4), signed as the Standard Webhooks specification says
// (https://www.standardwebhooks.com, "Signature scheme"): the body is built once, when the event
// is planned, so every retry sends the same bytes under the same `webhook-id` (the delivery id,
// the receiver's idempotency key); each try signs `${id}.${timestamp}.${body}` with HMAC-SHA256
// under the endpoint's current secret, with the try's own timestamp. The request goes through the
// SSRF guard (S25) at every try, because a host's DNS answer can change after it was saved.

/** Label of the endpoints' sealed secrets in secret-box. */
export const WEBHOOK_SECRET_LABEL = 'webhook-secret';
/** Issue 10 §4: a receiver gets 5 s to answer. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
const USER_AGENT = 'Userplane-Webhooks/1';

/** What the outbox stores for a webhook delivery: the exact JSON body to send (sealed at rest). */
interface WebhookPayload {
  body: string;
}

/** True for an event type a workspace can subscribe an endpoint to. */
export function isWebhookEventType(type: string): type is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}

/** The `data` of the Standard Webhooks body for an event (docs/notifications.md lists the shapes). */
function webhookData(event: DeliveryEvent): Record<string, unknown> | undefined {
  switch (event.type) {
    case 'recording.ready': {
      const r = event.recording;
      return {
        workspaceId: event.workspaceId,
        recording: {
          recordingId: r.recordingId,
          projectId: r.projectId,
          linkId: r.linkId,
          linkTitle: r.linkTitle,
          linkCreatorMemberId: r.linkCreatorMemberId,
          linkProviderType: r.linkProviderType,
          linkProviderId: r.linkProviderId,
          linkProviderReference: r.linkProviderReference,
          notes: r.notes,
          durationMs: r.durationMs,
          consoleErrorCount: r.consoleErrorCount,
          playerUrl: r.playerUrl,
          createdAt: iso(r.createdAt),
        },
      };
    }
    case 'recording.deleted':
      return { workspaceId: event.workspaceId, recordingId: event.recordingId, linkId: event.linkId };
    case 'link.created':
      return { workspaceId: event.workspaceId, link: event.link };
    case 'link.deleted':
      return { workspaceId: event.workspaceId, linkId: event.linkId };
    case 'member.joined':
      return {
        workspaceId: event.workspaceId,
        workspaceName: event.workspaceName,
        member: {
          workspaceMemberId: event.member.memberId,
          userId: event.member.userId,
          name: event.member.name,
          email: event.member.email,
          role: event.member.role,
        },
        invitedByMemberId: event.invitedByMemberId,
      };
    case 'webhook.test':
      return {
        workspaceId: event.workspaceId,
        webhookId: event.endpointId,
        message: 'A test event from Userplane: this endpoint receives signed webhooks.',
      };
    default:
      // Invitations and Connected Apps are not webhook events (they carry tokens or are account-wide).
      return undefined;
  }
}

/** The Standard Webhooks body {type, timestamp, data} of an event, or undefined if it is not a webhook event. */
export function webhookBody(event: DeliveryEvent): string | undefined {
  const data = webhookData(event);
  if (!data) return undefined;
  return JSON.stringify({ type: event.type, timestamp: iso(event.at), data });
}

/** The host a summary names: never the path or query, which may hold a receiver's token. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

function planFor(endpoint: WebhookEndpoint, body: string): PlannedDelivery {
  return {
    channel: 'webhook',
    workspaceId: endpoint.workspaceId,
    targetId: endpoint.id,
    summary: `POST to ${hostOf(endpoint.url)}${endpoint.description ? ` (${endpoint.description})` : ''}`,
    payload: { body } satisfies WebhookPayload,
  };
}

/**
 * The `webhook-signature` value for one try: `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`
 * keyed with the base64-decoded part of the secret after `whsec_`.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** At most MAX_STORED_BODY bytes of a response as text (a cut UTF-8 sequence is dropped, not mangled). */
function storedBody(bytes: Buffer): string {
  let text = bytes.subarray(0, MAX_STORED_BODY).toString('utf8');
  while (Buffer.byteLength(text, 'utf8') > MAX_STORED_BODY) text = text.slice(0, -1);
  return text;
}

async function plan(_deps: Deps, db: Db, event: DeliveryEvent): Promise<PlannedDelivery[]> {
  if (event.workspaceId === null) return [];
  const body = webhookBody(event);
  if (body === undefined) return [];
  if (event.type === 'webhook.test') {
    // "Send test event": that endpoint only, whatever it subscribes to.
    const endpoint = await findWebhookEndpoint(db, event.workspaceId, event.endpointId);
    return endpoint && endpoint.deletedAt === null ? [planFor(endpoint, body)] : [];
  }
  if (!isWebhookEventType(event.type)) return [];
  const endpoints = await listSubscribedEndpoints(db, event.workspaceId, event.type);
  return endpoints.map((endpoint) => planFor(endpoint, body));
}

/** Standard Webhooks to the workspace's endpoints. */
export const webhookChannel: Channel = {
  channel: 'webhook',
  plan,
  send: async (deps, job) => {
    const payload = job.payload as Partial<WebhookPayload> | null;
    if (!payload || typeof payload.body !== 'string' || job.workspaceId === null || job.targetId === null) {
      return { ok: false, retry: false, error: 'the delivery has no webhook body or endpoint' };
    }
    // Read fresh at every try: the URL and secret may have changed, the endpoint may be gone.
    const endpoint = await findWebhookEndpoint(deps.db, job.workspaceId, job.targetId);
    if (!endpoint || endpoint.deletedAt !== null) {
      return { ok: false, retry: false, error: 'The webhook endpoint was deleted; nothing was sent' };
    }
    if (!endpoint.enabled) {
      return { ok: false, retry: false, error: 'The webhook endpoint is disabled; nothing was sent' };
    }
    const secret = openString(deps.config.secret, WEBHOOK_SECRET_LABEL, endpoint.sealedSecret);
    const timestamp = Math.floor(deps.clock.now() / 1000);
    let response: Awaited<ReturnType<typeof safeFetch>>;
    try {
      response = await safeFetch(endpoint.url, {
        method: 'POST',
        body: payload.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': job.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, job.id, timestamp, payload.body),
        },
        timeoutMs: WEBHOOK_TIMEOUT_MS,
        maxBytes: MAX_STORED_BODY,
        // The answer matters only for the log: keep its first KB, never fail on a long one.
        onOversize: 'truncate',
        allowPrivateAddresses: deps.config.allowPrivateNetworkFetch,
      });
    } catch (error) {
      if (error instanceof SafeFetchError) {
        // A private address or a URL that cannot be fetched will not get better by waiting.
        const final = error.reason === 'blocked_address' || error.reason === 'invalid_url';
        const why =
          error.reason === 'blocked_address'
            ? `${error.message}. Webhooks are sent only to public addresses (SECURITY.md S25).`
            : error.message;
        return { ok: false, retry: !final, error: why };
      }
      throw error;
    }
    const responseBody = storedBody(response.body);
    if (response.status >= 200 && response.status < 300) {
      return { ok: true, statusCode: response.status, responseBody };
    }
    const redirect = response.status >= 300 && response.status < 400 ? '; redirects are not followed' : '';
    return {
      ok: false,
      retry: true,
      error: `The endpoint answered HTTP ${response.status}${redirect}`,
      statusCode: response.status,
      responseBody,
    };
  },
};
