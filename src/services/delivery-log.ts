import { ApiError, validationError } from '../domain/errors.ts';
import {
  type DeliveryAttempt,
  type DeliveryChannel,
  type DeliveryStatus,
  findDelivery,
  listAttempts,
  listDeliveries,
  type StoredDelivery,
} from '../store/deliveries.ts';
import { type Access, requireCapability } from './access.ts';
import type { Deps } from './deps.ts';

// The delivery log (issue 10 §1, §4): every message the outbox sent or tried to send for a
// workspace — e-mails, webhooks, Slack posts, help-desk notes — with its status and the log of its
// tries, so "the dashboard shows the failure". Admins and owners only: it names recipients and
// endpoints. The sealed payload never leaves this module.

export const DELIVERY_CHANNELS: readonly DeliveryChannel[] = [
  'email',
  'webhook',
  'slack',
  'intercom',
  'zendesk',
];
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];
export const MAX_DELIVERIES_PER_PAGE = 100;

export type { DeliveryAttempt } from '../store/deliveries.ts';

/** A delivery as the log shows it (no payload). */
export interface DeliveryView {
  id: string;
  channel: DeliveryChannel;
  /** The webhook endpoint id, the recipient user id, or null. */
  targetId: string | null;
  eventType: string;
  eventId: string;
  summary: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next try is due (pending), or when it finished. */
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
}

/** A delivery with the log of its tries, first first. */
export interface DeliveryDetail extends DeliveryView {
  attemptLog: DeliveryAttempt[];
}

/** Store row → view, dropping the sealed payload. */
export function deliveryView(row: StoredDelivery): DeliveryView {
  return {
    id: row.id,
    channel: row.channel,
    targetId: row.targetId,
    eventType: row.eventType,
    eventId: row.eventId,
    summary: row.summary,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

/** The filters and page of a delivery list. */
export interface DeliveryQuery {
  channel?: string | undefined;
  status?: string | undefined;
  /** The last id of the previous page: only older deliveries follow. */
  before?: string | undefined;
  limit: number;
}

/** Checks a query's fields, naming the one at fault (S38). */
export function checkDeliveryQuery(query: DeliveryQuery): {
  channel?: DeliveryChannel;
  status?: DeliveryStatus;
  beforeId?: string;
  limit: number;
} {
  const out: { channel?: DeliveryChannel; status?: DeliveryStatus; beforeId?: string; limit: number } = {
    limit: query.limit,
  };
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_DELIVERIES_PER_PAGE) {
    throw validationError('limit', `must be a whole number from 1 to ${MAX_DELIVERIES_PER_PAGE}`);
  }
  if (query.channel !== undefined && query.channel !== '') {
    if (!DELIVERY_CHANNELS.includes(query.channel as DeliveryChannel)) {
      throw validationError('channel', `must be one of ${DELIVERY_CHANNELS.join(', ')}`);
    }
    out.channel = query.channel as DeliveryChannel;
  }
  if (query.status !== undefined && query.status !== '') {
    if (!DELIVERY_STATUSES.includes(query.status as DeliveryStatus)) {
      throw validationError('status', `must be one of ${DELIVERY_STATUSES.join(', ')}`);
    }
    out.status = query.status as DeliveryStatus;
  }
  if (query.before !== undefined && query.before !== '') {
    if (query.before.length > 64) throw validationError('before', 'must be a delivery id');
    out.beforeId = query.before;
  }
  return out;
}

/**
 * A page of the workspace's deliveries, newest first (admin or owner). `hasMore` says whether an
 * older page exists (its cursor is the last id of this one).
 */
export async function listWorkspaceDeliveries(
  deps: Deps,
  access: Access,
  query: DeliveryQuery,
): Promise<{ items: DeliveryView[]; hasMore: boolean }> {
  requireCapability(access, 'delivery.read', 'Reading the delivery log');
  const filter = checkDeliveryQuery(query);
  const rows = await listDeliveries(deps.db, access.workspace.id, { ...filter, limit: filter.limit + 1 });
  return { items: rows.slice(0, filter.limit).map(deliveryView), hasMore: rows.length > filter.limit };
}

/** Adds each delivery's tries (one query per delivery; a page holds at most 100). */
export async function withAttempts(deps: Deps, views: DeliveryView[]): Promise<DeliveryDetail[]> {
  return Promise.all(
    views.map(async (view) => ({ ...view, attemptLog: await listAttempts(deps.db, view.id) })),
  );
}

/** One delivery of the workspace with its tries (admin or owner); another workspace's is not found. */
export async function getDelivery(deps: Deps, access: Access, deliveryId: string): Promise<DeliveryDetail> {
  requireCapability(access, 'delivery.read', 'Reading the delivery log');
  const row =
    typeof deliveryId === 'string' && deliveryId.length <= 64
      ? await findDelivery(deps.db, deliveryId)
      : undefined;
  if (!row || row.workspaceId !== access.workspace.id) {
    throw new ApiError(404, 'DELIVERY_NOT_FOUND', 'No such delivery in this workspace');
  }
  const [detail] = await withAttempts(deps, [deliveryView(row)]);
  return detail!;
}
