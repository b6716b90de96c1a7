import type { Db } from './db.ts';
import type { AuditEventsTable } from './schema.ts';

export interface AuditEvent {
  id: string;
  type: string;
  userId: string | null;
  clientId: string | null;
  grantId: string | null;
  workspaceId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
  createdAt: number;
}

function toEvent(row: AuditEventsTable): AuditEvent {
  return {
    id: row.id,
    type: row.type,
    userId: row.user_id,
    clientId: row.client_id,
    grantId: row.grant_id,
    workspaceId: row.workspace_id,
    ip: row.ip,
    userAgent: row.user_agent,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

/** Appends one audit event. */
export async function insertAuditEvent(db: Db, row: AuditEventsTable): Promise<void> {
  await db.insertInto('audit_events').values(row).execute();
}

/** Events newest first, filtered by any of user, client, type; at most `limit`. */
export async function listAuditEvents(
  db: Db,
  filter: {
    userIds?: string[];
    clientId?: string;
    type?: string;
    workspaceId?: string;
    limit: number;
    before?: number;
  },
): Promise<AuditEvent[]> {
  let query = db.selectFrom('audit_events').selectAll();
  if (filter.userIds) query = query.where('user_id', 'in', filter.userIds.length ? filter.userIds : ['']);
  if (filter.clientId) query = query.where('client_id', '=', filter.clientId);
  if (filter.type) query = query.where('type', '=', filter.type);
  if (filter.workspaceId) query = query.where('workspace_id', '=', filter.workspaceId);
  if (filter.before !== undefined) query = query.where('created_at', '<', filter.before);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toEvent);
}
