import { normalizeDomainUrl } from '../domain/domain-verification.ts';
import { ApiError, validationError } from '../domain/errors.ts';
import type { Domain, DomainStatus } from '../domain/types.ts';
import { randomToken } from '../lib/crypto.ts';
import { newId } from '../lib/ids.ts';
import {
  findDomain,
  findLiveDomainByHost,
  findWorkspaceOwnerUserId,
  insertDomain,
  listWorkspaceDomains,
  markDomainVerified,
  softDeleteDomain,
} from '../store/domains.ts';
import { type Access, requireCapability, requireMember } from './access.ts';
import type { Deps } from './deps.ts';

export const DOMAIN_STATUSES: readonly DomainStatus[] = ['pending', 'verified', 'revoked'];

function duplicate(host: string): ApiError {
  return new ApiError(409, 'CONFLICT', `url: ${host} is already a domain of this workspace`, 'url');
}

/**
 * Adds a customer site to the workspace (admin or owner). The domain starts `pending` with a fresh
 * verification token; `verified: true` is for trusted callers only (CLI, demo), never for input
 * that came over the network.
 */
export async function addDomain(
  deps: Deps,
  access: Access,
  input: { url: string; verified?: boolean },
): Promise<Domain> {
  requireCapability(access, 'domain.manage', 'Adding a domain');
  const host = typeof input.url === 'string' ? normalizeDomainUrl(input.url) : null;
  if (host === null) {
    throw validationError('url', 'must be a site such as app.example.com or https://app.example.com');
  }
  const workspaceId = access.workspace.id;
  if (await findLiveDomainByHost(deps.db, workspaceId, host)) throw duplicate(host);
  const now = deps.clock.now();
  const verified = input.verified === true;
  const domain = await insertDomain(deps.db, {
    id: newId('dom', now),
    workspaceId,
    host,
    status: verified ? 'verified' : 'pending',
    verificationToken: `userplane-${randomToken(24)}`,
    verifiedAt: verified ? now : null,
    createdAt: now,
  });
  // The unique index caught a concurrent add of the same host.
  if (!domain) throw duplicate(host);
  return domain;
}

/** A domain of the workspace, deleted ones included (callers decide what "gone" means). */
async function domainOf(deps: Deps, access: Access, domainId: string): Promise<Domain> {
  const domain =
    typeof domainId === 'string' && domainId.length <= 64
      ? await findDomain(deps.db, access.workspace.id, domainId)
      : undefined;
  if (!domain) throw new ApiError(404, 'DOMAIN_NOT_FOUND', 'No such domain in this workspace');
  return domain;
}

function gone(): ApiError {
  return new ApiError(410, 'DOMAIN_GONE', 'This domain has been deleted');
}

/**
 * Checks the site for the domain's token (admin or owner). Success marks it verified; failure is
 * 422 DOMAIN_VERIFICATION_FAILED with the reason and leaves the status as it was. The fetch runs
 * outside any transaction: a slow site must not hold database locks.
 */
export async function verifyDomain(deps: Deps, access: Access, domainId: string): Promise<Domain> {
  requireCapability(access, 'domain.manage', 'Verifying a domain');
  const domain = await domainOf(deps, access, domainId);
  if (domain.deletedAt !== null) throw gone();
  if (domain.status === 'verified') return domain;
  const result = await deps.verifyDomain(domain.host, domain.verificationToken);
  if (!result.ok) {
    throw new ApiError(
      422,
      'DOMAIN_VERIFICATION_FAILED',
      `${domain.host} could not be verified: ${result.reason}`,
    );
  }
  const now = deps.clock.now();
  if (!(await markDomainVerified(deps.db, domain.id, now))) throw gone();
  return { ...domain, status: 'verified', verifiedAt: now };
}

/** The workspace's live domains, newest first, optionally of one status (any member). */
export async function listDomains(
  deps: Deps,
  access: Access,
  filter: { status?: DomainStatus | undefined } = {},
): Promise<Domain[]> {
  if (filter.status !== undefined && !DOMAIN_STATUSES.includes(filter.status)) {
    throw validationError('status', `must be one of ${DOMAIN_STATUSES.join(', ')}`);
  }
  return listWorkspaceDomains(deps.db, access.workspace.id, filter);
}

/** One domain of the workspace (any member); deleted → 410 DOMAIN_GONE, unknown → 404. */
export async function getDomain(deps: Deps, access: Access, domainId: string): Promise<Domain> {
  const domain = await domainOf(deps, access, domainId);
  if (domain.deletedAt !== null) throw gone();
  return domain;
}

/**
 * Soft-deletes a domain (admin or owner). Its links stay readable and keep working for recordings
 * already made; new links refuse it.
 */
export async function deleteDomain(deps: Deps, access: Access, domainId: string): Promise<void> {
  requireCapability(access, 'domain.manage', 'Deleting a domain');
  const domain = await domainOf(deps, access, domainId);
  if (domain.deletedAt !== null || !(await softDeleteDomain(deps.db, domain.id, deps.clock.now()))) {
    throw gone();
  }
}

/**
 * The workspace owner's access, for trusted callers acting on a workspace's behalf (CLI, demo).
 * An unknown workspace is WORKSPACE_NOT_FOUND: these callers are operators, not API users.
 */
export async function ownerAccess(deps: Deps, workspaceId: string): Promise<Access> {
  const ownerUserId = await findWorkspaceOwnerUserId(deps.db, workspaceId);
  if (!ownerUserId) throw new ApiError(404, 'WORKSPACE_NOT_FOUND', `No workspace with id ${workspaceId}`);
  return requireMember(deps, ownerUserId, workspaceId);
}
