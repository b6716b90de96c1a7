import type { Db } from './db.ts';
import { encodeJsonColumn } from './json-columns.ts';
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

/** An audit event to append is the event as read back (`detail` is stored as JSON text). */
export type NewAuditEvent = AuditEvent;

/** Appends one audit event. */
export async function insertAuditEvent(db: Db, event: NewAuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: event.id,
      type: event.type,
      user_id: event.userId,
      client_id: event.clientId,
      grant_id: event.grantId,
      workspace_id: event.workspaceId,
      ip: event.ip,
      user_agent: event.userAgent,
      detail: encodeJsonColumn(event.detail),
      created_at: event.createdAt,
    })
    .execute();
}

/** Whether `userId` has an event of `type` from `ip` at or after `since` (one indexed probe). */
export async function hasAuditEventFrom(
  db: Db,
  filter: { userId: string; type: string; ip: string; since: number },
): Promise<boolean> {
  const row = await db
    .selectFrom('audit_events')
    .select('id')
    .where('user_id', '=', filter.userId)
    .where('created_at', '>=', filter.since)
    .where('type', '=', filter.type)
    .where('ip', '=', filter.ip)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
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

/**
 * The audit trail one workspace's admins may read, newest first: events recorded for the workspace
 * (membership and role changes), events of users who are active members of it that belong to no
 * workspace (sign-ins, consents, tokens, grant revocations), and server-wide signing-key
 * rotations. Events recorded for another workspace never appear.
 */
export async function listWorkspaceAuditEvents(
  db: Db,
  workspaceId: string,
  page: { offset: number; limit: number },
): Promise<{ items: AuditEvent[]; total: number }> {
  const base = db
    .selectFrom('audit_events')
    .where((eb) =>
      eb.or([
        eb('workspace_id', '=', workspaceId),
        eb.and([
          eb('workspace_id', 'is', null),
          eb(
            'user_id',
            'in',
            eb
              .selectFrom('members')
              .select('members.user_id')
              .where('members.workspace_id', '=', workspaceId)
              .where('members.removed_at', 'is', null),
          ),
        ]),
        eb('type', '=', 'signing_key.rotated'),
      ]),
    );
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toEvent), total: Number(count.n) };
}
