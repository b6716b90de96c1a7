import { ApiError } from '../domain/errors.ts';
import { type Capability, can, describeRequirement } from '../domain/permissions.ts';
import type { Member, Workspace } from '../domain/types.ts';
import { findMembership } from '../store/workspaces.ts';
import type { Deps } from './deps.ts';

/** The caller's standing in one workspace, read fresh on every request (S40). */
export interface Access {
  userId: string;
  workspace: Workspace;
  member: Member;
}

/**
 * The caller's active membership. A workspace that does not exist and one the caller is not a
 * member of answer the same NOT_A_MEMBER (S39); a deleted one the caller belonged to is gone.
 */
export async function requireMember(deps: Deps, userId: string, workspaceId: string): Promise<Access> {
  const found = workspaceId.length <= 64 ? await findMembership(deps.db, userId, workspaceId) : undefined;
  if (!found) throw new ApiError(403, 'NOT_A_MEMBER', 'You are not a member of this workspace');
  if (found.workspace.deletedAt !== null)
    throw new ApiError(410, 'WORKSPACE_GONE', 'This workspace has been deleted');
  return { userId, ...found };
}

/** Throws 403 FORBIDDEN naming the role needed when the caller's role lacks the capability. */
export function requireCapability(access: Access, capability: Capability, what: string): void {
  if (!can(access.member.role, capability)) {
    throw new ApiError(
      403,
      'FORBIDDEN',
      `${what} requires ${describeRequirement(capability)}; your role is ${access.member.role}. Ask an owner or admin (Workspace Settings > Team).`,
    );
  }
}
