// PRODUCT.md §2: one rule set for the dashboard, the REST API and MCP. Pure functions, no I/O.

export type Role = 'owner' | 'admin' | 'member';

export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

export type Capability =
  | 'workspace.read'
  | 'link.create'
  | 'link.update'
  | 'link.delete'
  | 'recording.update'
  | 'recording.delete'
  | 'project.manage'
  | 'domain.manage'
  | 'member.manage'
  | 'webhook.manage'
  | 'delivery.read'
  | 'integration.manage'
  | 'workspace.delete'
  | 'workspace.transfer';

export const CAPABILITIES: readonly Capability[] = [
  'workspace.read',
  'link.create',
  'link.update',
  'link.delete',
  'recording.update',
  'recording.delete',
  'project.manage',
  'domain.manage',
  'member.manage',
  'webhook.manage',
  'delivery.read',
  'integration.manage',
  'workspace.delete',
  'workspace.transfer',
];

/** The least role that holds a capability unconditionally. */
const REQUIRED: Record<Capability, Role> = {
  'workspace.read': 'member',
  'link.create': 'member',
  'link.update': 'member',
  'recording.update': 'member',
  // Members may delete only what hangs off their own links; see canDelete.
  'link.delete': 'admin',
  'recording.delete': 'admin',
  'project.manage': 'admin',
  'domain.manage': 'admin',
  'member.manage': 'admin',
  // Webhook endpoints and the delivery log (issue 10 §4): workspace settings, so admins and owners.
  'webhook.manage': 'admin',
  'delivery.read': 'admin',
  // Slack, Intercom and Zendesk credentials post into the workspace's tools: admins and owners.
  'integration.manage': 'admin',
  'workspace.delete': 'owner',
  'workspace.transfer': 'owner',
};

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

/** The role a capability needs, for messages such as "requires the admin or owner role". */
export function requiredRole(capability: Capability): Role {
  return REQUIRED[capability];
}

/** True when `role` holds `capability` outright (without the link-creator rule). */
export function can(role: Role, capability: Capability): boolean {
  return RANK[role] >= RANK[REQUIRED[capability]];
}

/**
 * Deleting a link or a recording: admins and owners always; a member only when they created the
 * link (the link's creator owns its recordings).
 */
export function canDelete(
  actor: { role: Role; memberId: string },
  capability: 'link.delete' | 'recording.delete',
  linkCreatorMemberId: string,
): boolean {
  return can(actor.role, capability) || actor.memberId === linkCreatorMemberId;
}

/**
 * Changing someone's membership (role change or removal). Admins and owners manage members but
 * nobody touches the owner's membership that way: ownership moves only by transfer. Only the
 * owner can make someone an owner (by transfer), so `newRole` may not be 'owner'.
 */
export function canManageMember(actorRole: Role, targetRole: Role, newRole?: Role): boolean {
  if (!can(actorRole, 'member.manage')) return false;
  if (targetRole === 'owner') return false;
  if (newRole === 'owner') return false;
  return true;
}

/** Words for a refusal: which roles hold the capability. */
export function describeRequirement(capability: Capability): string {
  const need = REQUIRED[capability];
  if (need === 'owner') return 'the owner role';
  if (need === 'admin') return 'the admin or owner role';
  return 'membership of the workspace';
}
