import type { Link, LinkProviderType } from '../domain/types.ts';
import type { Db } from './db.ts';
import { encodeJsonColumn, parseObjectColumn } from './json-columns.ts';
import { prepared } from './prepared.ts';
import type { LinksTable } from './schema.ts';

// A link is always read with its project title, its creator's name and its domain, in one query.
function selectLinks(db: Db) {
  return db
    .selectFrom('links as l')
    .innerJoin('projects as p', 'p.id', 'l.project_id')
    .innerJoin('members as m', 'm.id', 'l.creator_member_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('domains as d', 'd.id', 'l.domain_id')
    .select([
      'l.id',
      'l.workspace_id',
      'l.title',
      'l.type',
      'l.reusable',
      'l.provider_type',
      'l.provider_id',
      'l.provider_reference',
      'l.meta',
      'l.created_at',
      'l.updated_at',
      'l.deleted_at',
      'p.id as project_id',
      'p.title as project_title',
      'm.id as creator_member_id',
      'u.name as creator_name',
      'd.id as domain_id',
      'd.host as domain_host',
      'd.status as domain_status',
    ]);
}

type LinkRow = Awaited<ReturnType<ReturnType<typeof selectLinks>['executeTakeFirstOrThrow']>>;

function toLink(row: LinkRow): Link {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    title: row.title,
    type: row.type,
    reusable: row.reusable === 1,
    providerType: row.provider_type,
    providerId: row.provider_id,
    providerReference: row.provider_reference,
    meta: parseObjectColumn(row.meta),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    project: { id: row.project_id, title: row.project_title },
    creator: { memberId: row.creator_member_id, name: row.creator_name },
    domain: { id: row.domain_id, host: row.domain_host, status: row.domain_status },
  };
}

/** A new link as services describe it; insertLink encodes the row (0/1 boolean, meta as JSON text). */
export interface NewLink {
  id: string;
  workspaceId: string;
  projectId: string;
  domainId: string;
  creatorMemberId: string;
  title: string | null;
  reusable: boolean;
  providerType: LinkProviderType | null;
  providerId: string | null;
  providerReference: string | null;
  meta: Record<string, unknown>;
  /** Also its first updated_at. */
  createdAt: number;
}

/** Inserts a live link of the only type there is ('file'). */
export async function insertLink(db: Db, link: NewLink): Promise<void> {
  await db
    .insertInto('links')
    .values({
      id: link.id,
      workspace_id: link.workspaceId,
      project_id: link.projectId,
      domain_id: link.domainId,
      creator_member_id: link.creatorMemberId,
      title: link.title,
      type: 'file',
      reusable: link.reusable ? 1 : 0,
      provider_type: link.providerType,
      provider_id: link.providerId,
      provider_reference: link.providerReference,
      meta: encodeJsonColumn(link.meta),
      created_at: link.createdAt,
      updated_at: link.createdAt,
      deleted_at: null,
    })
    .execute();
}

