import { createRoute, z } from '@hono/zod-openapi';
import { validationError } from '../../domain/errors.ts';
import type { Link } from '../../domain/types.ts';
import { LinkWireSchema, linkToWire, pagination } from '../../domain/wire.ts';
import { requireMember } from '../../services/access.ts';
import {
  createLink,
  deleteLink,
  getLink,
  LinkFilterSchema,
  LinkInputSchema,
  type LinkUpdate,
  listLinks,
  restoreLink,
  updateLink,
} from '../../services/links.ts';
import {
  describedErrors,
  errorResponses,
  jsonBody,
  ok,
  paginationQuery,
  type RegisterRoutes,
  workspaceIdParam,
} from './common.ts';
import { dataResponse, idParam, pageResponse } from './route-kit.ts';

// The fields and their limits are the service's (services/links.ts LinkInputSchema), under the
// REST API's names; the answer is the shared wire link (domain/wire.ts).
const input = LinkInputSchema.shape;
const metaSchema = input.meta.meta({
  description: 'Free JSON object, at most 10 KB serialised',
  example: { ticket: 4711 },
});
const providerReference = input.providerReference.meta({
  description: 'A reference in the support tool, e.g. a ticket URL',
});

// Shared schemas are built before @hono/zod-openapi extends zod, so they carry no `.openapi()`:
// REST names them through a schema of its own and describes fields with zod's `.meta()`.
const LinkSchema = z.object(LinkWireSchema.shape).openapi('Link');

const CreateLinkBody = z
  .strictObject({
    domainId: input.domainId.meta({ description: 'A verified domain of the workspace' }),
    projectId: input.projectId.meta({ description: "Default: the workspace's default project" }),
    linkReference: input.title.meta({ description: 'Becomes linkTitle' }),
    linkReusable: input.reusable.meta({ description: 'Default false: one recording' }),
    meta: metaSchema,
  })
  .openapi('CreateLink');

const UpdateLinkBody = z
  .strictObject({
    linkTitle: input.title,
    linkReusable: input.reusable,
    linkProviderType: input.providerType,
    linkProviderId: input.providerId,
    linkProviderReference: providerReference,
    linkProviderRef: providerReference.meta({
      description:
        'The earlier name of linkProviderReference, still accepted with the same meaning; send one of the two',
      deprecated: true,
    }),
    meta: metaSchema,
  })
  .openapi('UpdateLink');

const workspaceParams = z.object({ workspaceId: workspaceIdParam });
const linkParams = z.object({ workspaceId: workspaceIdParam, linkId: idParam('linkId', 'lnk_01…') });

const filters = LinkFilterSchema.shape;
const ListQuery = z.object({
  ...paginationQuery(10, 20),
  project_id: filters.projectId.meta({ description: 'Only links of this project' }),
  created_by: filters.createdBy.meta({ description: 'Only links created by this workspaceMemberId' }),
  domain_id: filters.domainId.meta({ description: 'Only links on this domain' }),
});

const list = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/links',
  tags: ['Links'],
  summary: "The workspace's recording links, newest first",
  request: { params: workspaceParams, query: ListQuery },
  responses: { 200: pageResponse('A page of links', 'links', LinkSchema), ...errorResponses(400, 403, 410) },
});

const create = createRoute({
  method: 'post',
  path: '/public/workspace/{workspaceId}/links',
  tags: ['Links'],
  summary: 'Create a recording link on a verified domain',
  request: { params: workspaceParams, body: jsonBody(CreateLinkBody) },
  responses: {
    201: dataResponse('The new link', LinkSchema),
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
    200: dataResponse('The link', LinkSchema),
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
    200: dataResponse('The updated link', LinkSchema),
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
    200: dataResponse('Deleted', z.object({ linkId: z.string() })),
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
    200: dataResponse('Restored', LinkSchema),
    ...errorResponses(404),
    ...describedErrors({
      403: "NOT_A_MEMBER, or LINK_RESTORE_FORBIDDEN: restoring needs the admin or owner role, or being the link's creator",
      409: 'LINK_NOT_DELETED: the link is not deleted; there is nothing to restore',
      410: 'LINK_GONE: deleted longer ago than the grace period, it can no longer be restored; LINK_PROJECT_DELETED: its project was deleted, and its links with it',
    }),
  },
});

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
    if (body.linkProviderReference !== undefined && body.linkProviderRef !== undefined) {
      throw validationError(
        'linkProviderRef',
        'is the earlier name of linkProviderReference: send one of the two',
      );
    }
    const patch: LinkUpdate = {
      title: body.linkTitle,
      reusable: body.linkReusable,
      providerType: body.linkProviderType,
      providerId: body.linkProviderId,
      providerReference:
        body.linkProviderReference !== undefined ? body.linkProviderReference : body.linkProviderRef,
      meta: body.meta,
    };
    // Checked before membership only as far as the body goes; nothing about the workspace leaks.
    if (Object.values(patch).every((v) => v === undefined))
      throw validationError('body', 'name at least one field to update');
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
