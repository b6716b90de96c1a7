import { ApiError } from '../domain/errors.ts';
import type { Role } from '../domain/permissions.ts';
import type { Member, Page, Workspace } from '../domain/types.ts';
import type { Db } from '../store/db.ts';
import { findActiveMember, findActiveMemberByUser, setMemberRole } from '../store/members.ts';
import { getWorkspaceUsage } from '../store/usage.ts';
import {
  countOwnedWorkspaces,
  listUserWorkspaces,
  renameWorkspaceRow,
  setWorkspaceOwner,
  softDeleteWorkspace,
} from '../store/workspaces.ts';
import { type Access, requireCapability } from './access.ts';
import { audit } from './audit.ts';
import type { Deps } from './deps.ts';
import { checkPage, type PageRequest } from './paging.ts';
import { checkWorkspaceName, MAX_OWNED_WORKSPACES } from './workspaces.ts';

/** A workspace together with the caller's membership in it. */
export interface WorkspaceWithMembership {
  workspace: Workspace;
  member: Member;
}

/** Live workspaces where the user is an active member, newest first. */
export async function listMyWorkspaces(
  deps: Deps,
  userId: string,
  page: PageRequest,
): Promise<Page<WorkspaceWithMembership>> {
  const { page: p, perPage } = checkPage(page);
  const { items, total } = await listUserWorkspaces(deps.db, userId, { page: p, perPage });
  return { items, page: p, perPage, total };
}

/** The workspace the access was resolved for, with the caller's membership. */
export function getWorkspace(access: Access): WorkspaceWithMembership {
  return { workspace: access.workspace, member: access.member };
}

/** Storage a workspace uses: bytes of the recording files kept, and recordings not deleted. */
export interface WorkspaceStorage {
  bytes: number;
  recordings: number;
}

/**
 * The workspace's storage use (any member may read it): counters kept current by every write that
 * changes them (docs/storage.md, "Storage use"), so this is one lookup whatever the workspace holds.
 */
export async function getWorkspaceStorage(deps: Deps, access: Access): Promise<WorkspaceStorage> {
  return getWorkspaceUsage(deps.db, access.workspace.id);
}

// PRODUCT.md §2 has no separate capability for renaming; workspace settings are for admins and owners.
function requireAdmin(access: Access, what: string): void {
  const role: Role = access.member.role;
  if (role !== 'owner' && role !== 'admin') {
    throw new ApiError(
      403,
      'FORBIDDEN',
      `${what} requires the admin or owner role; your role is ${role}. Ask an owner or admin (Workspace Settings > Team).`,
    );
  }
}

/** Renames the workspace (admin or owner); the name is 1–100 characters. */
export async function renameWorkspace(deps: Deps, access: Access, name: string): Promise<Workspace> {
  requireAdmin(access, 'Renaming the workspace');
  const trimmed = checkWorkspaceName(name);
  const now = deps.clock.now();
  if (!(await renameWorkspaceRow(deps.db, access.workspace.id, trimmed, now)))
    throw new ApiError(410, 'WORKSPACE_GONE', 'This workspace has been deleted');
  return { ...access.workspace, name: trimmed, updatedAt: now };
}

/** Soft-deletes the workspace (owner only); from then on every request about it answers WORKSPACE_GONE. */
export async function deleteWorkspace(deps: Deps, access: Access): Promise<void> {
  requireCapability(access, 'workspace.delete', 'Deleting the workspace');
  if (!(await softDeleteWorkspace(deps.db, access.workspace.id, deps.clock.now())))
    throw new ApiError(410, 'WORKSPACE_GONE', 'This workspace has been deleted');
}

/**
 * Moves ownership inside a transaction: the recipient (an active member) becomes owner, the previous
 * owner becomes admin, and `workspaces.owner_user_id` follows. The recipient may own at most
 * MAX_OWNED_WORKSPACES live workspaces (PLAN_LIMIT_EXCEEDED).
 */
export async function moveOwnership(
  deps: Deps,
  trx: Db,
  workspace: Workspace,
  recipient: Member,
): Promise<void> {
  if (recipient.userId === workspace.ownerUserId) return;
  if ((await countOwnedWorkspaces(trx, recipient.userId)) >= MAX_OWNED_WORKSPACES) {
    throw new ApiError(
      403,
      'PLAN_LIMIT_EXCEEDED',
      `The new owner already owns ${MAX_OWNED_WORKSPACES} workspaces, the most a user may own`,
    );
  }
  const now = deps.clock.now();
  if (!(await setWorkspaceOwner(trx, workspace.id, workspace.ownerUserId, recipient.userId, now))) {
    throw new ApiError(409, 'CONFLICT', 'The workspace owner changed meanwhile; reload and try again');
  }
  const previous = await findActiveMemberByUser(trx, workspace.id, workspace.ownerUserId);
  if (previous) await setMemberRole(trx, previous.id, 'admin');
  await setMemberRole(trx, recipient.id, 'owner');
}

/** Transfers ownership to another active member (owner only); the caller becomes an admin. */
export async function transferOwnership(deps: Deps, access: Access, toMemberId: string): Promise<Member> {
  requireCapability(access, 'workspace.transfer', 'Transferring ownership');
  return deps.db.transaction().execute(async (trx) => {
    const recipient =
      toMemberId.length <= 64 ? await findActiveMember(trx, access.workspace.id, toMemberId) : undefined;
    if (!recipient) throw new ApiError(404, 'MEMBER_NOT_FOUND', 'No such member in this workspace');
    if (recipient.id === access.member.id)
      throw new ApiError(400, 'VALIDATION_FAILED', 'memberId: you already own this workspace', 'memberId');
    await moveOwnership(deps, trx, access.workspace, recipient);
    await audit(
      deps,
      'member.role_changed',
      {
        userId: access.userId,
        workspaceId: access.workspace.id,
        detail: {
          memberId: recipient.id,
          email: recipient.email,
          from: recipient.role,
          to: 'owner',
          previousOwnerMemberId: access.member.id,
        },
      },
      trx,
    );
    return { ...recipient, role: 'owner' };
  });
}
