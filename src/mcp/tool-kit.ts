import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ApiError, DatabaseUnavailableError } from '../domain/errors.ts';
import { singleLine } from '../domain/text-rules.ts';
import type { Page, Recording } from '../domain/types.ts';
import {
  type LinkWire,
  pagination,
  type RecordingInfo,
  recordingToInfo,
  PaginationSchema as WirePagination,
} from '../domain/wire.ts';
import { type Access, requireMember } from '../services/access.ts';
import type { Deps } from '../services/deps.ts';
import { isExpired, playerUrl } from '../services/recordings.ts';
import { clientLogLevels } from './logging.ts';

// Shared pieces of the MCP tools (PRODUCT.md §4): how a call learns who is calling, the one place
// that turns a failure into a tool error, paging, and the wire shapes several tools share.

/** What the SDK hands a tool handler besides its arguments. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** The caller of one tool call, as the /mcp endpoint verified it. */
export interface Caller {
  userId: string;
  /** The caller's membership of a workspace, read fresh on every call (S40). */
  access(workspaceId: string): Promise<Access>;
}

/** A refusal the tools produce themselves (no ApiError behind it). */
export class ToolRefusal extends Error {
  override name = 'ToolRefusal';
}

/** Largest page a tool returns (PRODUCT.md §4: per_page default 10, max 50). */
export const MAX_TOOL_PER_PAGE = 50;
export const DEFAULT_TOOL_PER_PAGE = 10;

const ID_MAX = 64;

/**
 * An explicit id argument (camelCase, PRODUCT.md §4); the length cap and the text rule (no NUL,
 * controls or unpaired surrogates, domain/text-rules.ts) keep junk out of queries (S38).
 */
export function idArg(description: string) {
  return singleLine().min(1).max(ID_MAX).describe(description);
}

/** An optional id filter (snake_case list filter). */
export function idFilter(description: string) {
  return singleLine().min(1).max(ID_MAX).optional().describe(description);
}

export const workspaceIdArg = idArg('The workspace id (ws_…), from userplane_list_workspaces');
export const recordingIdArg = idArg('The recording id (rec_…), from userplane_list_recordings');

/** `page` and `per_page` of every list tool. */
export const pagingArgs = {
  page: z.number().int().min(1).max(1_000_000).default(1).describe('Page number, from 1'),
  per_page: z
    .number()
    .int()
    .min(1)
    .max(MAX_TOOL_PER_PAGE)
    .default(DEFAULT_TOOL_PER_PAGE)
    .describe(`Items per page (default ${DEFAULT_TOOL_PER_PAGE}, at most ${MAX_TOOL_PER_PAGE})`),
};

/**
 * The pagination object of domain/wire.ts (the REST API's), except that `total` and `totalPages` are
 * absent on recording lists: counting a large workspace on every call would cost more than the page
 * itself, and an agent pages with hasMore.
 */
export const PaginationSchema = WirePagination.extend({
  total: WirePagination.shape.total.optional(),
  totalPages: WirePagination.shape.totalPages.optional(),
});
export type Pagination = z.infer<typeof PaginationSchema>;

/** The output schema of a list tool: `{ [key]: item[], pagination }`. */
export function pageOutput<K extends string, T extends z.ZodType>(key: K, item: T) {
  const shape = { [key]: z.array(item), pagination: PaginationSchema } as { [k in K]: z.ZodArray<T> } & {
    pagination: typeof PaginationSchema;
  };
  return z.object(shape);
}

/** `page` and `per_page` of a list tool's arguments, as the services take them. */
export function pageRequest(args: { page: number; per_page: number }): { page: number; perPage: number } {
  return { page: args.page, perPage: args.per_page };
}

/** One page of an in-memory list (domains, log entries). */
export function pageOf<T>(items: readonly T[], page: number, perPage: number): Page<T> {
  const start = (page - 1) * perPage;
  return { items: items.slice(start, start + perPage), page, perPage, total: items.length };
}

/** "items 1–10 of 42 (page 1 of 5)" for the text renderings. */
export function pageLine(noun: string, p: Pagination, shown: number): string {
  if (p.total === undefined || p.totalPages === undefined) {
    if (shown === 0) return p.page === 1 ? `No ${noun}.` : `No ${noun} on page ${p.page}.`;
    const first = (p.page - 1) * p.perPage + 1;
    return `${noun[0]!.toUpperCase()}${noun.slice(1)} ${first}–${first + shown - 1}.${p.hasMore ? ` Next: page ${p.page + 1}.` : ' No more.'}`;
  }
  if (p.total === 0) return `No ${noun}.`;
  if (shown === 0) return `No ${noun} on page ${p.page}; there are ${p.totalPages} page(s).`;
  const first = (p.page - 1) * p.perPage + 1;
  const more = p.hasMore ? ` Next: page ${p.page + 1}.` : '';
  return `${noun[0]!.toUpperCase()}${noun.slice(1)} ${first}–${first + shown - 1} of ${p.total} (page ${p.page} of ${p.totalPages}).${more}`;
}

