import { ApiError } from '../domain/errors.ts';
import {
  type DomainHit,
  type LinkHit,
  type MemberHit,
  type ProjectHit,
  searchDomains,
  searchLinks,
  searchMembers,
  searchProjects,
} from '../store/search.ts';
import { type Access, requireCapability } from './access.ts';
import type { Deps } from './deps.ts';

export type { DomainHit, LinkHit, MemberHit, ProjectHit, SearchMatch } from '../store/search.ts';

export const SEARCH_TYPES = ['links', 'members', 'projects', 'domains'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];
export const SEARCH_TERM_MAX = 100;
export const SEARCH_RESULT_LIMIT = 20;

export type SearchResult =
  | { type: 'links'; q: string; results: LinkHit[] }
  | { type: 'members'; q: string; results: MemberHit[] }
  | { type: 'projects'; q: string; results: ProjectHit[] }
  | { type: 'domains'; q: string; results: DomainHit[] };

/**
 * Checks search input the same way for every surface: `q` 1–100 characters after trimming
 * (missing or blank → WORKSPACE_SEARCH_TERM_REQUIRED), `type` one of SEARCH_TYPES.
 */
export function checkSearchInput(
  q: string | undefined,
  type: string | undefined,
): { q: string; type: SearchType } {
  const term = q?.trim() ?? '';
  if (term.length === 0)
    throw new ApiError(400, 'WORKSPACE_SEARCH_TERM_REQUIRED', 'q: a search term is required', 'q');
  if (term.length > SEARCH_TERM_MAX)
    throw new ApiError(400, 'VALIDATION_FAILED', `q: must be at most ${SEARCH_TERM_MAX} characters`, 'q');
  if (type === undefined || !(SEARCH_TYPES as readonly string[]).includes(type)) {
    throw new ApiError(
      400,
      'WORKSPACE_SEARCH_TYPE_INVALID',
      `type: must be one of ${SEARCH_TYPES.join(', ')}`,
      'type',
    );
  }
  return { q: term, type: type as SearchType };
}

/**
 * Searches one kind of thing in the caller's workspace: exact matches first, then prefixes, then
 * substrings, case-insensitive, at most 20, soft-deleted rows left out.
 */
export async function searchWorkspace(
  deps: Deps,
  access: Access,
  input: { q: string | undefined; type: string | undefined },
): Promise<SearchResult> {
  requireCapability(access, 'workspace.read', 'Searching');
  const { q, type } = checkSearchInput(input.q, input.type);
  const ws = access.workspace.id;
  switch (type) {
    case 'links':
      return { type, q, results: await searchLinks(deps.db, ws, q, SEARCH_RESULT_LIMIT) };
    case 'members':
      return { type, q, results: await searchMembers(deps.db, ws, q, SEARCH_RESULT_LIMIT) };
    case 'projects':
      return { type, q, results: await searchProjects(deps.db, ws, q, SEARCH_RESULT_LIMIT) };
    case 'domains':
      return { type, q, results: await searchDomains(deps.db, ws, q, SEARCH_RESULT_LIMIT) };
  }
}
