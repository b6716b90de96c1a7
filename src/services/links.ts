import { z } from 'zod';
import { ApiError, validationError } from '../domain/errors.ts';
import { canDelete, describeRequirement } from '../domain/permissions.ts';
import { jsonObject, singleLine } from '../domain/text-rules.ts';
import { LINK_PROVIDER_TYPES, type Link, type LinkProviderType, type Page } from '../domain/types.ts';
import { ProviderTypeSchema } from '../domain/wire.ts';
import { iso } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { findDomain } from '../store/domains.ts';
import {
  findLink,
  findLinksByIds,
  insertLink,
  type LinkPatch,
  listWorkspaceLinks,
  softDeleteLink,
  updateLinkRow,
} from '../store/links.ts';
import { findDefaultProject, findWorkspaceProject } from '../store/projects.ts';
import { listRestorableLinkIds, restoreLinkRow } from '../store/retention.ts';
import type { Access } from './access.ts';
import { linkEventData, newEventId } from './delivery/events.ts';
import { publish } from './delivery/outbox.ts';
import type { Deps } from './deps.ts';
import { checkPage, type PageRequest } from './paging.ts';
import { deletedCutoff, purgeDueAt } from './retention.ts';

export const MAX_LINK_TITLE = 200;
export const MAX_LINK_PROVIDER_ID = 200;
export const MAX_LINK_PROVIDER_REFERENCE = 500;
/** `meta` is free JSON, at most this many bytes once serialised (PRODUCT.md §1). */
export const MAX_LINK_META_BYTES = 10 * 1024;
const MAX_ID = 64;

const idField = () => singleLine().min(1).max(MAX_ID);

/**
 * The input of createLink and updateLink with its limits, written once: the REST routes and the MCP
 * tools build their bodies from these fields (under their own names and descriptions), and the
 * service checks the same limits again for callers that skip the schema (the dashboard's forms).
 */
export const LinkInputSchema = z.object({
  domainId: idField(),
  projectId: idField().nullable().optional(),
  title: singleLine().max(MAX_LINK_TITLE).nullable().optional(),
  reusable: z.boolean().optional(),
  providerType: ProviderTypeSchema.nullable().optional(),
  providerId: singleLine().max(MAX_LINK_PROVIDER_ID).nullable().optional(),
  providerReference: singleLine().max(MAX_LINK_PROVIDER_REFERENCE).nullable().optional(),
  // The service measures the 10 KB limit on the serialised object and names `meta` when it is exceeded.
  meta: jsonObject(200).optional(),
});
export type LinkInput = z.input<typeof LinkInputSchema>;

/** What updateLink changes: any of the fields but the domain and project. */
export const LinkUpdateSchema = LinkInputSchema.omit({ domainId: true, projectId: true });
export type LinkUpdate = z.input<typeof LinkUpdateSchema>;

/** The filters of listLinks (REST and MCP name them project_id, created_by, domain_id). */
export const LinkFilterSchema = z.object({
  projectId: idField().optional(),
  createdBy: idField().optional(),
  domainId: idField().optional(),
});

function optionalText(field: string, value: unknown, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw validationError(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed.length > max) throw validationError(field, `must be at most ${max} characters`);
  return trimmed === '' ? null : trimmed;
}

function providerType(value: unknown): LinkProviderType | null {
  if (value === null || value === undefined) return null;
  if (!LINK_PROVIDER_TYPES.includes(value as LinkProviderType)) {
    throw validationError('providerType', `must be one of ${LINK_PROVIDER_TYPES.join(', ')} or null`);
  }
  return value as LinkProviderType;
}

function reusable(value: unknown): boolean {
  if (typeof value !== 'boolean') throw validationError('reusable', 'must be true or false');
  return value;
}

