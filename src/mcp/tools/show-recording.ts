import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { RecordingInfoSchema } from '../../domain/wire.ts';
import { iso } from '../../lib/clock.ts';
import type { Deps } from '../../services/deps.ts';
import { getRecordingResource, readRecordingLog } from '../../services/recordings.ts';
import { MCP_APP_MIME_TYPE, RECORDING_VIEWER_URI, recordingViewerHtml } from '../apps/recording-viewer.ts';
import { recordingIdArg, recordingInfo, registerTool, seconds, workspaceIdArg } from '../tool-kit.ts';
import {
  ActionEntryOut,
  actionOut,
  ConsoleEntryOut,
  consoleOut,
  NetworkEntryOut,
  networkOut,
} from './recording-logs.ts';

// userplane_show_recording (PRODUCT.md §4): an MCP Apps view (SEP-1865) of a recording, with a text
// summary for clients without Apps. The tool's `_meta.ui.resourceUri` names the viewer; the result's
// structuredContent carries what the viewer renders (a signed video URL and the log entries).

/** Most entries per panel the viewer gets; the dashboard player has the rest. */
export const VIEWER_MAX_ENTRIES = 500;
/** Captured text per entry in the viewer: a line to read, not a body to inspect. */
const VIEWER_ENTRY_TEXT = 500;

const panel = <E extends z.ZodType>(entry: E) =>
  z.object({
    captured: z.boolean(),
    total: z.number().int().describe('Entries in the log; at most 500 are included'),
    entries: z.array(entry),
  });

const Output = z.object({
  workspaceId: z.string(),
  recording: RecordingInfoSchema,
  video: z.object({
    url: z.string().nullable().describe('Signed video URL, valid a few minutes'),
    urlExpiresAt: z.string().nullable(),
    type: z.string(),
    durationMs: z.number().int().nullable(),
    message: z.string(),
  }),
  thumbnailUrl: z.string().nullable(),
  console: panel(ConsoleEntryOut),
  network: panel(NetworkEntryOut),
  actions: panel(ActionEntryOut),
});

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The viewer resource and userplane_show_recording. */
export function registerShowRecording(server: McpServer, deps: Deps): void {
  const origin = new URL(deps.config.publicUrl).origin;
  // SEP-1865 "UI Resource Format": the host builds the iframe's CSP from these; the video and the
  // thumbnail come from our signed /files URLs (or, with STORAGE=s3, the bucket's presigned URLs),
  // nothing else is loaded or fetched.
  const resourceDomains = deps.files.downloadOrigin ? [origin, deps.files.downloadOrigin] : [origin];
  const uiMeta = { ui: { csp: { resourceDomains, connectDomains: [] }, prefersBorder: true } };
  const html = recordingViewerHtml();

  server.registerResource(
    'recording-viewer',
    RECORDING_VIEWER_URI,
    {
      title: 'Userplane recording viewer',
      description: 'Plays a recording with its console, network and actions panels in sync',
      mimeType: MCP_APP_MIME_TYPE,
      _meta: uiMeta,
    },
    async (uri) => ({
      contents: [{ uri: uri.href, mimeType: MCP_APP_MIME_TYPE, text: html, _meta: uiMeta }],
    }),
  );

  registerTool(server, deps, {
    name: 'userplane_show_recording',
    title: 'Show a recording',
    description:
      'Shows a recording in an interactive viewer: the video with its console, network and actions panels following playback (click an entry to jump there). Clients without MCP Apps get a summary and the dashboard player URL.',
    input: z.object({ workspaceId: workspaceIdArg, recordingId: recordingIdArg }),
    output: Output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false },
    _meta: { ui: { resourceUri: RECORDING_VIEWER_URI } },
    async run(args, caller) {
      const access = await caller.access(args.workspaceId);
      // The video first: it reports an expired or deleted recording before any log is read.
      const video = await getRecordingResource(deps, access, args.recordingId, 'video');
      const thumbnail = await getRecordingResource(deps, access, args.recordingId, 'thumbnail');
      const consoleLog = await readRecordingLog(deps, access, args.recordingId, 'console-log');
      const network = await readRecordingLog(deps, access, args.recordingId, 'network-log');
      const actions = await readRecordingLog(deps, access, args.recordingId, 'action');
      const info = recordingInfo(deps, consoleLog.recording);
      const first = <T>(items: T[]) => items.slice(0, VIEWER_MAX_ENTRIES);

      const errors = consoleLog.entries.filter((e) => e.level === 'error');
      const failed = network.entries.filter((e) => e.status === 0 || e.status >= 400);
      const at = (ts: number) => `${(ts / 1000).toFixed(1)}s`;
      const lines = [
        `Recording ${info.recordingId} "${info.linkTitle ?? '(untitled link)'}" (${info.status}), ${seconds(info.durationMs)}, made ${info.createdAt} on ${info.domainUrl}, owned by ${info.creatorName}.`,
        ...(info.notes ? [`Customer notes: ${info.notes}`] : []),
        consoleLog.captured
          ? `Console: ${consoleLog.entries.length} ${consoleLog.entries.length === 1 ? 'entry' : 'entries'}, ${plural(errors.length, 'error')}.`
          : 'Console: not captured.',
        ...errors.slice(0, 5).map((e) => `  ${at(e.ts)} ${e.message.slice(0, 200)}`),
        network.captured
          ? `Network: ${plural(network.entries.length, 'request')}, ${failed.length} failed (status 0 or ≥ 400).`
          : 'Network: not captured.',
        ...failed.slice(0, 5).map((e) => `  ${at(e.ts)} ${e.method} ${e.url.slice(0, 200)} → ${e.status}`),
        actions.captured ? `Actions: ${plural(actions.entries.length, 'action')}.` : 'Actions: not captured.',
        `Watch it with its console, network and actions in sync: ${info.playerUrl}`,
      ];

      return {
        structured: {
          workspaceId: access.workspace.id,
          recording: info,
          video: {
            url: video.url,
            urlExpiresAt: iso(video.urlExpiresAt),
            type: video.type,
            durationMs: video.durationMs ?? info.durationMs,
            message: video.message,
          },
          thumbnailUrl: thumbnail.url,
          console: {
            captured: consoleLog.captured,
            total: consoleLog.entries.length,
            entries: first(consoleLog.entries).map((e) =>
              consoleOut({ ts: e.ts, level: e.level, message: e.message, stack: e.stack }, VIEWER_ENTRY_TEXT),
            ),
          },
          network: {
            captured: network.captured,
            total: network.entries.length,
            entries: first(network.entries).map((e) =>
              // The viewer shows one line per request: headers and bodies stay out of the result.
              networkOut(
                { ts: e.ts, method: e.method, url: e.url, status: e.status, durationMs: e.durationMs },
                VIEWER_ENTRY_TEXT,
              ),
            ),
          },
          actions: {
            captured: actions.captured,
            total: actions.entries.length,
            entries: first(actions.entries).map((e) => actionOut(e, VIEWER_ENTRY_TEXT)),
          },
        },
        text: lines.join('\n'),
      };
    },
  });
}
