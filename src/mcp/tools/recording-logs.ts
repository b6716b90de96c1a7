import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import {
  ACTION_TYPES,
  type ActionEntry,
  CONSOLE_LEVELS,
  type ConsoleEntry,
  type NetworkEntry,
} from '../../domain/recording-resources.ts';
import { pagination } from '../../domain/wire.ts';
import type { Deps } from '../../services/deps.ts';
import { type LogKind, readRecordingLog } from '../../services/recordings.ts';
import {
  type Caller,
  clip,
  PaginationSchema,
  pageLine,
  pageOf,
  pagingArgs,
  READ_ONLY,
  recordingIdArg,
  registerTool,
  workspaceIdArg,
} from '../tool-kit.ts';

// Console, network and action logs as parsed entries (PRODUCT.md §4): logs can be large, so the tools
// filter (time window plus one field each) and page them; long captured text is clipped so a page of
// entries stays a sensible size for a model. The signed file URL (REST API) still has everything.

/** Longest captured text (message, stack, body) a log entry carries in a tool result. */
export const MAX_ENTRY_TEXT = 2_000;

const msArg = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .optional()
    .describe(`${what}, in ms from the start of the recording`);

const windowArgs = {
  from_ms: msArg('Only entries at or after this time'),
  to_ms: msArg('Only entries at or before this time'),
};

export const ConsoleEntryOut = z.object({
  ts: z.number().int(),
  level: z.enum(CONSOLE_LEVELS),
  message: z.string(),
  args: z.array(z.unknown()).optional(),
  stack: z.string().optional(),
});
export const NetworkEntryOut = z.object({
  ts: z.number().int(),
  method: z.string(),
  url: z.string(),
  status: z.number().int().describe('HTTP status; 0 when the request failed or was blocked'),
  durationMs: z.number(),
  requestHeaders: z.record(z.string(), z.string()).optional(),
  responseHeaders: z.record(z.string(), z.string()).optional(),
  requestBody: z.string().optional(),
  responseBody: z.string().optional(),
});
export const ActionEntryOut = z.object({
  ts: z.number().int(),
  type: z.enum(ACTION_TYPES),
  selector: z.string().optional(),
  x: z.number().optional(),
  y: z.number().optional(),
  value: z.string().optional(),
  url: z.string().optional(),
});

function clipOptional(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : clip(text, max);
}

/** A console entry with its long text clipped. */
export function consoleOut(e: ConsoleEntry, max = MAX_ENTRY_TEXT): z.infer<typeof ConsoleEntryOut> {
  const out: z.infer<typeof ConsoleEntryOut> = { ts: e.ts, level: e.level, message: clip(e.message, max) };
  if (e.args !== undefined) {
    const json = JSON.stringify(e.args);
    out.args = json.length <= max ? e.args : [clip(json, max)];
  }
  if (e.stack !== undefined) out.stack = clip(e.stack, max);
  return out;
}

/** A network entry with its bodies clipped. */
export function networkOut(e: NetworkEntry, max = MAX_ENTRY_TEXT): z.infer<typeof NetworkEntryOut> {
  const out: z.infer<typeof NetworkEntryOut> = { ...e, url: clip(e.url, max) };
  const requestBody = clipOptional(e.requestBody, max);
  const responseBody = clipOptional(e.responseBody, max);
  if (requestBody !== undefined) out.requestBody = requestBody;
  if (responseBody !== undefined) out.responseBody = responseBody;
  return out;
}

/** An action entry with a long typed value clipped. */
export function actionOut(e: ActionEntry, max = MAX_ENTRY_TEXT): z.infer<typeof ActionEntryOut> {
  const out: z.infer<typeof ActionEntryOut> = { ...e };
  if (e.value !== undefined) out.value = clip(e.value, max);
  return out;
}

function inWindow(ts: number, from: number | undefined, to: number | undefined): boolean {
  return (from === undefined || ts >= from) && (to === undefined || ts <= to);
}

function at(ts: number): string {
  return `${(ts / 1000).toFixed(2)}s`;
}

interface BaseLogArgs {
  workspaceId: string;
  recordingId: string;
  from_ms?: number | undefined;
  to_ms?: number | undefined;
  page: number;
  per_page: number;
}

interface LogToolSpec<K extends LogKind, F extends z.ZodRawShape, E extends z.ZodType> {
  kind: K;
  name: string;
  title: string;
  noun: string;
  description: string;
  filters: F;
  entry: E;
  keep(
    entry: Awaited<ReturnType<typeof readRecordingLog<K>>>['entries'][number],
    args: z.output<z.ZodObject<F>>,
  ): boolean;
  out(entry: Awaited<ReturnType<typeof readRecordingLog<K>>>['entries'][number]): z.input<E>;
  line(entry: z.input<E>): string;
}

