import type { Role } from '../domain/permissions.ts';
import type { Member, Project, Workspace } from '../domain/types.ts';
import type { Db } from './db.ts';
import { prepared } from './prepared.ts';
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
    maxRecordingSeconds: row.max_recording_seconds ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** A new live workspace as services describe it. */
export interface NewWorkspace {
  id: string;
  name: string;
  ownerUserId: string;
  /** Also its first updated_at. */
  createdAt: number;
}

/** Inserts a workspace. */
export async function insertWorkspace(db: Db, workspace: NewWorkspace): Promise<Workspace> {
  const row: WorkspacesTable = {
    id: workspace.id,
    name: workspace.name,
    owner_user_id: workspace.ownerUserId,
    created_at: workspace.createdAt,
    updated_at: workspace.createdAt,
    deleted_at: null,
  };
  await db.insertInto('workspaces').values(row).execute();
  return toWorkspace(row);
}

/** A new project as services describe it. */
export interface NewProject {
  id: string;
  workspaceId: string;
  title: string;
  isDefault: boolean;
  retentionDays: number | null;
  maxRecordingSeconds?: number | null;
  /** Also its first updated_at. */
  createdAt: number;
  /** Set only to store an already deleted project (tests); a new one is live. */
  deletedAt?: number | null;
}

/** Inserts a project. */
export async function insertProject(db: Db, project: NewProject): Promise<Project> {
  const row: ProjectsTable = {
    id: project.id,
    workspace_id: project.workspaceId,
    title: project.title,
    is_default: project.isDefault ? 1 : 0,
    retention_days: project.retentionDays,
    ...(project.maxRecordingSeconds !== undefined
      ? { max_recording_seconds: project.maxRecordingSeconds }
      : {}),
    created_at: project.createdAt,
    updated_at: project.createdAt,
    deleted_at: project.deletedAt ?? null,
  };
  await db.insertInto('projects').values(row).execute();
  return toProject(row);
}

/** A membership to add: who joins which workspace, in which role, when. */
export interface NewMember {
  id: string;
  workspaceId: string;
  userId: string;
  role: Role;
  joinedAt: number;
}

/**
 * Adds a membership (or revives a removed one for the same user and workspace, keeping its id);
 * returns the membership's id.
 */
export async function upsertMember(db: Db, member: NewMember): Promise<string> {
  const existing = await db
    .selectFrom('members')
    .select(['id'])
    .where('workspace_id', '=', member.workspaceId)
    .where('user_id', '=', member.userId)
    .executeTakeFirst();
  if (existing) {
    await db
      .updateTable('members')
      .set({ role: member.role, joined_at: member.joinedAt, removed_at: null })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
  await db
    .insertInto('members')
    .values({
      id: member.id,
      workspace_id: member.workspaceId,
      user_id: member.userId,
      role: member.role,
      joined_at: member.joinedAt,
      removed_at: null,
    })
    .execute();
  return member.id;
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

// Every workspace tool call and REST request checks membership with this query (S40): compiled
// once (prepared.ts).
const membershipQuery = prepared(2, (db, userId: string, workspaceId: string) =>
  db
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
    .where('m.removed_at', 'is', null),
);

/** The workspace (deleted or not) and the user's active membership in it, in one query. */
export async function findMembership(
  db: Db,
  userId: string,
  workspaceId: string,
): Promise<{ workspace: Workspace; member: Member } | undefined> {
  const [row] = await membershipQuery(db, userId, workspaceId);
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

/** The workspace with this id, deleted or not. */
export async function findWorkspaceById(db: Db, workspaceId: string): Promise<Workspace | undefined> {
  const row = await db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst();
  return row && toWorkspace(row);
}

/** Live workspaces where the user is an active member, newest first, with that membership. */
export async function listUserWorkspaces(
  db: Db,
  userId: string,
  page: { page: number; perPage: number },
): Promise<{ items: { workspace: Workspace; member: Member }[]; total: number }> {
  const base = db
    .selectFrom('members as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .where('m.user_id', '=', userId)
    .where('m.removed_at', 'is', null)
    .where('w.deleted_at', 'is', null);
  const [count, rows, user] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base
      .selectAll('w')
      .select(['m.id as m_id', 'm.role as m_role', 'm.joined_at as m_joined'])
      .orderBy('w.created_at', 'desc')
      .orderBy('w.id', 'desc')
      .limit(page.perPage)
      .offset((page.page - 1) * page.perPage)
      .execute(),
    db.selectFrom('users').select(['name', 'email']).where('id', '=', userId).executeTakeFirst(),
  ]);
  return {
    total: Number(count.n),
    items: rows.map((row) => ({
      workspace: toWorkspace(row),
      member: {
        id: row.m_id,
        workspaceId: row.id,
        userId,
        role: row.m_role,
        joinedAt: row.m_joined,
        name: user?.name ?? '',
        email: user?.email ?? '',
      },
    })),
  };
}

/** Sets a workspace's name; false when it is deleted (or unknown). */
export async function renameWorkspaceRow(
  db: Db,
  workspaceId: string,
  name: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('workspaces')
    .set({ name, updated_at: now })
    .where('id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Soft-deletes a workspace; false when it was already deleted. */
export async function softDeleteWorkspace(db: Db, workspaceId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('workspaces')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Moves `owner_user_id` from one user to another, only if `fromUserId` still owns the live workspace:
 * two concurrent transfers cannot both succeed.
 */
export async function setWorkspaceOwner(
  db: Db,
  workspaceId: string,
  fromUserId: string,
  toUserId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('workspaces')
    .set({ owner_user_id: toUserId, updated_at: now })
    .where('id', '=', workspaceId)
    .where('owner_user_id', '=', fromUserId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