/** `_meta` key marking a tool result that failed because the database was unreachable (see transport.ts). */
export const UNAVAILABLE_META = 'userplane/unavailable';

const ROLE_HINT = 'Workspace Settings > Team';

/**
 * The one place a failure becomes a tool error (ENGINEERING.md habit 1): an ApiError keeps its stable
 * code and message; a role refusal names the role it needs and where roles are changed (PRODUCT.md
 * §2); anything else is logged and reported without detail.
 */
export function toolError(error: unknown, deps: Deps, tool: string): CallToolResult {
  return { content: [{ type: 'text', text: describeFailure(error, deps, tool) }], isError: true };
}

function describeFailure(error: unknown, deps: Deps, tool: string): string {
  if (error instanceof ToolRefusal) return error.message;
  if (!(error instanceof ApiError)) {
    deps.log.error({ err: error, tool }, 'MCP tool failed');
    return 'INTERNAL_ERROR: The tool failed on the server. Try again later.';
  }
  switch (error.code) {
    case 'NOT_A_MEMBER':
      // S39: the same words whether or not the workspace exists.
      return 'NOT_A_MEMBER: You are not a member of this workspace. userplane_list_workspaces lists the workspaces you can use.';
    case 'FORBIDDEN':
    case 'LINK_DELETE_FORBIDDEN':
    case 'RECORDING_DELETE_FORBIDDEN':
    case 'LINK_RESTORE_FORBIDDEN':
    case 'RECORDING_RESTORE_FORBIDDEN':
      return error.message.includes(ROLE_HINT)
        ? `${error.code}: ${error.message}`
        : `${error.code}: ${error.message} Roles are managed in ${ROLE_HINT}.`;
    case 'RECORDING_GONE':
      // "This recording has been deleted", or why it can no longer be restored.
      return `RECORDING_GONE: ${error.message}${error.message.endsWith('.') ? '' : '.'}`;
    case 'RECORDING_EXPIRED':
      return 'RECORDING_EXPIRED: This recording has expired: its video and logs are no longer available. userplane_get_rec_info still shows its details.';
    case 'API_KEY_INVALID':
    case 'API_KEY_EXPIRED':
    case 'API_KEY_DISABLED':
    case 'API_KEY_REQUIRED':
      return 'UNAUTHENTICATED: Your account is no longer available. Reconnect the app to sign in again.';
    default:
      if (error.status >= 500) {
        deps.log.error({ err: error, tool }, 'MCP tool failed');
        return `${error.code}: The tool failed on the server. Try again later.`;
      }
      return `${error.code}: ${error.message}`;
  }
}

/** The user id the /mcp endpoint put on the call; a call without one is refused. */
export function callerUserId(extra: ToolExtra): string {
  const userId = extra.authInfo?.extra?.userId;
  if (typeof userId !== 'string' || userId === '') {
    throw new ToolRefusal('UNAUTHENTICATED: This call carries no signed-in user.');
  }
  return userId;
}

type ObjectSchema = z.ZodObject<z.ZodRawShape>;

/** What a tool's run function returns: the structured result and its short text rendering. */
export interface ToolOutput<O> {
  structured: O;
  text: string;
}

/** A tool definition: schemas, annotations and the function that runs it for a caller. */
export interface ToolDefinition<I extends ObjectSchema, O extends ObjectSchema> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  _meta?: Record<string, unknown>;
  run(args: z.output<I>, caller: Caller): Promise<ToolOutput<z.input<O>>>;
}

/**
 * Registers a tool with zod input and output schemas (PRODUCT.md §4). Every call resolves the caller
 * from the verified token, and every failure goes through toolError, so handlers only hold the happy
 * path and never leak internals.
 */
