import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ResourceKind } from '../../domain/recording-resources.ts';
import { RecordingInfoSchema } from '../../domain/wire.ts';
import { iso } from '../../lib/clock.ts';
import type { Deps } from '../../services/deps.ts';
import {
  browseRecordings,
  deleteRecording,
  getRecording,
  getRecordingResource,
  playerUrl,
  RecordingFilterSchema,
  restoreRecording,
} from '../../services/recordings.ts';
import {
  type Caller,
  type Pagination,
  PaginationSchema,
  pageAnswer,
  pagingArgs,
  READ_ONLY,
  recordingIdArg,
  recordingInfo,
  registerTool,
  seconds,
  workspaceIdArg,
} from '../tool-kit.ts';

// Recordings (PRODUCT.md §4). An expired recording keeps its details but serves no files; a deleted
// one answers RECORDING_GONE: both are reported as such, never as "not found".

// The list filters and their limits are the service's (services/recordings.ts RecordingFilterSchema).
const filters = RecordingFilterSchema.shape;

const ResourceUrlSchema = z.object({
  recordingId: z.string(),
  url: z.string().nullable().describe('A signed URL valid for a few minutes; null when not captured'),
  urlExpiresAt: z.string().nullable().describe('When the URL stops working; ask again for a fresh one'),
  type: z.string().describe('Media type, e.g. video/webm'),
  size: z.number().int().describe('Bytes'),
  message: z.string(),
});

/** A resource of getRecordingResource → the signed-URL answer of the video and thumbnail tools. */
function resourceUrl(r: Awaited<ReturnType<typeof getRecordingResource>>): z.infer<typeof ResourceUrlSchema> {
  return {
    recordingId: r.recordingId,
    url: r.url,
    urlExpiresAt: iso(r.urlExpiresAt),
    type: r.type,
    size: r.size,
    message: r.message,
  };
}

