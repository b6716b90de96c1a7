import type { Domain, DomainStatus } from '../domain/types.ts';
import type { Db } from './db.ts';
import type { DomainsTable } from './schema.ts';

/** Row → domain object. */
export function toDomain(row: DomainsTable): Domain {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    host: row.host,
    status: row.status,
    verificationToken: row.verification_token,
    verifiedAt: row.verified_at,
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
  };
}

/** True for a unique-constraint violation on either dialect (SQLite or PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A new live domain as services describe it. */
export interface NewDomain {
  id: string;
  workspaceId: string;
  host: string;
  status: DomainStatus;
  verificationToken: string;
  verifiedAt: number | null;
  /** Also its first updated_at. */
  createdAt: number;
}

/**
 * Inserts a live domain; undefined when a live domain with the same host already exists in the
 * workspace (the `domains_live_host` unique index), so concurrent adds cannot both win.
 */
export async function insertDomain(db: Db, domain: NewDomain): Promise<Domain | undefined> {
  const row: DomainsTable = {
    id: domain.id,
    workspace_id: domain.workspaceId,
    host: domain.host,
    status: domain.status,
    verification_token: domain.verificationToken,
    verified_at: domain.verifiedAt,
    created_at: domain.createdAt,
    updated_at: domain.createdAt,
    deleted_at: null,
  };
  try {
    await db.insertInto('domains').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
  return toDomain(row);
}

/** A domain of the workspace by id, deleted or not; another workspace's domain is not found. */
export async function findDomain(db: Db, workspaceId: string, domainId: string): Promise<Domain | undefined> {
  const row = await db
    .selectFrom('domains')
    .selectAll()
    .where('id', '=', domainId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row && toDomain(row);
}

/** The live domain of the workspace with this host, if any. */
export async function findLiveDomainByHost(
  db: Db,
  workspaceId: string,
  host: string,
): Promise<Domain | undefined> {
  const row = await db
    .selectFrom('domains')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('host', '=', host)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row && toDomain(row);
}

/** Live domains of the workspace, newest first, optionally of one status. */
export async function listWorkspaceDomains(
  db: Db,
  workspaceId: string,
  filter: { status?: DomainStatus | undefined } = {},
): Promise<Domain[]> {
  let query = db
    .selectFrom('domains')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null);
  if (filter.status) query = query.where('status', '=', filter.status);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toDomain);
}

/** Marks a live domain verified; false when it was deleted meanwhile. */
export async function markDomainVerified(db: Db, domainId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('domains')
    .set({ status: 'verified', verified_at: now, updated_at: now })
    .where('id', '=', domainId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Soft-deletes a live domain; false when it was already deleted. Its links keep pointing at it. */
export async function softDeleteDomain(db: Db, domainId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('domains')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', domainId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The owner's user id of a live workspace (for trusted callers such as the CLI), or undefined. */
export async function findWorkspaceOwnerUserId(db: Db, workspaceId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('workspaces')
    .select('owner_user_id')
    .where('id', '=', workspaceId)
    .executeTakeFirst();
  return row?.owner_user_id;
}
