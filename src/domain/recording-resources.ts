import { z } from 'zod';

// Formats of the resources attached to a recording (PRODUCT.md §1 "Recording resources").
// `ts` is always milliseconds from the start of the recording.
//
// Decisions where the product page is silent:
// - sizes are binary megabytes (1 MB = 1,048,576 bytes);
// - network-log and action files get the same 50 MB cap as the console log;
// - request/response bodies are the captured text (JSON bodies stay serialized);
// - `status` 0 is allowed: it is what a browser reports for a failed, aborted or opaque request;
// - the parse helpers drop top-level `null` values before validating (a recorder that writes
//   `"stack": null` means "no stack"), sort entries by `ts` (stable: network entries are often
//   written when the response arrives, out of start order), and report invalid entries instead
//   of failing the whole file;
// - network and action logs are JSON arrays, but NDJSON (one object per line) is accepted too.

/** Kinds of resources a recording can carry, in the order the API lists them. */
export const RESOURCE_KINDS = ['video', 'thumbnail', 'console-log', 'network-log', 'action'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];
export const ResourceKindSchema = z.enum(RESOURCE_KINDS);

/** Whether a string names a recording resource kind. */
export function isResourceKind(value: string): value is ResourceKind {
  return (RESOURCE_KINDS as readonly string[]).includes(value);
}

const MB = 1024 * 1024;

export const MAX_VIDEO_BYTES = 500 * MB;
export const MAX_THUMBNAIL_BYTES = 10 * MB;
export const MAX_CONSOLE_LOG_BYTES = 50 * MB;
export const MAX_NETWORK_LOG_BYTES = 50 * MB;
export const MAX_ACTION_LOG_BYTES = 50 * MB;

/** Upload size limit per resource kind, in bytes. */
export const RESOURCE_MAX_BYTES: Readonly<Record<ResourceKind, number>> = {
  video: MAX_VIDEO_BYTES,
  thumbnail: MAX_THUMBNAIL_BYTES,
  'console-log': MAX_CONSOLE_LOG_BYTES,
  'network-log': MAX_NETWORK_LOG_BYTES,
  action: MAX_ACTION_LOG_BYTES,
};

/** Accepted media types per resource kind; the first one is the canonical type. */
export const RESOURCE_CONTENT_TYPES: Readonly<Record<ResourceKind, readonly string[]>> = {
  video: ['video/webm', 'video/mp4'],
  thumbnail: ['image/png', 'image/jpeg', 'image/webp'],
  'console-log': ['application/x-ndjson'],
  'network-log': ['application/json'],
  action: ['application/json'],
};

/** Shortest accepted video. */
export const MIN_VIDEO_DURATION_MS = 1_000;
/** Longest accepted video unless the deployment configures another limit. */
export const DEFAULT_MAX_VIDEO_DURATION_MS = 180_000;

export const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const;
export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