/** `meta` as given, refusing anything but a JSON object of at most 10 KB once serialised (the store encodes it). */
function checkMeta(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validationError('meta', 'must be a JSON object');
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    throw validationError('meta', 'must be serialisable as JSON');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_LINK_META_BYTES) {
    throw validationError('meta', `must be at most ${MAX_LINK_META_BYTES} bytes as JSON`);
  }
  return value as Record<string, unknown>;
}

function notFound(): ApiError {
  return new ApiError(404, 'LINK_NOT_FOUND', 'No such link in this workspace');
}

/** A link of the workspace, deleted or not; 404 when unknown or in another workspace (S39). */
async function linkOf(deps: Deps, access: Access, linkId: string): Promise<Link> {
  const link =
    typeof linkId === 'string' && linkId.length <= MAX_ID
      ? await findLink(deps.db, access.workspace.id, linkId)
      : undefined;
  if (!link) throw notFound();
  return link;
}

function gone(): ApiError {
  return new ApiError(410, 'LINK_GONE', 'This link has been deleted');
}

/**
 * Creates a recording link (any member). The domain must be a verified, live domain of the
 * workspace; the project defaults to the workspace's default project; the caller's membership is
 * the creator, and so owns the recordings made through it.
 */
export async function createLink(deps: Deps, access: Access, input: LinkInput): Promise<Link> {
  // Validate every field before touching the database, so bad input changes nothing (S38).
  if (typeof input.domainId !== 'string' || input.domainId === '' || input.domainId.length > MAX_ID) {
    throw validationError('domainId', 'is required');
  }
  const title = optionalText('title', input.title, MAX_LINK_TITLE);
  const type = providerType(input.providerType);
  const providerId = optionalText('providerId', input.providerId, MAX_LINK_PROVIDER_ID);
  const reference = optionalText('providerReference', input.providerReference, MAX_LINK_PROVIDER_REFERENCE);
  const isReusable = input.reusable === undefined ? false : reusable(input.reusable);
  const meta = checkMeta(input.meta ?? {});
  if (input.projectId !== undefined && input.projectId !== null) {
    if (typeof input.projectId !== 'string' || input.projectId === '' || input.projectId.length > MAX_ID) {
      throw validationError('projectId', `must be a project id of at most ${MAX_ID} characters`);
    }
  }
  const workspaceId = access.workspace.id;

  const link = await deps.db.transaction().execute(async (trx) => {
    const domain = await findDomain(trx, workspaceId, input.domainId);
    if (!domain) throw new ApiError(404, 'DOMAIN_NOT_FOUND', 'No such domain in this workspace');
    if (domain.deletedAt !== null) throw new ApiError(410, 'DOMAIN_GONE', 'This domain has been deleted');
    if (domain.status !== 'verified') {
      throw new ApiError(
        400,
        'DOMAIN_NOT_VERIFIED',
        `domainId: ${domain.host} is ${domain.status}; only a verified domain can carry new links`,
        'domainId',
      );
    }

    let projectId: string;
    if (input.projectId === undefined || input.projectId === null) {
      const project = await findDefaultProject(trx, workspaceId);
      if (!project) {
        throw new ApiError(404, 'LINK_DEFAULT_PROJECT_NOT_FOUND', 'This workspace has no default project');
      }
      projectId = project.id;
    } else {
      const project = await findWorkspaceProject(trx, workspaceId, input.projectId);
      if (!project) throw new ApiError(404, 'PROJECT_NOT_FOUND', 'No such project in this workspace');
      if (project.deletedAt !== null) {
        throw new ApiError(
          410,
          'LINK_PROJECT_DELETED',
          'projectId: this project has been deleted',
          'projectId',
        );
      }
      projectId = project.id;
    }

    const now = deps.clock.now();
    const id = newId('lnk', now);
    await insertLink(trx, {
      id,
      workspaceId,
      projectId,
      domainId: domain.id,
      creatorMemberId: access.member.id,
      title,
      reusable: isReusable,
      providerType: type,
      providerId,
      providerReference: reference,
      meta,
      createdAt: now,
    });
    const created = await findLink(trx, workspaceId, id);
    if (!created) throw new Error(`link ${id} vanished inside its own transaction`);
    await publish(deps, trx, {
      type: 'link.created',
      id: newEventId(deps),
      at: now,
      workspaceId,
      link: linkEventData(deps, created),
    });
    return created;
  });
  deps.wakeDeliveries();
  return link;
}

