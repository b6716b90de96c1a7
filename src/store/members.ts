import type { Role } from '../domain/permissions.ts';
import type { Member } from '../domain/types.ts';
import type { Db } from './db.ts';

type MemberRow = {
  id: string;
  workspace_id: string;
  user_id: string;
  role: Role;
  joined_at: number;
  name: string;
  email: string;
};

function toMember(row: MemberRow): Member {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    role: row.role,
    joinedAt: row.joined_at,
    name: row.name,
    email: row.email,
  };
}

function activeMembers(db: Db, workspaceId: string) {
  return db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .where('m.workspace_id', '=', workspaceId)
    .where('m.removed_at', 'is', null);
}

const MEMBER_COLUMNS = [
  'm.id',
  'm.workspace_id',
  'm.user_id',
  'm.role',
  'm.joined_at',
  'u.name',
  'u.email',
] as const;

/** Active members of a workspace with their user's name and email, newest first. */
export async function listActiveMembers(
  db: Db,
  workspaceId: string,
  page: { page: number; perPage: number },
): Promise<{ items: Member[]; total: number }> {
  const count = await activeMembers(db, workspaceId)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const rows = await activeMembers(db, workspaceId)
    .select(MEMBER_COLUMNS)
    .orderBy('m.joined_at', 'desc')
    .orderBy('m.id', 'desc')
    .limit(page.perPage)
    .offset((page.page - 1) * page.perPage)
    .execute();
  return { items: rows.map(toMember), total: Number(count.n) };
}

/** One active member of the workspace by member id (another workspace's id finds nothing). */
export async function findActiveMember(
  db: Db,
  workspaceId: string,
  memberId: string,
): Promise<Member | undefined> {
  const row = await activeMembers(db, workspaceId)
    .select(MEMBER_COLUMNS)
    .where('m.id', '=', memberId)
    .executeTakeFirst();
  return row && toMember(row);
}

/** The active membership of a user in a workspace. */
export async function findActiveMemberByUser(
  db: Db,
  workspaceId: string,
  userId: string,
): Promise<Member | undefined> {
  const row = await activeMembers(db, workspaceId)
    .select(MEMBER_COLUMNS)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
  return row && toMember(row);
}

/** The active membership of the user with this normalized email, if any. */
export async function findActiveMemberByEmail(
  db: Db,
  workspaceId: string,
  emailNormalized: string,
): Promise<Member | undefined> {
  const row = await activeMembers(db, workspaceId)
    .select(MEMBER_COLUMNS)
    .where('u.email_normalized', '=', emailNormalized)
    .executeTakeFirst();
  return row && toMember(row);
}

/** Sets an active member's role; false when the membership is gone. */
export async function setMemberRole(db: Db, memberId: string, role: Role): Promise<boolean> {
  const result = await db
    .updateTable('members')
    .set({ role })
    .where('id', '=', memberId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Removes a member (soft: `removed_at`), never the owner; false when already removed or the owner.
 * The role condition sits in the UPDATE so a concurrent transfer cannot make us remove an owner.
 */
export async function removeMemberRow(db: Db, memberId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('members')
    .set({ removed_at: now })
    .where('id', '=', memberId)
    .where('removed_at', 'is', null)
    .where('role', '!=', 'owner')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