export const ACTION_TYPES = ['click', 'input', 'navigation'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** Milliseconds from the start of the recording. */
export const TimestampMsSchema = z.int().min(0);

export const ConsoleEntrySchema = z.object({
  ts: TimestampMsSchema,
  level: z.enum(CONSOLE_LEVELS),
  message: z.string(),
  args: z.array(z.unknown()).optional(),
  stack: z.string().optional(),
});
export type ConsoleEntry = z.infer<typeof ConsoleEntrySchema>;

const HeadersSchema = z.record(z.string(), z.string());

export const NetworkEntrySchema = z.object({
  ts: TimestampMsSchema,
  method: z.string().min(1).max(32),
  url: z.string().min(1),
  status: z.int().min(0).max(599),
  durationMs: z.number().min(0),
  requestHeaders: HeadersSchema.optional(),
  responseHeaders: HeadersSchema.optional(),
  requestBody: z.string().optional(),
  responseBody: z.string().optional(),
});
export type NetworkEntry = z.infer<typeof NetworkEntrySchema>;

export const ActionEntrySchema = z
  .object({
    ts: TimestampMsSchema,
    type: z.enum(ACTION_TYPES),
    selector: z.string().min(1).optional(),
    x: z.number().optional(),
    y: z.number().optional(),
    value: z.string().optional(),
    url: z.string().min(1).optional(),
  })
  .refine((a) => a.type !== 'navigation' || a.url !== undefined, {
    message: 'a navigation needs a url',
    path: ['url'],
  })
  .refine((a) => a.type !== 'click' || a.selector !== undefined || (a.x !== undefined && a.y !== undefined), {
    message: 'a click needs a selector or x and y',
    path: ['selector'],
  });
export type ActionEntry = z.infer<typeof ActionEntrySchema>;

/** Browser environment captured with a recording (`systemMeta`). */
export const SystemMetaSchema = z.looseObject({
  browser: z.string(),
  os: z.string(),
  screen: z.object({ width: z.int().positive(), height: z.int().positive() }),
  url: z.string(),
  userAgent: z.string(),
});
export type SystemMeta = z.infer<typeof SystemMetaSchema>;

/** An entry that failed to parse or validate and was left out. */
export interface InvalidLine {
  /** 1-based line (NDJSON) or 1-based array position (JSON array); 0 when the whole document is unreadable. */
  line: number;
  error: string;
}

/** Valid entries, sorted by `ts`, plus what was skipped. */
export interface ParseResult<T> {
  entries: T[];
  invalidLines: InvalidLine[];
}

/** Parses an NDJSON console log into validated entries; bad lines are skipped and reported. */
export function parseConsoleNdjson(text: string): ParseResult<ConsoleEntry> {
  return finish(parseNdjson(text, ConsoleEntrySchema));
}

/** Parses a network log (JSON array, or NDJSON) into validated entries; bad entries are reported. */
export function parseNetworkLog(text: string): ParseResult<NetworkEntry> {
  return finish(parseJsonArrayOrNdjson(text, NetworkEntrySchema));
}

/** Parses an action log (JSON array, or NDJSON) into validated entries; bad entries are reported. */
export function parseActionLog(text: string): ParseResult<ActionEntry> {
  return finish(parseJsonArrayOrNdjson(text, ActionEntrySchema));
}

function parseJsonArrayOrNdjson<T>(text: string, schema: z.ZodType<T>): ParseResult<T> {
  const body = stripBom(text).trim();
  if (body === '') return { entries: [], invalidLines: [] };
  if (!body.startsWith('[')) return parseNdjson(text, schema);
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    return { entries: [], invalidLines: [{ line: 0, error: `not valid JSON: ${errorMessage(err)}` }] };
  }
  if (!Array.isArray(doc)) {
    return { entries: [], invalidLines: [{ line: 0, error: 'expected a JSON array' }] };
  }
  const result: ParseResult<T> = { entries: [], invalidLines: [] };
  doc.forEach((item: unknown, index) => {
    collect(result, schema, item, index + 1);
  });
  return result;
}

function parseNdjson<T>(text: string, schema: z.ZodType<T>): ParseResult<T> {
  const result: ParseResult<T> = { entries: [], invalidLines: [] };
  const lines = stripBom(text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      result.invalidLines.push({ line: i + 1, error: `not valid JSON: ${errorMessage(err)}` });
      continue;
    }
    collect(result, schema, value, i + 1);
  }
  return result;
}

function collect<T>(result: ParseResult<T>, schema: z.ZodType<T>, value: unknown, line: number): void {
  const parsed = schema.safeParse(dropNulls(value));
  if (parsed.success) {
    result.entries.push(parsed.data);
  } else {
    result.invalidLines.push({ line, error: describeIssues(parsed.error) });
  }
}

function finish<T extends { ts: number }>(result: ParseResult<T>): ParseResult<T> {
  result.entries.sort((a, b) => a.ts - b.ts);
  return result;
}

function dropNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'entry'}: ${issue.message}`)
    .join('; ');
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
