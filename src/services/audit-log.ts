import { ApiError } from '../domain/errors.ts';
import type { Page } from '../domain/types.ts';
import { type AuditEvent, listWorkspaceAuditEvents } from '../store/audit.ts';
import { findClients } from '../store/oauth-clients.ts';
import { findUserById } from '../store/users.ts';
import type { Access } from './access.ts';
import type { Deps } from './deps.ts';
import { checkPage, type PageRequest } from './paging.ts';

/** One line of a workspace's audit log, with the names a person needs to read it. */
export interface AuditLogEntry extends AuditEvent {
  /** The user the event is about (who signed in, consented, changed a role…), when known. */
  userName: string | null;
  userEmail: string | null;
  /** The OAuth client's name, when the event concerns one. */
  clientName: string | null;
}

/**
 * The workspace's audit log (owner or admin): the authorization server's events for its active
 * members, its membership and role changes, and signing-key rotations, newest first, paged.
 */
export async function listWorkspaceAuditLog(
  deps: Deps,
  access: Access,
  page: PageRequest,
): Promise<Page<AuditLogEntry>> {
  const role = access.member.role;
  if (role !== 'owner' && role !== 'admin') {
    throw new ApiError(
      403,
      'FORBIDDEN',
      `The audit log requires the admin or owner role; your role is ${role}. Ask an owner or admin (Workspace Settings > Team).`,
    );
  }
  const { page: p, perPage } = checkPage(page);
  const { items, total } = await listWorkspaceAuditEvents(deps.db, access.workspace.id, {
    offset: (p - 1) * perPage,
    limit: perPage,
  });
  const userIds = [...new Set(items.map((e) => e.userId).filter((id): id is string => id !== null))];
  const clientIds = [...new Set(items.map((e) => e.clientId).filter((id): id is string => id !== null))];
  const [users, clients] = await Promise.all([
    Promise.all(userIds.map((id) => findUserById(deps.db, id))),
    findClients(deps.db, clientIds),
  ]);
  const byId = new Map(users.filter((u) => u !== undefined).map((u) => [u.id, u]));
  return {
    items: items.map((event) => {
      const user = event.userId ? byId.get(event.userId) : undefined;
      return {
        ...event,
        userName: user?.name ?? null,
        userEmail: user?.email ?? null,
        clientName: event.clientId ? (clients.get(event.clientId)?.name ?? null) : null,
      };
    }),
    page: p,
    perPage,
    total,
  };
}