/** A link of the workspace by id, deleted or not; another workspace's link is not found (S39). */
export async function findLink(db: Db, workspaceId: string, linkId: string): Promise<Link | undefined> {
  const row = await selectLinks(db)
    .where('l.id', '=', linkId)
    .where('l.workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row && toLink(row);
}

/** Links of the workspace with these ids (deleted or not), in the order of `ids`. */
export async function findLinksByIds(db: Db, workspaceId: string, ids: string[]): Promise<Link[]> {
  if (ids.length === 0) return [];
  const rows = await selectLinks(db)
    .where('l.id', 'in', ids)
    .where('l.workspace_id', '=', workspaceId)
    .execute();
  const byId = new Map(rows.map((row) => [row.id, toLink(row)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export interface LinkFilter {
  projectId?: string | undefined;
  createdBy?: string | undefined;
  domainId?: string | undefined;
}

/**
 * One page of the workspace's live links, newest first, and the total. Each filter matches a
 * `links_live_by_<column>` partial index, so the page needs no sort.
 */
export async function listWorkspaceLinks(
  db: Db,
  workspaceId: string,
  filter: LinkFilter,
  page: { limit: number; offset: number },
): Promise<{ items: Link[]; total: number }> {
  const { projectId, createdBy, domainId } = filter;
  const variant =
    (projectId !== undefined ? 1 : 0) | (createdBy !== undefined ? 2 : 0) | (domainId !== undefined ? 4 : 0);
  let queries = linkPageQueries[variant];
  if (!queries) {
    queries = preparedLinkPage(variant);
    linkPageQueries[variant] = queries;
  }
  const values = [workspaceId];
  if (projectId !== undefined) values.push(projectId);
  if (createdBy !== undefined) values.push(createdBy);
  if (domainId !== undefined) values.push(domainId);
  const [rows, total] = await Promise.all([
    queries.items(db, ...values, page.limit, page.offset),
    queries.count(db, ...values),
  ]);
  return { items: rows.map(toLink), total: Number(total[0]?.n ?? 0) };
}

// The page and its count, compiled once per filter combination (prepared.ts): the MCP and REST link
// lists run them on every call.
const linkPageQueries: Array<ReturnType<typeof preparedLinkPage> | undefined> = [];

function preparedLinkPage(variant: number) {
  const count = 1 + (variant & 1) + ((variant >> 1) & 1) + ((variant >> 2) & 1);
  // `values`: the workspace id, then the values of this variant's filters, in LinkFilter's order.
  const where = (values: unknown[]) => {
    const at = { i: 0 };
    const next = () => values[at.i++] as string;
    return {
      workspaceId: next(),
      projectId: variant & 1 ? next() : undefined,
      createdBy: variant & 2 ? next() : undefined,
      domainId: variant & 4 ? next() : undefined,
    };
  };
  return {
    items: prepared(count + 2, (db, ...params: unknown[]) => {
      const f = where(params);
      let q = selectLinks(db).where('l.workspace_id', '=', f.workspaceId).where('l.deleted_at', 'is', null);
      if (f.projectId !== undefined) q = q.where('l.project_id', '=', f.projectId);
      if (f.createdBy !== undefined) q = q.where('l.creator_member_id', '=', f.createdBy);
      if (f.domainId !== undefined) q = q.where('l.domain_id', '=', f.domainId);
      return q
        .orderBy('l.created_at', 'desc')
        .orderBy('l.id', 'desc')
        .limit(params[count] as number)
        .offset(params[count + 1] as number);
    }),
    count: prepared(count, (db, ...params: unknown[]) => {
      const f = where(params);
      let q = db
        .selectFrom('links as l')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('l.workspace_id', '=', f.workspaceId)
        .where('l.deleted_at', 'is', null);
      if (f.projectId !== undefined) q = q.where('l.project_id', '=', f.projectId);
      if (f.createdBy !== undefined) q = q.where('l.creator_member_id', '=', f.createdBy);
      if (f.domainId !== undefined) q = q.where('l.domain_id', '=', f.domainId);
      return q;
    }),
  };
}

/** The columns a link update may change. */
export interface LinkPatch {
  title?: string | null;
  reusable?: boolean;
  providerType?: LinkProviderType | null;
  providerId?: string | null;
  providerReference?: string | null;
  meta?: Record<string, unknown>;
}

/** Applies a patch to a live link; false when it is deleted (or never existed). */
export async function updateLinkRow(db: Db, linkId: string, patch: LinkPatch, now: number): Promise<boolean> {
  const set: Partial<LinksTable> = { updated_at: now };
  if (patch.title !== undefined) set.title = patch.title;
  if (patch.reusable !== undefined) set.reusable = patch.reusable ? 1 : 0;
  if (patch.providerType !== undefined) set.provider_type = patch.providerType;
  if (patch.providerId !== undefined) set.provider_id = patch.providerId;
  if (patch.providerReference !== undefined) set.provider_reference = patch.providerReference;
  if (patch.meta !== undefined) set.meta = encodeJsonColumn(patch.meta);
  const result = await db
    .updateTable('links')
    .set(set)
    .where('id', '=', linkId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Soft-deletes a live link in one conditional UPDATE; false when it was already deleted. */
export async function softDeleteLink(db: Db, linkId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('links')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', linkId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
