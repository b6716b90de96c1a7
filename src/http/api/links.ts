import { createRoute, z } from '@hono/zod-openapi';
import { validationError } from '../../domain/errors.ts';
import { jsonObject, singleLine } from '../../domain/text-rules.ts';
import type { Link } from '../../domain/types.ts';
import { requireMember } from '../../services/access.ts';
import {
  createLink,
  deleteLink,
  getLink,
  type LinkUpdate,
  linkUrl,
  listLinks,
  MAX_LINK_PROVIDER_ID,
  MAX_LINK_PROVIDER_REFERENCE,
  MAX_LINK_TITLE,
  restoreLink,
  updateLink,
} from '../../services/links.ts';
import {
  describedErrors,
  envelope,
  errorResponses,
  jsonBody,
  ok,
  PaginationSchema,
  pagination,
  paginationQuery,
  type RegisterRoutes,
  toIso,
  workspaceIdParam,
} from './common.ts';

const idString = singleLine().min(1).max(64);
const providerTypeSchema = z.enum(['intercom', 'zendesk', 'slack']);
// The service measures the 10 KB limit on the serialised object and names `meta` when it is exceeded.
const metaSchema = jsonObject(200).openapi({
  description: 'Free JSON object, at most 10 KB serialised',
  example: { ticket: 4711 },
});

const LinkSchema = z
  .object({
    linkId: z.string(),
    linkTitle: z.string().nullable(),
    linkType: z.literal('file'),
    linkReusable: z.boolean(),
    linkProviderType: providerTypeSchema.nullable(),
    linkProviderId: z.string().nullable(),
    linkProviderReference: z.string().nullable(),
    linkURL: z.string().openapi({ description: 'The URL a customer opens to record' }),
    meta: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    updatedAt: z.string(),
    project: z.object({ projectId: z.string(), title: z.string() }),
    creator: z.object({ workspaceMemberId: z.string(), name: z.string() }),
    domain: z.object({
      domainId: z.string(),
      url: z.string().openapi({ example: 'app.example.com' }),
      status: z.enum(['pending', 'verified', 'revoked']),
    }),
  })
  .openapi('Link');

const CreateLinkBody = z
  .strictObject({
    domainId: idString.openapi({ description: 'A verified domain of the workspace' }),
    projectId: idString
      .nullable()
      .optional()
      .openapi({ description: "Default: the workspace's default project" }),
    linkReference: singleLine()
      .max(MAX_LINK_TITLE)
      .nullable()
      .optional()
      .openapi({ description: 'Becomes linkTitle' }),
    linkReusable: z.boolean().optional().openapi({ description: 'Default false: one recording' }),
    meta: metaSchema.optional(),
  })
  .openapi('CreateLink');

const UpdateLinkBody = z
  .strictObject({
    linkTitle: singleLine().max(MAX_LINK_TITLE).nullable().optional(),
    linkReusable: z.boolean().optional(),
    linkProviderType: providerTypeSchema.nullable().optional(),
    linkProviderId: singleLine().max(MAX_LINK_PROVIDER_ID).nullable().optional(),
    linkProviderRef: singleLine().max(MAX_LINK_PROVIDER_REFERENCE).nullable().optional(),
    meta: metaSchema.optional(),
  })
  .openapi('UpdateLink');

const workspaceParams = z.object({ workspaceId: workspaceIdParam });
const linkParams = z.object({
  workspaceId: workspaceIdParam,
  linkId: singleLine()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'linkId', in: 'path' }, example: 'lnk_01…' }),
});

const ListQuery = z.object({
  ...paginationQuery(10, 20),
  project_id: idString.optional().openapi({ description: 'Only links of this project' }),
  created_by: idString.optional().openapi({ description: 'Only links created by this workspaceMemberId' }),
  domain_id: idString.optional().openapi({ description: 'Only links on this domain' }),
});

const LinkEnvelope = { 'application/json': { schema: envelope(LinkSchema) } };

const list = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/links',
  tags: ['Links'],
  summary: "The workspace's recording links, newest first",
  request: { params: workspaceParams, query: ListQuery },
  responses: {
    200: {
      description: 'A page of links',
      content: {
        'application/json': {
          schema: envelope(z.object({ links: z.array(LinkSchema), pagination: PaginationSchema })),
        },
      },
    },
    ...errorResponses(400, 403, 410),
  },
});

const create = createRoute({
  method: 'post',
  path: '/public/workspace/{workspaceId}/links',
  tags: ['Links'],
  summary: 'Create a recording link on a verified domain',
  request: { params: workspaceParams, body: jsonBody(CreateLinkBody) },
  responses: {
    201: { description: 'The new link', content: LinkEnvelope },
    ...errorResponses(400, 403, 404, 410),
  },
});

const get = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/links/{linkId}',
  tags: ['Links'],
  summary: 'One recording link',
  request: { params: linkParams },
  responses: {
    200: { description: 'The link', content: LinkEnvelope },
    ...errorResponses(403, 404, 410),
  },
});