export function registerTool<I extends ObjectSchema, O extends ObjectSchema>(
  server: McpServer,
  deps: Deps,
  tool: ToolDefinition<I, O>,
): void {
  const logLevels = clientLogLevels(server);
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input,
      outputSchema: tool.output,
      annotations: { title: tool.title, openWorldHint: false, ...tool.annotations },
      ...(tool._meta ? { _meta: tool._meta } : {}),
    },
    // The SDK's callback type is derived from the schema through its zod-compat layer; the cast
    // keeps our stricter, z.output-typed signature.
    handler as never,
  );
  // The same handler for the transport's direct tools/call (transport.ts DIRECT).
  directToolsOf(server).set(tool.name, { input: tool.input, run: handler as DirectTool['run'] });

  async function handler(args: z.output<I>, extra: ToolExtra): Promise<CallToolResult> {
    // Null unless this client asked for log messages (logging.ts): then nothing is measured or built.
    const log = logLevels?.forCall(extra) ?? null;
    const started = log ? performance.now() : 0;
    try {
      const userId = callerUserId(extra);
      const caller: Caller = { userId, access: (workspaceId) => requireMember(deps, userId, workspaceId) };
      const out = await tool.run(args, caller);
      log?.finished(tool.name, args, performance.now() - started);
      return {
        content: [{ type: 'text', text: out.text }],
        structuredContent: out.structured as Record<string, unknown>,
      };
    } catch (error) {
      // Not a tool failure the model should reason about: the transport turns this marker into a
      // JSON-RPC error with HTTP 503, so the client retries (the store logged the outage once).
      if (error instanceof DatabaseUnavailableError) {
        return {
          content: [
            {
              type: 'text',
              text: 'SERVICE_UNAVAILABLE: The server cannot reach its database; try again shortly.',
            },
          ],
          isError: true,
          _meta: { [UNAVAILABLE_META]: true },
        };
      }
      const refused = toolError(error, deps, tool.name);
      log?.refused(tool.name, args, refused, performance.now() - started);
      return refused;
    }
  }
}

/** What pagedListTool needs: the tool's names, the item schema, the service call and the renderings. */
export interface PagedListSpec<K extends string, S extends z.ZodType, T> {
  name: string;
  title: string;
  description: string;
  key: K;
  item: S;
  list(access: Access, page: { page: number; perPage: number }): Promise<Page<T>>;
  toWire(item: T): z.output<S>;
  line(item: z.output<S>): string;
}

/**
 * A read-only tool listing one page of a workspace's items from a paged service call: arguments
 * workspaceId, page, per_page; answer `{ [key]: items, pagination }` with one text line per item.
 */
export function pagedListTool<K extends string, S extends z.ZodType, T>(spec: PagedListSpec<K, S, T>) {
  const output = pageOutput(spec.key, spec.item);
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input: z.object({ workspaceId: workspaceIdArg, ...pagingArgs }),
    output,
    annotations: READ_ONLY,
    async run(args: { workspaceId: string; page: number; per_page: number }, caller: Caller) {
      const page = await spec.list(await caller.access(args.workspaceId), pageRequest(args));
      const answer = pageAnswer(spec.key, page.items.map(spec.toWire), pagination(page), spec.line);
      return answer as ToolOutput<z.input<typeof output>>;
    },
  };
}

/** Largest `arguments` payload of one tools/call (array elements plus object members, S38). */
export const MAX_TOOL_INPUT_ELEMENTS = 2_000;

/** A tool as the transport calls it directly: its input schema and the handler registerTool built. */
export interface DirectTool {
  input: ObjectSchema;
  run(args: unknown, extra: ToolExtra): Promise<CallToolResult>;
}

const directTools = new WeakMap<McpServer, Map<string, DirectTool>>();

/** The tools registerTool registered on `server`, by name (empty for a server it never saw). */
export function directToolsOf(server: McpServer): Map<string, DirectTool> {
  let tools = directTools.get(server);
  if (!tools) {
    tools = new Map();
    directTools.set(server, tools);
  }
  return tools;
}

/** Annotations of a read-only tool. */
export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
};

// ---- Text renderings of the wire shapes (domain/wire.ts) ------------------------------------------

/** One line describing a link, for text renderings. */
export function linkLine(link: LinkWire): string {
  const title = link.linkTitle ?? '(untitled)';
  return `${link.linkId} "${title}" on ${link.domain.url}, ${link.linkReusable ? 'reusable' : 'single-use'}, by ${link.creator.name}: ${link.linkURL}`;
}

/** Domain recording → the details userplane_get_rec_info returns (PRODUCT.md §4). */
export function recordingInfo(deps: Deps, recording: Recording): RecordingInfo {
  return recordingToInfo(recording, {
    expired: isExpired(recording, deps.clock.now()),
    playerUrl: playerUrl(deps, recording.id),
  });
}

/**
 * The answer of a list tool: `{ [key]: items, pagination }`, and as text the page line with one
 * line per item.
 */
export function pageAnswer<K extends string, T>(
  key: K,
  items: T[],
  page: Pagination,
  line: (item: T) => string,
): ToolOutput<{ [k in K]: T[] } & { pagination: Pagination }> {
  return {
    structured: { [key]: items, pagination: page } as { [k in K]: T[] } & { pagination: Pagination },
    text: [pageLine(key, page, items.length), ...items.map((item) => `- ${line(item)}`)].join('\n'),
  };
}

/** "15.0 s" for text renderings. */
export function seconds(ms: number | null): string {
  return ms === null ? 'unknown length' : `${(ms / 1000).toFixed(1)} s`;
}

/** Cuts long captured text (bodies, messages) so one page of entries stays readable by a model. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}
