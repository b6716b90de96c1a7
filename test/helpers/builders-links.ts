import type { Domain, Link } from '../../src/domain/types.ts';
import { type Access, requireMember } from '../../src/services/access.ts';
import type { Deps } from '../../src/services/deps.ts';
import { addDomain } from '../../src/services/domains.ts';
import { createLink, type LinkInput } from '../../src/services/links.ts';

let counter = 0;

/** The access of a user in a workspace, as a request would see it. */
export function accessOf(deps: Deps, who: { user: { id: string } }, workspaceId: string): Promise<Access> {
  return requireMember(deps, who.user.id, workspaceId);
}

/** A verified domain with a unique host, added through the service as a trusted caller. */
export async function verifiedDomain(deps: Deps, access: Access): Promise<Domain> {
  counter += 1;
  const suffix = `${counter}-${Math.random().toString(36).slice(2, 8)}`;
  return addDomain(deps, access, { url: `app-${suffix}.example.com`, verified: true });
}

/**
 * A link created by `access` through the service. Without `domainId` a fresh verified domain is
 * added first, which needs an admin or owner; pass a domain's id to create as a member.
 */
export async function link(deps: Deps, access: Access, overrides: Partial<LinkInput> = {}): Promise<Link> {
  const domainId = overrides.domainId ?? (await verifiedDomain(deps, access)).id;
  return createLink(deps, access, { title: 'Help with checkout', ...overrides, domainId });
}
