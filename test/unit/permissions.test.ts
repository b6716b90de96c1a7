import { describe, expect, it } from 'vitest';
import {
  CAPABILITIES,
  type Capability,
  can,
  canDelete,
  canManageMember,
  describeRequirement,
  ROLES,
  type Role,
  requiredRole,
} from '../../src/domain/permissions.ts';

// PRODUCT.md §2, written out literally: [owner, admin, member]. "Delete a link or a recording" is
// admin+ outright; a member may do it only as the link's creator (canDelete, below).
const MATRIX: Record<Capability, [boolean, boolean, boolean]> = {
  'workspace.read': [true, true, true],
  'link.create': [true, true, true],
  'link.update': [true, true, true],
  'recording.update': [true, true, true],
  'link.delete': [true, true, false],
  'recording.delete': [true, true, false],
  'project.manage': [true, true, false],
  'domain.manage': [true, true, false],
  'member.manage': [true, true, false],
  'webhook.manage': [true, true, false],
  'delivery.read': [true, true, false],
  'integration.manage': [true, true, false],
  'workspace.delete': [true, false, false],
  'workspace.transfer': [true, false, false],
};
const COLUMN: Record<Role, number> = { owner: 0, admin: 1, member: 2 };

describe('permissions (PRODUCT.md §2)', () => {
  it('the table covers every capability and every role, no more', () => {
    expect(Object.keys(MATRIX).sort()).toEqual([...CAPABILITIES].sort());
    expect([...ROLES].sort()).toEqual(['admin', 'member', 'owner']);
  });

  const cases = CAPABILITIES.flatMap((capability) =>
    ROLES.map((role) => ({ role, capability, expected: MATRIX[capability][COLUMN[role]] })),
  );
  it.each(cases)('$role → $capability: $expected', ({ role, capability, expected }) => {
    expect(can(role, capability)).toBe(expected);
  });

  it('requiredRole and describeRequirement name the least role holding a capability', () => {
    expect(requiredRole('workspace.read')).toBe('member');
    expect(requiredRole('project.manage')).toBe('admin');
    expect(requiredRole('workspace.transfer')).toBe('owner');
    expect(describeRequirement('member.manage')).toBe('the admin or owner role');
    expect(describeRequirement('workspace.delete')).toBe('the owner role');
    expect(describeRequirement('link.create')).toBe('membership of the workspace');
  });

  describe('canDelete: the link creator rule', () => {
    const creator = 'mem_creator';
    it.each([
      ['owner', 'mem_other', true],
      ['admin', 'mem_other', true],
      ['member', 'mem_other', false],
      ['member', creator, true],
      ['admin', creator, true],
    ] as const)('%s (%s) deleting a link and a recording of the creator: %s', (role, memberId, expected) => {
      expect(canDelete({ role, memberId }, 'link.delete', creator)).toBe(expected);
      expect(canDelete({ role, memberId }, 'recording.delete', creator)).toBe(expected);
    });
  });

  describe('canManageMember: never the owner, never to owner', () => {
    it.each([
      // actor, target, newRole, expected
      ['owner', 'admin', 'member', true],
      ['owner', 'member', 'admin', true],
      ['admin', 'admin', 'member', true],
      ['admin', 'member', 'admin', true],
      ['owner', 'member', undefined, true],
      ['admin', 'member', undefined, true],
      ['admin', 'admin', undefined, true],
      ['member', 'member', 'admin', false],
      ['member', 'member', undefined, false],
      ['member', 'admin', 'member', false],
      ['admin', 'owner', 'member', false],
      ['admin', 'owner', undefined, false],
      ['owner', 'owner', 'admin', false],
      ['owner', 'owner', undefined, false],
      ['owner', 'admin', 'owner', false],
      ['admin', 'member', 'owner', false],
    ] as const)('%s acting on %s → %s: %s', (actor, target, newRole, expected) => {
      expect(canManageMember(actor, target, newRole)).toBe(expected);
    });
  });
});