/** A page of the workspace's live links, newest first, with optional filters (any member). */
export async function listLinks(
  deps: Deps,
  access: Access,
  query: {
    page: number;
    perPage: number;
    projectId?: string | undefined;
    createdBy?: string | undefined;
    domainId?: string | undefined;
  },
): Promise<Page<Link>> {
  const { page, perPage } = checkPage({ page: query.page, perPage: query.perPage });
  for (const [field, value] of [
    ['project_id', query.projectId],
    ['created_by', query.createdBy],
    ['domain_id', query.domainId],
  ] as const) {
    if (value !== undefined && value.length > MAX_ID) {
      throw validationError(field, `must be at most ${MAX_ID} characters`);
    }
  }
  const { items, total } = await listWorkspaceLinks(
    deps.db,
    access.workspace.id,
    { projectId: query.projectId, createdBy: query.createdBy, domainId: query.domainId },
    { limit: perPage, offset: (page - 1) * perPage },
  );
  return { items, page, perPage, total };
}

/** One link of the workspace (any member): deleted → 410 LINK_GONE, unknown → 404 LINK_NOT_FOUND. */
export async function getLink(deps: Deps, access: Access, linkId: string): Promise<Link> {
  const link = await linkOf(deps, access, linkId);
  if (link.deletedAt !== null) throw gone();
  return link;
}

/** Updates a link's title, reuse, provider fields or meta (any member); an empty patch is a 400. */
export async function updateLink(
  deps: Deps,
  access: Access,
  linkId: string,
  patch: LinkUpdate,
): Promise<Link> {
  const changes: LinkPatch = {};
  if (patch.title !== undefined) changes.title = optionalText('title', patch.title, MAX_LINK_TITLE);
  if (patch.reusable !== undefined) changes.reusable = reusable(patch.reusable);
  if (patch.providerType !== undefined) changes.providerType = providerType(patch.providerType);
  if (patch.providerId !== undefined) {
    changes.providerId = optionalText('providerId', patch.providerId, MAX_LINK_PROVIDER_ID);
  }
  if (patch.providerReference !== undefined) {
    changes.providerReference = optionalText(
      'providerReference',
      patch.providerReference,
      MAX_LINK_PROVIDER_REFERENCE,
    );
  }
  if (patch.meta !== undefined) changes.meta = checkMeta(patch.meta);
  if (Object.keys(changes).length === 0) throw validationError('body', 'name at least one field to update');

  const link = await linkOf(deps, access, linkId);
  if (link.deletedAt !== null) throw gone();
  // Conditional on the link still being live: a delete racing this update wins cleanly.
  if (!(await updateLinkRow(deps.db, link.id, changes, deps.clock.now()))) throw gone();
  return getLink(deps, access, link.id);
}

/**
 * Soft-deletes a link: admins and owners always, a member only a link they created
 * (PRODUCT.md §2). Recordings made through it stay where they are.
 */
export async function deleteLink(deps: Deps, access: Access, linkId: string): Promise<void> {
  const link = await linkOf(deps, access, linkId);
  if (link.deletedAt !== null) throw gone();
  const actor = { role: access.member.role, memberId: access.member.id };
  if (!canDelete(actor, 'link.delete', link.creator.memberId)) {
    throw new ApiError(
      403,
      'LINK_DELETE_FORBIDDEN',
      `Deleting this link requires ${describeRequirement('link.delete')}, or being its creator; your role is ${access.member.role}. Ask an owner or admin (Workspace Settings > Team).`,
    );
  }
  // One conditional UPDATE: of two concurrent deletes exactly one succeeds, the other sees it gone.
  await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now();
    if (!(await softDeleteLink(trx, link.id, now))) throw gone();
    await publish(deps, trx, {
      type: 'link.deleted',
      id: newEventId(deps),
      at: now,
      workspaceId: link.workspaceId,
      linkId: link.id,
    });
  });
  deps.wakeDeliveries();
}

