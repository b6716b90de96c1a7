import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../domain/errors.ts';
import { singleLine } from '../../domain/text-rules.ts';
import type { Member, Workspace } from '../../domain/types.ts';
import { ProviderTypeSchema, pagination } from '../../domain/wire.ts';
import { iso } from '../../lib/clock.ts';
import { requireMember } from '../../services/access.ts';
import { SEARCH_TERM_MAX, SEARCH_TYPES, type SearchResult, searchWorkspace } from '../../services/search.ts';
import {
  getWorkspace,
  getWorkspaceStorage,
  listMyWorkspaces,
  type WorkspaceStorage,
} from '../../services/workspace-admin.ts';
import {
  errorResponses,
  ok,
  paginationQuery,
  type RegisterRoutes,
  workspaceIdParam,
  zodToApiError,
} from './common.ts';
import { dataResponse, pageResponse } from './route-kit.ts';

export const MembershipSchema = z
  .object({
    workspaceMemberId: z.string(),
    workspaceRole: z.enum(['owner', 'admin', 'member']),
    workspaceJoinedAt: z.string(),
  })
  .openapi('WorkspaceMembership');

const workspaceFields = {
  workspaceId: z.string(),
  workspaceName: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  membership: MembershipSchema.optional(),
};

const WorkspaceSchema = z.object(workspaceFields).openapi('Workspace');

const WorkspaceStorageSchema = z
  .object({
    bytes: z.number().int().openapi({
      description:
        "Bytes of the workspace's recording files: every stored resource (video, thumbnail, logs) of its recordings, deleted ones included until their files are purged. Demo recordings share one video file; each counts its size.",
      example: 1_234_567,
    }),
    recordings: z
      .number()
      .int()
      .openapi({ description: 'Recordings not deleted (pending, ready and failed)', example: 14 }),
  })
  .openapi('WorkspaceStorage');

// One workspace (GET /public/workspace/{id}) also tells its storage use; lists do not.
const WorkspaceDetailSchema = z
  .object({ ...workspaceFields, storage: WorkspaceStorageSchema })
  .openapi('WorkspaceDetail');

/** Domain membership → wire membership. */
export function membershipToWire(member: Member): z.infer<typeof MembershipSchema> {
  return {
    workspaceMemberId: member.id,
    workspaceRole: member.role,
    workspaceJoinedAt: iso(member.joinedAt),
  };
}

/** Domain workspace → wire workspace, with the caller's membership when given. */
export function workspaceToWire(workspace: Workspace, member?: Member): z.infer<typeof WorkspaceSchema> {
  return {
    workspaceId: workspace.id,
    workspaceName: workspace.name,
    createdAt: iso(workspace.createdAt),
    updatedAt: iso(workspace.updatedAt),
    ...(member ? { membership: membershipToWire(member) } : {}),
  };
}

/** Storage use → wire. */
function storageToWire(storage: WorkspaceStorage): z.infer<typeof WorkspaceStorageSchema> {
  return { bytes: storage.bytes, recordings: storage.recordings };
}

const listWorkspaces = createRoute({
  method: 'get',
  path: '/public/workspaces',
  tags: ['Workspaces'],
  summary: 'Workspaces where the caller is an active member, newest first',
  request: {
    query: z.object({
      ...paginationQuery(10, 20),
      include_workspace_membership: z
        .enum(['true', 'false'])
        .optional()
        .openapi({ description: "`true` adds the caller's membership to each workspace" }),
    }),
  },
  responses: {
    200: pageResponse('A page of workspaces', 'workspaces', WorkspaceSchema),
    ...errorResponses(400),
  },
});

const wsParams = z.object({ workspaceId: workspaceIdParam });

const getOne = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}',
  tags: ['Workspaces'],
  summary: "One workspace with the caller's membership and its storage use",
  description:
    '`storage` is kept current as recordings and their files are stored and deleted, so reading it costs the same whatever the workspace holds.',
  request: { params: wsParams },
  responses: {
    200: dataResponse('The workspace', WorkspaceDetailSchema),
    ...errorResponses(403, 410),
  },
});

const match = z.enum(['exact', 'prefix', 'substring']);
const LinkHitSchema = z
  .object({
    linkId: z.string(),
    linkTitle: z.string().nullable(),
    linkProviderType: ProviderTypeSchema.nullable(),
    linkProviderReference: z.string().nullable(),
    createdAt: z.string(),
    match,
  })
  .openapi('LinkSearchHit');
const MemberHitSchema = z
  .object({
    workspaceMemberId: z.string(),
    name: z.string(),
    email: z.string(),
    workspaceRole: z.enum(['owner', 'admin', 'member']),
    workspaceJoinedAt: z.string(),
    match,
  })
  .openapi('MemberSearchHit');
