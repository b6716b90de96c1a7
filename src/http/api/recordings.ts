import { createRoute, z } from '@hono/zod-openapi';
import { RESOURCE_KINDS } from '../../domain/recording-resources.ts';
import type { Recording } from '../../domain/types.ts';
import { pagination, RecordingWireSchema, recordingToWire } from '../../domain/wire.ts';
import { requireMember } from '../../services/access.ts';
import type { Deps } from '../../services/deps.ts';
import {
  deleteRecording,
  getRecording,
  getRecordingResource,
  isExpired,
  listRecordings,
  playerUrl,
  RecordingFilterSchema,
  restoreRecording,
} from '../../services/recordings.ts';
import {
  describedErrors,
  errorResponses,
  ok,
  paginationQuery,
  type RegisterRoutes,
  workspaceIdParam,
} from './common.ts';
import { dataResponse, idParam, pageResponse } from './route-kit.ts';

/** The shared wire recording (domain/wire.ts), named for the OpenAPI document. */
const RecordingSchema = z.object(RecordingWireSchema.shape).openapi('Recording');

const ResourceSchema = z
  .object({
    url: z.string().nullable().openapi({
      description: 'A signed URL valid for a few minutes; null when the resource was not captured',
    }),
    message: z.string(),
    type: z.string().openapi({ example: 'video/webm' }),
    size: z.number().int(),
    durationMs: z.number().int().optional(),
    sources: z.array(z.object({ url: z.string(), type: z.string() })).optional(),
    captureEnabled: z.boolean(),
  })
  .openapi('RecordingResource');

/** Domain recording → wire recording at `now` (PRODUCT.md §3). */
function recordingAnswer(deps: Deps, recording: Recording, now: number) {
  return recordingToWire(recording, {
    expired: isExpired(recording, now),
    playerUrl: playerUrl(deps, recording.id),
  });
}

// The filters and their limits are the service's (services/recordings.ts RecordingFilterSchema).
const filters = RecordingFilterSchema.shape;
const listQuery = z.object({
  ...paginationQuery(10, 20),
  project_id: filters.projectId.meta({ description: 'Only recordings of this project' }),
  link_id: filters.linkId.meta({ description: 'Only recordings made through this link' }),
  created_by: filters.createdBy.meta({
    description: "Only recordings of this member's links (workspaceMemberId)",
  }),
});

const recordingParams = z.object({
  workspaceId: workspaceIdParam,
  recordingId: idParam('recordingId', 'rec_01…'),
});

const tags = ['Recordings'];

const list = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/recordings',
  tags,
  summary: 'Recordings of a workspace, newest first',
  request: { params: z.object({ workspaceId: workspaceIdParam }), query: listQuery },
  responses: {
    200: pageResponse('A page of recordings', 'recordings', RecordingSchema),
    ...errorResponses(400, 403, 410),
  },
});

const get = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/recordings/{recordingId}',
  tags,
  summary: 'One recording (an expired one is readable, with expired: true)',
  request: { params: recordingParams },
  responses: {
    200: dataResponse('The recording', z.object({ recording: RecordingSchema })),
    ...errorResponses(403, 404, 410),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/public/workspace/{workspaceId}/recordings/{recordingId}',
  tags,
  summary: "Delete a recording (admin, owner, or its link's creator)",
  description:
    'The recording answers 410 RECORDING_GONE at once. Its files are kept for the grace period ' +
    '(DELETED_RETENTION_DAYS, default 30 days), during which POST …/restore brings it back; after ' +
    'that the retention job removes its files and rows for good.',
  request: { params: recordingParams },
  responses: {
    200: dataResponse('Deleted', z.object({ recordingId: z.string() })),
    ...errorResponses(403, 404, 410),
  },
});