/** userplane_list_recordings, _get_rec_info, _get_rec_video, _get_rec_thumb, _delete_recording, _restore_recording. */
export function registerRecordingTools(server: McpServer, deps: Deps): void {
  registerTool(server, deps, {
    name: 'userplane_list_recordings',
    title: 'List recordings',
    description:
      'Screen recordings of a workspace, newest first, optionally of one project, link or link creator. Each entry has a playerUrl into the dashboard.',
    input: z.object({
      workspaceId: workspaceIdArg,
      project_id: filters.projectId.describe('Only recordings of this project'),
      link_id: filters.linkId.describe('Only recordings made through this link'),
      created_by: filters.createdBy.describe("Only recordings of this member's links (workspaceMemberId)"),
      ...pagingArgs,
    }),
    output: z.object({
      recordings: z.array(
        z.object({
          recordingId: z.string(),
          durationMs: z.number().int().nullable(),
          createdAt: z.string(),
          expiresAt: z.string().nullable(),
          creatorName: z.string(),
          linkTitle: z.string().nullable(),
          playerUrl: z.string(),
        }),
      ),
      pagination: PaginationSchema,
    }),
    annotations: READ_ONLY,
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      const page = await browseRecordings(deps, access, {
        page: args.page,
        perPage: args.per_page,
        projectId: args.project_id,
        linkId: args.link_id,
        createdBy: args.created_by,
      });
      const recordings = page.items.map((r) => ({
        recordingId: r.id,
        durationMs: r.durationMs,
        createdAt: iso(r.createdAt),
        expiresAt: iso(r.expiresAt),
        creatorName: r.creator.name,
        linkTitle: r.link.title,
        playerUrl: playerUrl(deps, r.id),
      }));
      const p: Pagination = { page: page.page, perPage: page.perPage, hasMore: page.hasMore };
      return pageAnswer(
        'recordings',
        recordings,
        p,
        (r) =>
          `${r.recordingId} ${r.createdAt} ${seconds(r.durationMs)} "${r.linkTitle ?? '(untitled link)'}" by ${r.creatorName}: ${r.playerUrl}`,
      );
    },
  });

  registerTool(server, deps, {
    name: 'userplane_get_rec_info',
    title: 'Get recording details',
    description:
      "A recording's details: duration, times, upload status, link, project, domain, creator, the customer's notes and browser details. Works for expired recordings too (expired: true).",
    input: z.object({ workspaceId: workspaceIdArg, recordingId: recordingIdArg }),
    output: RecordingInfoSchema,
    annotations: READ_ONLY,
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      const info = recordingInfo(deps, await getRecording(deps, access, args.recordingId));
      const state = info.expired ? `expired at ${info.expiresAt}` : info.status;
      return {
        structured: info,
        text: [
          `Recording ${info.recordingId} (${state}), ${seconds(info.durationMs)}, made ${info.createdAt} through "${info.linkTitle ?? '(untitled link)'}" (${info.linkId}) on ${info.domainUrl}, project "${info.projectTitle}", owned by ${info.creatorName}.`,
          ...(info.notes ? [`Customer notes: ${info.notes}`] : []),
          `Player: ${info.playerUrl}`,
        ].join('\n'),
      };
    },
  });

  const resourceTool =
    (kind: Extract<ResourceKind, 'video' | 'thumbnail'>) =>
    async (args: { workspaceId: string; recordingId: string }, caller: Caller) =>
      getRecordingResource(deps, await caller.access(args.workspaceId), args.recordingId, kind);

  registerTool(server, deps, {
    name: 'userplane_get_rec_video',
    title: 'Get recording video URL',
    description:
      "A fresh signed URL for a recording's video (valid a few minutes) and its duration. Fails with RECORDING_EXPIRED once the recording has expired.",
    input: z.object({ workspaceId: workspaceIdArg, recordingId: recordingIdArg }),
    output: ResourceUrlSchema.extend({ durationMs: z.number().int().nullable() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false },
    async run(args, caller) {
      const r = await resourceTool('video')(args, caller);
      return {
        structured: { ...resourceUrl(r), durationMs: r.durationMs ?? null },
        text: r.url
          ? `Video (${r.type}, ${seconds(r.durationMs ?? null)}): ${r.url}\n${r.message}`
          : r.message,
      };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_get_rec_thumb',
    title: 'Get recording thumbnail URL',
    description: "A fresh signed URL for a recording's thumbnail image (valid a few minutes).",
    input: z.object({ workspaceId: workspaceIdArg, recordingId: recordingIdArg }),
    output: ResourceUrlSchema,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false },
    async run(args, caller) {
      const r = await resourceTool('thumbnail')(args, caller);
      return {
        structured: resourceUrl(r),
        text: r.url ? `Thumbnail (${r.type}): ${r.url}` : r.message,
      };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_delete_recording',
    title: 'Delete a recording',
    description:
      "Deletes a recording: it answers RECORDING_GONE at once, and userplane_restore_recording can bring it back for DELETED_RETENTION_DAYS (30 by default) days; after that its video, logs and details are removed for good. Needs the admin or owner role, or being the creator of the recording's link.",
    input: z.object({ workspaceId: workspaceIdArg, recordingId: recordingIdArg }),
    output: z.object({ recordingId: z.string(), deleted: z.literal(true) }),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      await deleteRecording(deps, access, args.recordingId);
      return {
        structured: { recordingId: args.recordingId, deleted: true as const },
        text: `Deleted recording ${args.recordingId}.`,
      };
    },
  });

  registerTool(server, deps, {
    name: 'userplane_restore_recording',
    title: 'Restore a deleted recording',
    description:
      "Brings a deleted recording back with its video and logs, within the server's grace period after its deletion (DELETED_RETENTION_DAYS, 30 by default). Its link stays as it is (linkDeleted says whether it is still deleted; userplane_restore_link restores it). Needs the admin or owner role, or being the creator of the recording's link.",
    input: z.object({ workspaceId: workspaceIdArg, recordingId: recordingIdArg }),
    output: RecordingInfoSchema.extend({
      linkDeleted: z.boolean().describe("True when the recording's link is still deleted"),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      const { recording, linkDeleted } = await restoreRecording(deps, access, args.recordingId);
      const info = recordingInfo(deps, recording);
      return {
        structured: { ...info, linkDeleted },
        text: [
          `Restored recording ${info.recordingId}${info.expired ? ` (expired at ${info.expiresAt}: its details only)` : ''}.`,
          ...(linkDeleted
            ? [`Its link ${info.linkId} is still deleted; userplane_restore_link restores it.`]
            : []),
          `Player: ${info.playerUrl}`,
        ].join('\n'),
      };
    },
  });
}