const ProjectHitSchema = z
  .object({ projectId: z.string(), title: z.string(), isDefault: z.boolean(), createdAt: z.string(), match })
  .openapi('ProjectSearchHit');
const DomainHitSchema = z
  .object({
    domainId: z.string(),
    url: z.string(),
    status: z.enum(['pending', 'verified', 'revoked']),
    createdAt: z.string(),
    match,
  })
  .openapi('DomainSearchHit');

const SearchSchema = z
  .object({
    type: z.enum(SEARCH_TYPES),
    q: z.string(),
    results: z.array(z.union([LinkHitSchema, MemberHitSchema, ProjectHitSchema, DomainHitSchema])),
  })
  .openapi('SearchResults');

const search = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/search',
  tags: ['Workspaces'],
  summary: 'Ranked search: exact matches, then prefixes, then substrings (case-insensitive, at most 20)',
  request: {
    params: wsParams,
    query: z.object({
      q: singleLine()
        .max(SEARCH_TERM_MAX)
        .optional()
        .openapi({ description: `Search term, 1–${SEARCH_TERM_MAX} characters (required)`, example: 'acme' }),
      type: singleLine()
        .max(32)
        .optional()
        .openapi({
          description: `What to search (required): ${SEARCH_TYPES.join(', ')}`,
          enum: [...SEARCH_TYPES],
        }),
    }),
  },
  responses: {
    200: dataResponse('Matches, best first', SearchSchema),
    ...errorResponses(400, 403, 410),
  },
});

function searchToWire(result: SearchResult): z.infer<typeof SearchSchema> {
  const base = { type: result.type, q: result.q };
  switch (result.type) {
    case 'links':
      return {
        ...base,
        results: result.results.map((h) => ({
          linkId: h.id,
          linkTitle: h.title,
          linkProviderType: h.providerType,
          linkProviderReference: h.providerReference,
          createdAt: iso(h.createdAt),
          match: h.match,
        })),
      };
    case 'members':
      return {
        ...base,
        results: result.results.map((h) => ({
          workspaceMemberId: h.id,
          name: h.name,
          email: h.email,
          workspaceRole: h.role,
          workspaceJoinedAt: iso(h.joinedAt),
          match: h.match,
        })),
      };
    case 'projects':
      return {
        ...base,
        results: result.results.map((h) => ({
          projectId: h.id,
          title: h.title,
          isDefault: h.isDefault,
          createdAt: iso(h.createdAt),
          match: h.match,
        })),
      };
    case 'domains':
      return {
        ...base,
        results: result.results.map((h) => ({
          domainId: h.id,
          url: h.host,
          status: h.status,
          createdAt: iso(h.createdAt),
          match: h.match,
        })),
      };
  }
}

/** GET /public/workspaces, /public/workspace/{workspaceId} and its search. */
export const registerWorkspaceRoutes: RegisterRoutes = (api, deps) => {
  api.openapi(listWorkspaces, async (c) => {
    const query = c.req.valid('query');
    const page = await listMyWorkspaces(deps, c.get('userId'), { page: query.page, perPage: query.per_page });
    const withMembership = query.include_workspace_membership === 'true';
    return ok(c, 'Workspaces retrieved', {
      workspaces: page.items.map((w) => workspaceToWire(w.workspace, withMembership ? w.member : undefined)),
      pagination: pagination(page),
    });
  });

  api.openapi(getOne, async (c) => {
    const access = await requireMember(deps, c.get('userId'), c.req.valid('param').workspaceId);
    const { workspace, member } = getWorkspace(access);
    const storage = await getWorkspaceStorage(deps, access);
    return ok(c, 'Workspace retrieved', {
      ...workspaceToWire(workspace, member),
      storage: storageToWire(storage),
    });
  });

  api.openapi(
    search,
    async (c) => {
      const access = await requireMember(deps, c.get('userId'), c.req.valid('param').workspaceId);
      const query = c.req.valid('query');
      const result = await searchWorkspace(deps, access, { q: query.q, type: query.type });
      return ok(
        c,
        `${result.results.length} result${result.results.length === 1 ? '' : 's'}`,
        searchToWire(result),
      );
    },
    (result): undefined => {
      if (result.success) return undefined;
      // A malformed `type` gets the search's own code, like an unknown one does in the service.
      if (result.target === 'query' && result.error.issues[0]?.path[0] === 'type') {
        throw new ApiError(
          400,
          'WORKSPACE_SEARCH_TYPE_INVALID',
          `type: must be one of ${SEARCH_TYPES.join(', ')}`,
          'type',
        );
      }
      throw zodToApiError(result.error, result.target);
    },
  );
};