const restore = createRoute({
  method: 'post',
  path: '/public/workspace/{workspaceId}/recordings/{recordingId}/restore',
  tags,
  summary: "Restore a deleted recording within the grace period (admin, owner, or its link's creator)",
  description:
    'Brings a deleted recording back with its video and logs, within DELETED_RETENTION_DAYS (default ' +
    '30) of its deletion. Its link is left as it is: `linkDeleted: true` says the link is still ' +
    'deleted (restore it with POST …/links/{linkId}/restore for customers to record through it again).',
  request: { params: recordingParams },
  responses: {
    200: dataResponse(
      'Restored',
      z.object({
        recording: RecordingSchema,
        linkDeleted: z.boolean().openapi({ description: "True when the recording's link is still deleted" }),
      }),
    ),
    ...errorResponses(404),
    ...describedErrors({
      403: "NOT_A_MEMBER, RECORDING_WORKSPACE_MISMATCH, or RECORDING_RESTORE_FORBIDDEN: restoring needs the admin or owner role, or being the creator of the recording's link",
      409: 'RECORDING_NOT_DELETED: the recording is not deleted; there is nothing to restore',
      410: 'RECORDING_GONE: deleted longer ago than the grace period (or already being purged), it can no longer be restored; PROJECT_GONE: its project was deleted, and its recordings with it',
    }),
  },
});

const resource = createRoute({
  method: 'get',
  path: '/public/workspace/{workspaceId}/recordings/{recordingId}/{kind}',
  tags,
  summary: 'A signed, short-lived URL for one resource of a recording',
  description:
    '`kind` is one of video, thumbnail, console-log, network-log, action. `url` is null when the resource ' +
    'was not captured. An expired recording answers 410 RECORDING_EXPIRED.',
  request: {
    params: recordingParams.extend({
      kind: z.enum(RESOURCE_KINDS).openapi({ param: { name: 'kind', in: 'path' } }),
    }),
  },
  responses: {
    200: dataResponse('The resource', z.object({ recordingId: z.string(), resource: ResourceSchema })),
    ...errorResponses(400, 403, 404, 410),
  },
});

/** Recordings and their resources (PRODUCT.md §3). */
export const registerRecordingRoutes: RegisterRoutes = (api, deps) => {
  api.openapi(list, async (c) => {
    const { workspaceId } = c.req.valid('param');
    const query = c.req.valid('query');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    const page = await listRecordings(deps, access, {
      page: query.page,
      perPage: query.per_page,
      projectId: query.project_id,
      linkId: query.link_id,
      createdBy: query.created_by,
    });
    const now = deps.clock.now();
    return ok(c, 'Recordings retrieved', {
      recordings: page.items.map((r) => recordingAnswer(deps, r, now)),
      pagination: pagination(page),
    });
  });

  api.openapi(get, async (c) => {
    const { workspaceId, recordingId } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    const recording = await getRecording(deps, access, recordingId);
    return ok(c, 'Recording retrieved', { recording: recordingAnswer(deps, recording, deps.clock.now()) });
  });

  api.openapi(remove, async (c) => {
    const { workspaceId, recordingId } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    await deleteRecording(deps, access, recordingId);
    return ok(c, 'Recording deleted', { recordingId });
  });

  api.openapi(restore, async (c) => {
    const { workspaceId, recordingId } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    const { recording, linkDeleted } = await restoreRecording(deps, access, recordingId);
    return ok(
      c,
      linkDeleted
        ? 'Recording restored; its link is still deleted (restore the link for customers to record through it again)'
        : 'Recording restored',
      { recording: recordingAnswer(deps, recording, deps.clock.now()), linkDeleted },
    );
  });

  api.openapi(resource, async (c) => {
    const { workspaceId, recordingId, kind } = c.req.valid('param');
    const access = await requireMember(deps, c.get('userId'), workspaceId);
    const found = await getRecordingResource(deps, access, recordingId, kind);
    return ok(c, found.message, {
      recordingId: found.recordingId,
      resource: {
        url: found.url,
        message: found.message,
        type: found.type,
        size: found.size,
        ...(found.durationMs !== undefined ? { durationMs: found.durationMs } : {}),
        // A player can hand these to <video><source>; one source today, room for transcodes later.
        ...(kind === 'video' && found.url !== null
          ? { sources: [{ url: found.url, type: found.type }] }
          : {}),
        captureEnabled: found.captureEnabled,
      },
    });
  });
};