function registerLogTool<K extends LogKind, F extends z.ZodRawShape, E extends z.ZodType>(
  server: McpServer,
  deps: Deps,
  spec: LogToolSpec<K, F, E>,
): void {
  const input = z.object({
    workspaceId: workspaceIdArg,
    recordingId: recordingIdArg,
    ...windowArgs,
    ...spec.filters,
    ...pagingArgs,
  });
  registerTool(server, deps, {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input,
    output: z.object({
      recordingId: z.string(),
      captured: z.boolean().describe('False when this log was not captured for the recording'),
      entries: z.array(spec.entry),
      invalidEntries: z.number().int().describe('Entries of the stored log that could not be read'),
      pagination: PaginationSchema,
    }),
    annotations: READ_ONLY,
    async run(rawArgs, caller: Caller) {
      // The merged shape is generic in F, which TypeScript cannot see through; the SDK validated it.
      const args = rawArgs as unknown as BaseLogArgs & z.output<z.ZodObject<F>>;
      const access = await caller.access(args.workspaceId);
      const log = await readRecordingLog(deps, access, args.recordingId, spec.kind);
      const all = log.entries.filter((e) => inWindow(e.ts, args.from_ms, args.to_ms) && spec.keep(e, args));
      const page = pageOf(all, args.page, args.per_page);
      const entries = page.items.map((e) => spec.out(e));
      const p = pagination(page);
      const text = log.captured
        ? [pageLine(spec.noun, p, entries.length), ...entries.map((e) => `- ${spec.line(e)}`)].join('\n')
        : `No ${spec.noun} were captured for this recording (the customer's site does not embed the capture script).`;
      return {
        structured: {
          recordingId: log.recording.id,
          captured: log.captured,
          entries,
          invalidEntries: log.invalidEntries,
          pagination: p,
        },
        text,
      };
    },
  });
}

/** userplane_get_rec_console, _get_rec_network, _get_rec_actions. */
export function registerRecordingLogTools(server: McpServer, deps: Deps): void {
  registerLogTool(server, deps, {
    kind: 'console-log',
    name: 'userplane_get_rec_console',
    title: "Get a recording's console log",
    noun: 'console entries',
    description:
      'The browser console messages captured during a recording, in time order (ts = ms from the start), filterable by level and time window, paginated. Long messages are clipped.',
    filters: { level: z.enum(CONSOLE_LEVELS).optional().describe('Only entries of this level') },
    entry: ConsoleEntryOut,
    keep: (e, args) => args.level === undefined || e.level === args.level,
    out: (e) => consoleOut(e),
    line: (e) => `${at(e.ts)} [${e.level}] ${e.message}`,
  });

  registerLogTool(server, deps, {
    kind: 'network-log',
    name: 'userplane_get_rec_network',
    title: "Get a recording's network log",
    noun: 'network requests',
    description:
      'The network requests captured during a recording, in time order, filterable by minimum status (e.g. 400 for failures; status 0 means the request itself failed) and time window, paginated. Bodies are clipped.',
    filters: {
      status_min: z
        .number()
        .int()
        .min(0)
        .max(599)
        .optional()
        .describe('Only requests with at least this status'),
    },
    entry: NetworkEntryOut,
    keep: (e, args) => args.status_min === undefined || e.status >= args.status_min,
    out: (e) => networkOut(e),
    line: (e) => `${at(e.ts)} ${e.method} ${e.url} → ${e.status} (${Math.round(e.durationMs)} ms)`,
  });

  registerLogTool(server, deps, {
    kind: 'action',
    name: 'userplane_get_rec_actions',
    title: "Get a recording's user actions",
    noun: 'user actions',
    description:
      'What the customer did during a recording (clicks, inputs, navigations), in time order, filterable by type and time window, paginated.',
    filters: { type: z.enum(ACTION_TYPES).optional().describe('Only actions of this type') },
    entry: ActionEntryOut,
    keep: (e, args) => args.type === undefined || e.type === args.type,
    out: (e) => actionOut(e),
    line: (e) =>
      `${at(e.ts)} ${e.type} ${e.selector ?? e.url ?? (e.x !== undefined ? `at ${e.x},${e.y}` : '')}${e.value !== undefined ? ` = ${JSON.stringify(e.value)}` : ''}`,
  });
}
