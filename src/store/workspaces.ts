import type { Role } from '../domain/permissions.ts';
import type { Member, Project, Workspace } from '../domain/types.ts';
import type { Db } from './db.ts';
import type { ProjectsTable, WorkspacesTable } from './schema.ts';

/** Row → domain workspace. */
export function toWorkspace(row: WorkspacesTable): Workspace {
  return {
    id: row.id,
    name: row.name,
    ownerUserId: row.owner_user_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** Row → domain project. */
export function toProject(row: ProjectsTable): Project {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    title: row.title,
    isDefault: row.is_default === 1,
    retentionDays: row.retention_days,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** Inserts a workspace row. */
export async function insertWorkspace(db: Db, row: WorkspacesTable): Promise<Workspace> {
  await db.insertInto('workspaces').values(row).execute();
  return toWorkspace(row);
}

/** Inserts a project row. */
export async function insertProject(db: Db, row: ProjectsTable): Promise<Project> {
  await db.insertInto('projects').values(row).execute();
  return toProject(row);
}

/** Inserts a membership row (or revives a removed one for the same user and workspace). */
export async function upsertMember(
  db: Db,
  row: { id: string; workspace_id: string; user_id: string; role: Role; joined_at: number },
): Promise<string> {
  const existing = await db
    .selectFrom('members')
    .select(['id'])
    .where('workspace_id', '=', row.workspace_id)
    .where('user_id', '=', row.user_id)
    .executeTakeFirst();
  if (existing) {
    await db
      .updateTable('members')
      .set({ role: row.role, joined_at: row.joined_at, removed_at: null })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
  await db
    .insertInto('members')
    .values({ ...row, removed_at: null })
    .execute();
  return row.id;
}

/** Live workspaces a user owns (the ≤ 3 rule counts these). */
export async function countOwnedWorkspaces(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('workspaces')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_user_id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The workspace (deleted or not) and the user's active membership in it, in one query. */
export async function findMembership(
  db: Db,
  userId: string,
  workspaceId: string,
): Promise<{ workspace: Workspace; member: Member } | undefined> {
  const row = await db
    .selectFrom('members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'w.id as w_id',
      'w.name as w_name',
      'w.owner_user_id as w_owner',
      'w.created_at as w_created',
      'w.updated_at as w_updated',
      'w.deleted_at as w_deleted',
      'm.id as m_id',
      'm.role as m_role',
      'm.joined_at as m_joined',
      'u.name as u_name',
      'u.email as u_email',
    ])
    .where('m.user_id', '=', userId)
    .where('m.workspace_id', '=', workspaceId)
    .where('m.removed_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    workspace: {
      id: row.w_id,
      name: row.w_name,
      ownerUserId: row.w_owner,
      createdAt: row.w_created,
      updatedAt: row.w_updated,
      deletedAt: row.w_deleted,
    },
    member: {
      id: row.m_id,
      workspaceId: row.w_id,
      userId,
      role: row.m_role,
      joinedAt: row.m_joined,
      name: row.u_name,
      email: row.u_email,
    },
  };
}