const update = createRoute({
  method: 'put',
  path: '/public/workspace/{workspaceId}/links/{linkId}',
  tags: ['Links'],
  summary: "Update a link's title, reuse, provider fields or meta",
  request: { params: linkParams, body: jsonBody(UpdateLinkBody) },
  responses: {
    200: { description: 'The updated link', content: LinkEnvelope },
    ...errorResponses(400, 403, 404, 410),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/public/workspace/{workspaceId}/links/{linkId}',
  tags: ['Links'],
  summary: "Delete a link (admin, owner, or the link's creator)",
  description:
    'Customers can no longer record through it; recordings already made stay. It answers 410 LINK_GONE ' +
    'at once and can be restored with POST …/restore for DELETED_RETENTION_DAYS (default 30) days; ' +
    'after that the retention job removes it, once no recording made through it is left.',
  request: { params: linkParams },
  responses: {
    200: {
      description: 'Deleted',
      content: { 'application/json': { schema: envelope(z.object({ linkId: z.string() })) } },
    },
    ...errorResponses(403, 404, 410),
  },
});

const restore = createRoute({
  method: 'post',
  path: '/public/workspace/{workspaceId}/links/{linkId}/restore',
  tags: ['Links'],
  summary: "Restore a deleted link within the grace period (admin, owner, or the link's creator)",
  description:
    'Brings a deleted link back within DELETED_RETENTION_DAYS (default 30) of its deletion: customers ' +
    'can record through it again (a single-use link that already has a recording stays used).',
  request: { params: linkParams },
  responses: {
    200: { description: 'Restored', content: LinkEnvelope },
    ...errorResponses(404),
    ...describedErrors({
      403: "NOT_A_MEMBER, or LINK_RESTORE_FORBIDDEN: restoring needs the admin or owner role, or being the link's creator",
      409: 'LINK_NOT_DELETED: the link is not deleted; there is nothing to restore',
      410: 'LINK_GONE: deleted longer ago than the grace period, it can no longer be restored; LINK_PROJECT_DELETED: its project was deleted, and its links with it',
    }),
  },
});

/** Domain link → wire link (PRODUCT.md §1). */
export function linkToWire(link: Link, publicUrl: string): z.infer<typeof LinkSchema> {
  return {
    linkId: link.id,
    linkTitle: link.title,
    linkType: link.type,
    linkReusable: link.reusable,
    linkProviderType: link.providerType,
    linkProviderId: link.providerId,
    linkProviderReference: link.providerReference,
    linkURL: linkUrl(publicUrl, link.id),
    meta: link.meta,
    createdAt: toIso(link.createdAt),
    updatedAt: toIso(link.updatedAt),
    project: { projectId: link.project.id, title: link.project.title },
    creator: { workspaceMemberId: link.creator.memberId, name: link.creator.name },
    domain: { domainId: link.domain.id, url: link.domain.host, status: link.domain.status },
  };
}

/** Recording links of a workspace: list, create, get, update, delete, restore. */
export const registerLinkRoutes: RegisterRoutes = (api, deps) => {
  const wire = (link: Link) => linkToWire(link, deps.config.publicUrl);

  api.openapi(list, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const query = c.req.valid('query');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    const page = await listLinks(deps, access, {
      page: query.page,
      perPage: query.per_page,
      projectId: query.project_id,
      createdBy: query.created_by,
      domainId: query.domain_id,
    });
    return ok(c, 'Links retrieved', { links: page.items.map(wire), pagination: pagination(page) });
  });

  api.openapi(create, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const body = c.req.valid('json');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    const link = await createLink(deps, access, {
      domainId: body.domainId,
      projectId: body.projectId,
      title: body.linkReference,
      reusable: body.linkReusable,
      meta: body.meta,
    });
    return ok(c, 'Link created', wire(link), 201);
  });

  api.openapi(get, async (c) => {
    const { workspaceId, linkId } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    return ok(c, 'Link retrieved', wire(await getLink(deps, access, linkId)));
  });

  api.openapi(update, async (c) => {
    const { workspaceId, linkId } = c.req.valid('param');
    const body = c.req.valid('json');
    const patch: LinkUpdate = {};
    if (body.linkTitle !== undefined) patch.title = body.linkTitle;
    if (body.linkReusable !== undefined) patch.reusable = body.linkReusable;
    if (body.linkProviderType !== undefined) patch.providerType = body.linkProviderType;
    if (body.linkProviderId !== undefined) patch.providerId = body.linkProviderId;
    if (body.linkProviderRef !== undefined) patch.providerReference = body.linkProviderRef;
    if (body.meta !== undefined) patch.meta = body.meta;
    // Checked before membership only as far as the body goes; nothing about the workspace leaks.
    if (Object.keys(patch).length === 0) throw validationError('body', 'name at least one field to update');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    return ok(c, 'Link updated', wire(await updateLink(deps, access, linkId, patch)));
  });

  api.openapi(remove, async (c) => {
    const { workspaceId, linkId } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    await deleteLink(deps, access, linkId);
    return ok(c, 'Link deleted', { linkId });
  });

  api.openapi(restore, async (c) => {
    const { workspaceId, linkId } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    return ok(c, 'Link restored', wire(await restoreLink(deps, access, linkId)));
  });
};
