import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolResult,
  ErrorCode,
  type LoggingLevel,
  LoggingLevelSchema,
  McpError,
  RequestSchema,
  type ServerNotification,
  type ServerRequest,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

// MCP logging (spec 2025-11-25 "Utilities / Logging"): the client says with `logging/setLevel` what
// it wants to hear, and tool calls send `notifications/message` about what an operator of an AI
// client would want to see — a refused call (its error code and the ids it named) and a slow one.
// Never a secret, never customer content: the tool's name, ids, an error code, a duration.
//
// What setLevel means on a stateless server (docs/mcp.md, "Logging"): no session state exists to
// hang the level on, and one McpServer serves every user, so the SDK's own handler — which keeps one
// level per transport session id, here always `undefined` — would let one user's setLevel decide
// for everyone. Instead:
//   1. a request may carry its own level in `_meta["io.modelcontextprotocol/logLevel"]` (the form
//      of the stateless 2026-07-28 revision): exact, in any process;
//   2. otherwise the level this client session last set with `logging/setLevel`: the session is the
//      grant (one client app authorized by one user; it survives token refresh) plus the
//      Mcp-Session-Id the client got at initialize (transport.ts; stored nowhere), or the grant alone
//      for a client that sends none. Remembered by this process for the MAX_REMEMBERED most recent;
//   3. otherwise nothing is sent (the spec lets a server choose; silence costs nothing).
// The messages travel in the POST's own answer (an SSE stream, see transport.ts), before the result.

/** Sessions whose setLevel this process remembers (the oldest is forgotten first). */
export const MAX_REMEMBERED = 10_000;
/** A tool call slower than this is reported at `warning`. */
export const SLOW_TOOL_CALL_MS = 1_000;
/** The `_meta` key of a per-request level (MCP 2026-07-28). */
export const LOG_LEVEL_META = 'io.modelcontextprotocol/logLevel';
const LOGGER = 'userplane';

/** RFC 5424 order, least severe first (the order LoggingLevelSchema lists them in). */
const SEVERITY = new Map<string, number>(LoggingLevelSchema.options.map((level, index) => [level, index]));

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** Sends one tool call's log messages to its client; null when the client asked for none. */
export interface ToolCallLog {
  /** The call returned a result; debug, or warning when it was slow. */
  finished(tool: string, args: unknown, ms: number): void;
  /** The call was refused (the tool error `result`): its code at warning (access) or info (the rest). */
  refused(tool: string, args: unknown, result: CallToolResult, ms: number): void;
}

/** The levels clients asked for, per session (`sessionKey`). */
export interface ClientLogLevels {
  set(session: string, level: LoggingLevel): void;
  /** The log of one tool call, or null when nothing would be sent (the cheap common case). */
  forCall(extra: Extra): ToolCallLog | null;
  readonly size: number;
}

const byServer = new WeakMap<McpServer, ClientLogLevels>();

/**
 * Whose level a request names: its grant, and its Mcp-Session-Id when it sends one (the grant
 * first, so a session id copied from someone else can only ever name the copier's own grant).
 */
export function sessionKey(extra: Pick<Extra, 'authInfo' | 'requestInfo'>): string | undefined {
  const grantId = extra.authInfo?.extra?.grantId;
  if (typeof grantId !== 'string') return undefined;
  const session = extra.requestInfo?.headers['mcp-session-id'];
  return typeof session === 'string' ? `${grantId} ${session}` : grantId;
}

/** The per-session levels of a server with logging enabled (undefined otherwise: its tools log nothing). */
export function clientLogLevels(server: McpServer): ClientLogLevels | undefined {
  return byServer.get(server);
}

/**
 * Replaces the SDK's `logging/setLevel` handler (keyed by a transport session id, which a
 * multiplexed server never has) with the one described above. The server must declare `logging`.
 */
export function enableClientLogging(server: McpServer, max = MAX_REMEMBERED): ClientLogLevels {
  const levels = new Map<string, LoggingLevel>();
  const api: ClientLogLevels = {
    set(session, level) {
      levels.delete(session); // re-inserted last: the most recently set is forgotten last
      levels.set(session, level);
      if (levels.size > max) levels.delete(levels.keys().next().value!);
    },
    forCall(extra) {
      const asked = extra._meta?.[LOG_LEVEL_META];
      let level: LoggingLevel | undefined;
      if (typeof asked === 'string' && SEVERITY.has(asked)) level = asked as LoggingLevel;
      else if (levels.size > 0) {
        const session = sessionKey(extra);
        if (session !== undefined) level = levels.get(session);
      }
      return level === undefined ? null : callLog(SEVERITY.get(level)!, extra);
    },
    get size() {
      return levels.size;
    },
  };
  // Registered with the method only and the level checked here: with SetLevelRequestSchema the SDK
  // would answer an unknown level with -32603 Internal error instead of -32602 Invalid params.
  const anySetLevel = RequestSchema.extend({ method: SetLevelRequestSchema.shape.method });
  server.server.setRequestHandler(anySetLevel, async (request, extra) => {
    const level = LoggingLevelSchema.safeParse(request.params?.level);
    if (!level.success)
      throw new McpError(
        ErrorCode.InvalidParams,
        `level must be one of ${LoggingLevelSchema.options.join(', ')}`,
      );
    const session = sessionKey(extra);
    if (session !== undefined) api.set(session, level.data);
    return {};
  });
  byServer.set(server, api);
  return api;
}

/** String ids among a call's arguments (`workspaceId`, `recordingId`, `project_id` …), nothing else. */
function idsOf(args: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  if (typeof args !== 'object' || args === null) return ids;
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === 'string' && value.length <= 64 && /(^id|Id|_id)$/.test(key)) ids[key] = value;
  }
  return ids;
}

/** Codes that say the caller may not do this (worth a warning); the other refusals are info. */
const ACCESS_CODES = /^(NOT_A_MEMBER|UNAUTHENTICATED|RATE_LIMITED|PLAN_LIMIT_EXCEEDED|([A-Z]+_)*FORBIDDEN)$/;

function callLog(threshold: number, extra: Extra): ToolCallLog {
  const send = (level: LoggingLevel, data: Record<string, unknown>) => {
    if (SEVERITY.get(level)! < threshold) return;
    // Tied to the request (relatedRequestId), so the transport puts it in that request's answer.
    extra
      .sendNotification({ method: 'notifications/message', params: { level, logger: LOGGER, data } })
      .catch(
        () => {}, // the client left; nobody to tell
      );
  };
  return {
    finished(tool, args, ms) {
      const rounded = Math.round(ms);
      if (ms > SLOW_TOOL_CALL_MS)
        send('warning', { message: `${tool} took ${rounded} ms (slow)`, tool, ms: rounded, ...idsOf(args) });
      else send('debug', { message: `${tool} finished in ${rounded} ms`, tool, ms: rounded });
    },
    refused(tool, args, result, ms) {
      const first = result.content[0];
      const text = first?.type === 'text' ? first.text : '';
      // Only the stable code before the colon: the rest of the text may quote what was sent.
      const code = /^([A-Z][A-Z0-9_]*):/.exec(text)?.[1] ?? 'TOOL_ERROR';
      const level: LoggingLevel =
        code === 'INTERNAL_ERROR' || code === 'SERVICE_UNAVAILABLE'
          ? 'error'
          : ACCESS_CODES.test(code) || ms > SLOW_TOOL_CALL_MS
            ? 'warning'
            : 'info';
      const rounded = Math.round(ms);
      send(level, { message: `${tool} refused: ${code}`, tool, code, ms: rounded, ...idsOf(args) });
    },
  };
}