function mayDelete(access: Access, link: Link): boolean {
  return canDelete(
    { role: access.member.role, memberId: access.member.id },
    'link.delete',
    link.creator.memberId,
  );
}

/** Why a link cannot be restored at `now`, or undefined when it can. */
async function restoreRefusal(
  deps: Deps,
  access: Access,
  link: Link,
  now: number,
): Promise<ApiError | undefined> {
  if (link.deletedAt === null)
    return new ApiError(409, 'LINK_NOT_DELETED', 'This link is not deleted; there is nothing to restore');
  const project = await findWorkspaceProject(deps.db, access.workspace.id, link.project.id);
  if (!project || project.deletedAt !== null) {
    return new ApiError(
      410,
      'LINK_PROJECT_DELETED',
      "This link's project has been deleted; its links go with it and can no longer be restored",
    );
  }
  if (link.deletedAt <= deletedCutoff(deps.config, now)) {
    return new ApiError(
      410,
      'LINK_GONE',
      `This link was deleted on ${iso(link.deletedAt)}; deleted links can be restored for ${deps.config.deletedRetentionDays} days, so it can no longer be restored`,
    );
  }
  return undefined;
}

/**
 * Brings a soft-deleted link back within DELETED_RETENTION_DAYS (the same people as delete: admins,
 * owners, its creator): customers can record through it again (a single-use link that already has
 * a recording stays used). A live link is 409 LINK_NOT_DELETED; after the grace period 410
 * LINK_GONE; a link of a deleted project 410 LINK_PROJECT_DELETED.
 */
export async function restoreLink(deps: Deps, access: Access, linkId: string): Promise<Link> {
  const link = await linkOf(deps, access, linkId);
  if (!mayDelete(access, link)) {
    throw new ApiError(
      403,
      'LINK_RESTORE_FORBIDDEN',
      `Restoring this link requires ${describeRequirement('link.delete')}, or being its creator; your role is ${access.member.role}. Ask an owner or admin (Workspace Settings > Team).`,
    );
  }
  const now = deps.clock.now();
  const refusal = await restoreRefusal(deps, access, link, now);
  if (refusal) throw refusal;
  // One conditional UPDATE, checked against the same grace period the purge uses.
  if (!(await restoreLinkRow(deps.db, link.id, deletedCutoff(deps.config, now), now))) {
    const fresh = await linkOf(deps, access, link.id);
    throw (await restoreRefusal(deps, access, fresh, now)) ?? gone();
  }
  return getLink(deps, access, link.id);
}

/** A deleted link that can still be restored, and when the purge removes it. */
export interface DeletedLink {
  link: Link;
  /**
   * Deleted at + DELETED_RETENTION_DAYS: it can no longer be restored after this, and the next
   * retention run removes it (once no recording made through it is left).
   */
  purgeAt: number;
  canRestore: boolean;
}

/** The workspace's links that can still be restored (any member may see them), most recently deleted first. */
export async function listDeletedLinks(
  deps: Deps,
  access: Access,
  page: PageRequest,
): Promise<Page<DeletedLink>> {
  const { page: p, perPage } = checkPage(page);
  const now = deps.clock.now();
  const { ids, total } = await listRestorableLinkIds(
    deps.db,
    access.workspace.id,
    deletedCutoff(deps.config, now),
    {
      limit: perPage,
      offset: (p - 1) * perPage,
    },
  );
  const items = (await findLinksByIds(deps.db, access.workspace.id, ids)).map((link) => ({
    link,
    purgeAt: purgeDueAt(deps.config, link.deletedAt ?? now),
    canRestore: mayDelete(access, link),
  }));
  return { items, page: p, perPage, total };
}
