import type { Db } from './db.ts';
import { encodeJsonColumn, parseStringListColumn } from './json-columns.ts';
import type { WebhookEndpointsTable } from './schema.ts';

// Webhook endpoints of a workspace (migration 0050, issue 10 §4). The signing secret is sealed by
// the service before it gets here and is handed back sealed; deleting is soft, so the delivery log
// can still name an endpoint that is gone.

/** An endpoint as the services see it; `sealedSecret` is still sealed. */
export interface WebhookEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  description: string | null;
  events: string[];
  sealedSecret: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface NewWebhookEndpoint {
  id: string;
  workspaceId: string;
  url: string;
  description: string | null;
  events: string[];
  sealedSecret: string;
  now: number;
}

/** What an update may change; absent fields stay as they are. */
export interface WebhookEndpointPatch {
  url?: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
}

function toEndpoint(row: WebhookEndpointsTable): WebhookEndpoint {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    url: row.url,
    description: row.description,
    events: parseStringListColumn(row.events),
    sealedSecret: row.secret_sealed,
    enabled: Number(row.enabled) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deletedAt: row.deleted_at === null ? null : Number(row.deleted_at),
  };
}

/** Inserts an endpoint, enabled. */
export async function insertWebhookEndpoint(db: Db, input: NewWebhookEndpoint): Promise<WebhookEndpoint> {
  const row: WebhookEndpointsTable = {
    id: input.id,
    workspace_id: input.workspaceId,
    url: input.url,
    description: input.description,
    events: encodeJsonColumn(input.events),
    secret_sealed: input.sealedSecret,
    enabled: 1,
    created_at: input.now,
    updated_at: input.now,
    deleted_at: null,
  };
  await db.insertInto('webhook_endpoints').values(row).execute();
  return toEndpoint(row);
}

/** An endpoint of the workspace by id, deleted or not; another workspace's is not found. */
export async function findWebhookEndpoint(
  db: Db,
  workspaceId: string,
  endpointId: string,
): Promise<WebhookEndpoint | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('id', '=', endpointId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row && toEndpoint(row);
}

/** The workspace's live (not deleted) endpoints, newest first. */
export async function listWebhookEndpoints(db: Db, workspaceId: string): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toEndpoint);
}

/**
 * The live, enabled endpoints of the workspace that subscribe to `eventType`. The subscription list
 * is JSON text, so it is matched here rather than in SQL (a workspace has a handful of endpoints).
 */
export async function listSubscribedEndpoints(
  db: Db,
  workspaceId: string,
  eventType: string,
): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .where('enabled', '=', 1)
    .orderBy('id')
    .execute();
  return rows.map(toEndpoint).filter((endpoint) => endpoint.events.includes(eventType));
}

/** How many live endpoints the workspace has. */
export async function countWebhookEndpoints(db: Db, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Applies `patch` to a live endpoint; undefined when it is unknown or deleted. */
export async function updateWebhookEndpoint(
  db: Db,
  workspaceId: string,
  endpointId: string,
  patch: WebhookEndpointPatch,
  now: number,
): Promise<WebhookEndpoint | undefined> {
  const row = await db
    .updateTable('webhook_endpoints')
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.events !== undefined ? { events: encodeJsonColumn(patch.events) } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
      updated_at: now,
    })
    .where('id', '=', endpointId)
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row && toEndpoint(row);
}

/** Replaces a live endpoint's sealed secret; false when it is unknown or deleted. */
export async function replaceWebhookSecret(
  db: Db,
  workspaceId: string,
  endpointId: string,
  sealedSecret: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ secret_sealed: sealedSecret, updated_at: now })
    .where('id', '=', endpointId)
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Marks a live endpoint deleted; false when it is unknown or already deleted. */
export async function softDeleteWebhookEndpoint(
  db: Db,
  workspaceId: string,
  endpointId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ deleted_at: now, enabled: 0, updated_at: now })
    .where('id', '=', endpointId)
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
