import { ApiError, validationError } from '../domain/errors.ts';
import type { Project, Workspace } from '../domain/types.ts';
import { newId } from '../lib/ids.ts';
import { countOwnedWorkspaces, insertProject, insertWorkspace, upsertMember } from '../store/workspaces.ts';
import type { Deps } from './deps.ts';

export const MAX_OWNED_WORKSPACES = 3;

/** Checks a workspace name: 1–100 characters after trimming. */
export function checkWorkspaceName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100)
    throw validationError('name', 'must be 1 to 100 characters');
  return trimmed;
}

/**
 * Creates a workspace owned by `ownerUserId`, its owner membership and its default project, in one
 * transaction. A user may own at most three live workspaces (PLAN_LIMIT_EXCEEDED).
 */
export async function createWorkspace(
  deps: Deps,
  input: { name: string; ownerUserId: string },
): Promise<{ workspace: Workspace; defaultProject: Project; ownerMemberId: string }> {
  const name = checkWorkspaceName(input.name);
  return deps.db.transaction().execute(async (trx) => {
    if ((await countOwnedWorkspaces(trx, input.ownerUserId)) >= MAX_OWNED_WORKSPACES) {
      throw new ApiError(
        403,
        'PLAN_LIMIT_EXCEEDED',
        `A user may own at most ${MAX_OWNED_WORKSPACES} workspaces`,
      );
    }
    const now = deps.clock.now();
    const workspace = await insertWorkspace(trx, {
      id: newId('ws', now),
      name,
      ownerUserId: input.ownerUserId,
      createdAt: now,
    });
    const ownerMemberId = await upsertMember(trx, {
      id: newId('mem', now),
      workspaceId: workspace.id,
      userId: input.ownerUserId,
      role: 'owner',
      joinedAt: now,
    });
    const defaultProject = await insertProject(trx, {
      id: newId('prj', now),
      workspaceId: workspace.id,
      title: 'Default',
      isDefault: true,
      retentionDays: null,
      createdAt: now,
    });
    return { workspace, defaultProject, ownerMemberId };
  });
}
