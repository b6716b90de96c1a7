import type { Role } from '../../src/domain/permissions.ts';
import { newId } from '../../src/lib/ids.ts';
import { createApiKey } from '../../src/services/api-keys.ts';
import type { Deps } from '../../src/services/deps.ts';
import { createUser } from '../../src/services/users.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { upsertMember } from '../../src/store/workspaces.ts';

let counter = 0;

/** A user with an API key; `bearer` is ready for an Authorization header. */
export async function userWithKey(deps: Deps, name = 'user') {
  counter += 1;
  const email = `${name}-${counter}-${Math.random().toString(36).slice(2, 6)}@example.com`;
  const user = await createUser(deps, { email, password: 'correct horse battery', name });
  const { secret, key } = await createApiKey(deps, { userId: user.id });
  return { user, email, key, secret, headers: { authorization: `Bearer ${secret}` } };
}

export type TestUser = Awaited<ReturnType<typeof userWithKey>>;

/** A workspace with an owner, an admin, two members and an outsider, each with an API key. */
export async function teamWorkspace(deps: Deps) {
  const owner = await userWithKey(deps, 'owner');
  const admin = await userWithKey(deps, 'admin');
  const member = await userWithKey(deps, 'member');
  const member2 = await userWithKey(deps, 'member2');
  const outsider = await userWithKey(deps, 'outsider');
  const { workspace, defaultProject, ownerMemberId } = await createWorkspace(deps, {
    name: 'Acme Support',
    ownerUserId: owner.user.id,
  });
  const memberIds: Record<string, string> = { owner: ownerMemberId };
  for (const [label, who, role] of [
    ['admin', admin, 'admin'],
    ['member', member, 'member'],
    ['member2', member2, 'member'],
  ] as const) {
    memberIds[label] = await addMember(deps, workspace.id, who.user.id, role);
  }
  return { workspace, defaultProject, owner, admin, member, member2, outsider, memberIds };
}

/** Adds a user to a workspace directly (tests of invitations use the real flow). */
export async function addMember(
  deps: Deps,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<string> {
  const now = deps.clock.now();
  return upsertMember(deps.db, {
    id: newId('mem', now),
    workspaceId,
    userId,
    role,
    joinedAt: now,
  });
}

/** JSON request init with the caller's key. */
export function json(method: string, who: { headers: Record<string, string> }, body?: unknown): RequestInit {
  return {
    method,
    headers: { ...who.headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}
