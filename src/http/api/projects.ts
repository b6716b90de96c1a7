import { createRoute, z } from '@hono/zod-openapi';
import type { Project } from '../../domain/types.ts';
import { pagination } from '../../domain/wire.ts';
import { iso } from '../../lib/clock.ts';
import { requireMember } from '../../services/access.ts';
import { getProject, listProjects } from '../../services/projects.ts';
import { errorResponses, ok, paginationQuery, type RegisterRoutes, workspaceIdParam } from './common.ts';
import { dataResponse, idParam, pageResponse } from './route-kit.ts';

export const ProjectSchema = z
  .object({
    projectId: z.string(),
    title: z.string(),
    isDefault: z.boolean(),
    retentionDays: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Days after which new recordings expire' }),
    maxRecordingSeconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Longest new recording in seconds; null: 180' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Project');

/** Domain project → wire project. */
export function projectToWire(project: Project): z.infer<typeof ProjectSchema> {
  return {
    projectId: project.id,
    title: project.title,
    isDefault: project.isDefault,
    retentionDays: project.retentionDays,
    maxRecordingSeconds: project.maxRecordingSeconds,
    createdAt: iso(project.createdAt),
    updatedAt: iso(project.updatedAt),
  };
}

const list = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/projects',
  tags: ['Projects'],
  summary: 'Projects of a workspace, newest first',
  request: { params: z.object({ workspaceId: workspaceIdParam }), query: z.object(paginationQuery(5, 10)) },
  responses: {
    200: pageResponse('A page of projects', 'projects', ProjectSchema),
    ...errorResponses(400, 403, 410),
  },
});

const getOne = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/projects/{projectId}',
  tags: ['Projects'],
  summary: 'One project',
  request: {
    params: z.object({ workspaceId: workspaceIdParam, projectId: idParam('projectId', 'prj_01…') }),
  },
  responses: { 200: dataResponse('The project', ProjectSchema), ...errorResponses(403, 404, 410) },
});

/** GET /public/workspace/{workspaceId}/projects[/{projectId}]. */
export const registerProjectRoutes: RegisterRoutes = (api, deps) => {
  api.openapi(list, async (c) => {
    const access = await requireMember(deps, c.get('userId'), c.req.valid('param').workspaceId);
    const query = c.req.valid('query');
    const page = await listProjects(deps, access, { page: query.page, perPage: query.per_page });
    return ok(c, 'Projects retrieved', {
      projects: page.items.map(projectToWire),
      pagination: pagination(page),
    });
  });
  api.openapi(getOne, async (c) => {
    const { workspaceId, projectId } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    return ok(c, 'Project retrieved', projectToWire(await getProject(deps, access, projectId)));
  });
};
