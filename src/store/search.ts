import { type Expression, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { Role } from '../domain/permissions.ts';
import type { DomainStatus, LinkProviderType } from '../domain/types.ts';
import type { Db } from './db.ts';

// Ranked, case-insensitive search inside one workspace. Every dialect compares lower(column) with
// lower(term) so SQLite (case-insensitive LIKE) and PostgreSQL (case-sensitive LIKE) agree, and the
// term's own `%`, `_` and `\` are escaped so they match literally.

/** How a hit matched: the whole field, its start, or somewhere inside. */
export type SearchMatch = 'exact' | 'prefix' | 'substring';

const MATCHES: readonly SearchMatch[] = ['exact', 'prefix', 'substring'];

export interface LinkHit {
  id: string;
  title: string | null;
  providerType: LinkProviderType | null;
  providerReference: string | null;
  createdAt: number;
  match: SearchMatch;
}

export interface MemberHit {
  id: string;
  userId: string;
  name: string;
  email: string;
  role: Role;
  joinedAt: number;
  match: SearchMatch;
}

export interface ProjectHit {
  id: string;
  title: string;
  isDefault: boolean;
  createdAt: number;
  match: SearchMatch;
}

export interface DomainHit {
  id: string;
  host: string;
  status: DomainStatus;
  createdAt: number;
  match: SearchMatch;
}

/** Escapes LIKE wildcards (and the escape character itself) so a term matches literally. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// `cast(… as text)` gives PostgreSQL a type for the parameter (lower() is overloaded there).
function lowerParam(value: string): RawBuilder<string> {
  return sql<string>`lower(cast(${value} as text))`;
}

function anyOf(parts: RawBuilder<unknown>[]): RawBuilder<boolean> {
  return sql<boolean>`(${sql.join(parts, sql` or `)})`;
}

/** The WHERE condition (substring anywhere) and the rank (0 exact, 1 prefix, 2 substring). */
function ranking(columns: Expression<string | null>[], term: string) {
  const escaped = escapeLike(term);
  const like = (col: Expression<string | null>, pattern: string) =>
    sql`lower(${col}) like ${lowerParam(pattern)} escape '\\'`;
  const exact = anyOf(columns.map((col) => sql`lower(${col}) = ${lowerParam(term)}`));
  const prefix = anyOf(columns.map((col) => like(col, `${escaped}%`)));
  const where = anyOf(columns.map((col) => like(col, `%${escaped}%`)));
  const rank = sql<number>`case when ${exact} then 0 when ${prefix} then 1 else 2 end`;
  return { where, rank };
}

const matchOf = (rank: number | string): SearchMatch => MATCHES[Number(rank)] ?? 'substring';

/**
 * The filter and order of the single-table searches (links, projects, domains; each has
 * workspace_id, deleted_at, created_at and id): the workspace's live rows that match, best match
 * first, then newest. The query must select the rank `as('rank')`.
 */
function liveMatchesFirst<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  workspaceId: string,
  where: RawBuilder<boolean>,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  return qb
    .where(sql.ref('workspace_id'), '=', workspaceId)
    .where(sql.ref('deleted_at'), 'is', null)
    .where(where)
    .orderBy(sql.ref('rank'))
    .orderBy(sql.ref('created_at'), 'desc')
    .orderBy(sql.ref('id'), 'desc')
    .limit(limit);
}

/** Live links whose title, provider reference or id contains the term, best matches first. */
export async function searchLinks(
  db: Db,
  workspaceId: string,
  term: string,
  limit: number,
): Promise<LinkHit[]> {
  const { where, rank } = ranking([sql.ref('title'), sql.ref('provider_reference'), sql.ref('id')], term);
  const rows = await db
    .selectFrom('links')
    .select(['id', 'title', 'provider_type', 'provider_reference', 'created_at', rank.as('rank')])
    .$call((qb) => liveMatchesFirst(qb, workspaceId, where, limit))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    providerType: r.provider_type,
    providerReference: r.provider_reference,
    createdAt: r.created_at,
    match: matchOf(r.rank),
  }));
}

/** Active members whose name or email contains the term, best matches first. */
export async function searchMembers(
  db: Db,
  workspaceId: string,
  term: string,
  limit: number,
): Promise<MemberHit[]> {
  const { where, rank } = ranking([sql.ref('u.name'), sql.ref('u.email')], term);
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.id', 'm.user_id', 'u.name', 'u.email', 'm.role', 'm.joined_at', rank.as('rank')])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.removed_at', 'is', null)
    .where(where)
    .orderBy('rank')
    .orderBy('m.joined_at', 'desc')
    .orderBy('m.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    name: r.name,
    email: r.email,
    role: r.role,
    joinedAt: r.joined_at,
    match: matchOf(r.rank),
  }));
}

/** Live projects whose title contains the term, best matches first. */
export async function searchProjects(
  db: Db,
  workspaceId: string,
  term: string,
  limit: number,
): Promise<ProjectHit[]> {
  const { where, rank } = ranking([sql.ref('title')], term);
  const rows = await db
    .selectFrom('projects')
    .select(['id', 'title', 'is_default', 'created_at', rank.as('rank')])
    .$call((qb) => liveMatchesFirst(qb, workspaceId, where, limit))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    isDefault: r.is_default === 1,
    createdAt: r.created_at,
    match: matchOf(r.rank),
  }));
}

/** Live domains whose host contains the term, best matches first. */
export async function searchDomains(
  db: Db,
  workspaceId: string,
  term: string,
  limit: number,
): Promise<DomainHit[]> {
  const { where, rank } = ranking([sql.ref('host')], term);
  const rows = await db
    .selectFrom('domains')
    .select(['id', 'host', 'status', 'created_at', rank.as('rank')])
    .$call((qb) => liveMatchesFirst(qb, workspaceId, where, limit))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    host: r.host,
    status: r.status,
    createdAt: r.created_at,
    match: matchOf(r.rank),
  }));
}
