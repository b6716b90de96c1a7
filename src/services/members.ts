import { ApiError, validationError } from '../domain/errors.ts';
import { canManageMember, ROLES, type Role } from '../domain/permissions.ts';
import type { Member, Page } from '../domain/types.ts';
import { newId } from '../lib/ids.ts';
import {
  findActiveMember,
  findActiveMemberByUser,
  listActiveMembers,
  removeMemberRow,
  setMemberRole,
} from '../store/members.ts';
import { findWorkspaceById, upsertMember } from '../store/workspaces.ts';
import { type Access, requireCapability } from './access.ts';
import { audit } from './audit.ts';
import type { Deps } from './deps.ts';
import { checkPage, type PageRequest } from './paging.ts';
import { moveOwnership } from './workspace-admin.ts';

/** Checks a role name from outside (CLI, forms, tools). */
export function checkRole(role: string, field = 'role'): Role {
  if (!(ROLES as readonly string[]).includes(role))
    throw validationError(field, 'must be owner, admin or member');
  return role as Role;
}

/** Active members of the caller's workspace (any member may read them), newest first. */
export async function listMembers(deps: Deps, access: Access, page: PageRequest): Promise<Page<Member>> {
  requireCapability(access, 'workspace.read', 'Listing members');
  const { page: p, perPage } = checkPage(page);
  const { items, total } = await listActiveMembers(deps.db, access.workspace.id, { page: p, perPage });
  return { items, page: p, perPage, total };
}

/** One active member; a removed one or another workspace's id is MEMBER_NOT_FOUND. */
export async function getMember(deps: Deps, access: Access, memberId: string): Promise<Member> {
  requireCapability(access, 'workspace.read', 'Reading a member');
  const member =
    memberId.length <= 64 ? await findActiveMember(deps.db, access.workspace.id, memberId) : undefined;
  if (!member) throw new ApiError(404, 'MEMBER_NOT_FOUND', 'No such member in this workspace');
  return member;
}

function refuseManage(access: Access, target: Member, newRole?: Role): ApiError {
  if (target.role === 'owner')
    return new ApiError(
      403,
      'FORBIDDEN',
      "The owner's membership cannot be changed or removed; the owner can transfer ownership instead",
    );
  if (newRole === 'owner')
    return new ApiError(
      403,
      'FORBIDDEN',
      'Only the owner can make someone the owner, by transferring ownership',
    );
  return new ApiError(
    403,
    'FORBIDDEN',
    `Managing members requires the admin or owner role; your role is ${access.member.role}. Ask an owner or admin (Workspace Settings > Team).`,
  );
}

/** Changes a member's role (admin or owner; never the owner's role, never to owner). */
export async function changeMemberRole(
  deps: Deps,
  access: Access,
  memberId: string,
  role: string,
): Promise<Member> {
  requireCapability(access, 'member.manage', 'Changing roles');
  const newRole = checkRole(role);
  return deps.db.transaction().execute(async (trx) => {
    const target =
      memberId.length <= 64 ? await findActiveMember(trx, access.workspace.id, memberId) : undefined;
    if (!target) throw new ApiError(404, 'MEMBER_NOT_FOUND', 'No such member in this workspace');
    if (!canManageMember(access.member.role, target.role, newRole))
      throw refuseManage(access, target, newRole);
    if (!(await setMemberRole(trx, target.id, newRole)))
      throw new ApiError(404, 'MEMBER_NOT_FOUND', 'No such member in this workspace');
    if (target.role !== newRole) {
      await audit(
        deps,
        'member.role_changed',
        {
          userId: access.userId,
          workspaceId: access.workspace.id,
          detail: { memberId: target.id, email: target.email, from: target.role, to: newRole },
        },
        trx,
      );
    }
    return { ...target, role: newRole };
  });
}

/**
 * Removes a member (admin or owner; never the owner). Soft: `removed_at` is set, and because every
 * request reads the membership afresh the removed user is refused on their very next call (S40).
 */
export async function removeMember(deps: Deps, access: Access, memberId: string): Promise<void> {
  requireCapability(access, 'member.manage', 'Removing members');
  const target =
    memberId.length <= 64 ? await findActiveMember(deps.db, access.workspace.id, memberId) : undefined;
  if (!target) throw new ApiError(404, 'MEMBER_NOT_FOUND', 'No such member in this workspace');
  if (!canManageMember(access.member.role, target.role)) throw refuseManage(access, target);
  if (!(await removeMemberRow(deps.db, target.id, deps.clock.now())))
    throw new ApiError(404, 'MEMBER_NOT_FOUND', 'No such member in this workspace');
  await audit(deps, 'member.removed', {
    userId: access.userId,
    workspaceId: access.workspace.id,
    detail: { memberId: target.id, email: target.email, role: target.role },
  });
}

/**
 * Operator action (CLI): puts an existing user into a workspace with a role, without an invitation.
 * `owner` transfers ownership to them (the previous owner becomes admin). The current owner cannot
 * be given a lesser role this way: ownership only moves to someone else.
 */
export async function addMemberDirectly(
  deps: Deps,
  input: { workspaceId: string; userId: string; role: string },
): Promise<Member> {
  const role = checkRole(input.role);
  return deps.db.transaction().execute(async (trx) => {
    const workspace = await findWorkspaceById(trx, input.workspaceId);
    if (!workspace) throw new ApiError(404, 'WORKSPACE_NOT_FOUND', `No workspace ${input.workspaceId}`);
    if (workspace.deletedAt !== null)
      throw new ApiError(410, 'WORKSPACE_GONE', `Workspace ${input.workspaceId} has been deleted`);
    if (workspace.ownerUserId === input.userId && role !== 'owner') {
      throw new ApiError(
        403,
        'FORBIDDEN',
        "The owner's role cannot be changed; add another member with role owner to transfer ownership",
      );
    }
    const now = deps.clock.now();
    // A new owner joins as admin first, then ownership moves in the same transaction.
    const joinRole: Role = role === 'owner' && workspace.ownerUserId !== input.userId ? 'admin' : role;
    const existing = await findActiveMemberByUser(trx, workspace.id, input.userId);
    let memberId: string;
    if (existing) {
      // Already a member: only the role changes, the join date stays.
      memberId = existing.id;
      if (existing.role !== joinRole) await setMemberRole(trx, memberId, joinRole);
    } else {
      memberId = await upsertMember(trx, {
        id: newId('mem', now),
        workspaceId: workspace.id,
        userId: input.userId,
        role: joinRole,
        joinedAt: now,
      });
    }
    const member = await findActiveMember(trx, workspace.id, memberId);
    if (!member) throw new ApiError(404, 'MEMBER_NOT_FOUND', 'The membership could not be read back');
    if (role === 'owner') await moveOwnership(deps, trx, workspace, member);
    await audit(
      deps,
      existing ? 'member.role_changed' : 'member.added',
      {
        userId: input.userId,
        workspaceId: workspace.id,
        detail: existing
          ? { memberId, email: member.email, from: existing.role, to: role, by: 'operator' }
          : { memberId, email: member.email, role, by: 'operator' },
      },
      trx,
    );
    return { ...member, role };
  });
}
