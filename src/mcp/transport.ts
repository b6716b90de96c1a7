import { randomBytes } from 'node:crypto';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type CallToolResult,
  ErrorCode,
  type JSONRPCMessage,
  McpError,
  type MessageExtraInfo,
  RELATED_TASK_META_KEY,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { DATABASE_RETRY_AFTER_SECONDS } from '../domain/errors.ts';
import type { Logger } from '../lib/logger.ts';
import {
  type DirectTool,
  directToolsOf,
  MAX_TOOL_INPUT_ELEMENTS,
  type ToolExtra,
  UNAVAILABLE_META,
} from './tool-kit.ts';

// Streamable HTTP for /mcp, stateless, JSON responses only (MCP spec 2025-06-18 "Transports").
//
// Measured (scratch/bench-mcp-transport.ts: in process, handler level, 4,000–6,000 sequential
// `tools/call` of a tool that does no work, every tool of src/mcp/server.ts registered; Node 20 on
// this 2-core machine under other load, so ±20%; CPU time per call, each row including ≈0.15–0.24 ms
// to build the Request and read the Response):
//   SDK stateless pattern (new McpServer + WebStandardStreamableHTTPServerTransport per request,
//   every tool registered again each time):                              ≈ 4.3–5.9 ms / call
//   SDK transport per request, one long-lived McpServer (connect/close): ≈ 0.45–0.50 ms / call
//   this multiplexing transport in front of one long-lived McpServer:    ≈ 0.29–0.34 ms / call
// So the transport and SDK dispatch cost ≈ 0.1–0.15 ms here against ≈ 0.3 ms for the SDK transport
// (SSE plumbing, stream bookkeeping, connect/close per request) and several ms for a fresh server
// (registering every tool converts its zod schemas). For scale, `userplane_get_profile`'s own
// service work (getProfile, SQLite) measured ≈ 0.55–0.65 ms in the same runs.
//
// How it works: ONE McpServer is connected once to a MultiplexingTransport. Each POST's messages
// get fresh internal request ids (clients reuse ids — every client starts at 0 or 1 — and the SDK
// Protocol keys in-flight requests by id), are delivered with `onmessage(message, { authInfo })`,
// and the server's responses are matched back by internal id, given the client's id again, and
// returned as one JSON body. Nothing is kept between HTTP requests. A successful `initialize` gets a
// random Mcp-Session-Id (MCP 2025-11-25 "Session Management": the server MAY assign one) that no
// process stores and no request requires — clients send it back, and it tells one client's
// sessions apart for logging/setLevel (logging.ts); a made-up or stale one is simply carried. Any
// process can answer any request, GET (no SSE stream in stateless mode) and DELETE (no session
// state to end; the spec lets a server refuse it) are 405.
//
// `initialize` goes to the server like any request. The SDK Server (1.x) answers every initialize
// (it does not refuse a second one; tested in test/integration/mcp-endpoint.test.ts) with its
// capabilities, serverInfo and the negotiated version. It does remember the last initializing
// client's capabilities and clientInfo, which with one shared server is whoever initialized last;
// nothing here may rely on `getClientCapabilities()` (in stateless HTTP it would be wrong anyway:
// the initialize may have gone to another process).
//
// What a stateless JSON exchange cannot carry: server→client requests (sampling, elicitation,
// roots) are answered at once with an error, so a tool that tries one fails instead of hanging;
// server notifications are dropped (list_changed has no stream to go to), except those tied to a
// request in flight when the client accepts text/event-stream — a tool's log messages (logging.ts)
// — which precede the response in an SSE answer to that POST; a client's
// `notifications/cancelled` names an id from another HTTP request and is dropped (closing the HTTP
// request cancels instead: its pending requests are cancelled in the server).

/** An Mcp-Session-Id as the spec allows it (visible ASCII); anything else is ignored. */
const SESSION_ID = /^[\x21-\x7e]{1,128}$/;

// DIRECT: the common `tools/call` — a tool registered by tool-kit's registerTool, plain arguments
// that pass its input schema, no task, no progress token — is run by the transport itself, without
// the SDK's dispatch. That dispatch parses each message with zod to tell requests from responses,
// parses the tools/call request twice (Protocol, then Server), runs the input schema, the tool's
// output schema over the result we built, then CallToolResultSchema over it again, and makes an
// AbortController per request: about a fifth of a tool call's CPU (docs/performance.md). Here the
// input schema runs once and the handler gets the same `extra` the SDK would give it (the caller,
// `_meta`, a signal made on first use, notifications to this request's answer). Everything else —
// an unknown tool, arguments the schema refuses, a task, progress — goes to the SDK as before, so
// its answers (and error texts) stay the SDK's; test/integration/mcp-direct-calls.test.ts compares
// the two on every tool.

/** The largest request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** A request the server has not answered by then gets a JSON-RPC error instead of hanging. */
export const RESPONSE_TIMEOUT_MS = 120_000;
/** How often unanswered requests are checked against RESPONSE_TIMEOUT_MS (so it holds to ±1 s). */
const DEADLINE_SWEEP_MS = 1_000;

type Reply = Extract<JSONRPCMessage, { id: RequestId }> & ({ result: unknown } | { error: unknown });
type Kind = 'request' | 'notification' | 'response';

const isId = (id: unknown): id is RequestId =>
  typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

/** The JSON-RPC 2.0 kind of a message, or undefined when it is not a valid one. */
function kindOf(value: unknown): Kind | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return undefined;
  if ('method' in m) {
    if (typeof m.method !== 'string') return undefined;
    if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) return undefined;
    if (!('id' in m)) return 'notification';
    return isId(m.id) ? 'request' : undefined;
  }
  if ('result' in m !== 'error' in m && isId(m.id)) return 'response';
  return undefined;
}

function rpcError(code: number, message: string, id: RequestId | null = null) {
  return { jsonrpc: '2.0' as const, id, error: { code, message } };
}

/** Array elements plus object members in `value`, counting stops past `max` (the SDK's own rule, S38). */
function elementCount(value: unknown, max: number): number {
  let count = 0;
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (++count > max) return count;
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return count;
}

/**
 * The `extra` a directly run tool handler gets, as the SDK's Protocol would build it: the caller,
 * the request's `_meta`, a signal made on first use (few handlers look at it), notifications into
 * this request's answer, and server→client requests refused as over stateless HTTP. A class, so a
 * call makes one object rather than a set of closures.
 */
class DirectCall {
  readonly sessionId = undefined;
  readonly authInfo: MessageExtraInfo['authInfo'];
  readonly requestInfo: MessageExtraInfo['requestInfo'];
  private controller: AbortController | undefined;

  constructor(
    readonly requestId: number,
    readonly _meta: ToolExtra['_meta'],
    extra: MessageExtraInfo,
    private readonly note: (id: number, notification: { method: string; params?: unknown }) => void,
  ) {
    this.authInfo = extra.authInfo;
    this.requestInfo = extra.requestInfo;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  abort(reason: string): void {
    this.controller?.abort(reason);
  }

  async sendNotification(notification: { method: string; params?: unknown }): Promise<void> {
    if (this.controller?.signal.aborted) return;
    this.note(this.requestId, notification);
  }

  async sendRequest(): Promise<never> {
    throw new McpError(
      ErrorCode.MethodNotFound,
      'Server-to-client requests are not available over stateless HTTP',
    );
  }
}

/**
 * An SDK Transport that a long-lived McpServer connects to once; `exchange` feeds it one HTTP
 * request's messages and resolves with the server's replies, carrying the client's own ids.
 */
export class MultiplexingTransport implements Transport {
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  /** Per internal request id: who collects the notifications tied to it (log messages, see logging.ts). */
  private readonly listeners = new Map<number, (notification: JSONRPCMessage) => void>();
  private closed = false;
  /** tools/call run without the SDK's dispatch (DIRECT above); empty: every request goes to the SDK. */
  private direct: ReadonlyMap<string, DirectTool> = new Map();
  /** Direct calls in flight, to abort their signal when they are abandoned. */
  private readonly directAborts = new Map<number, DirectCall>();
  /**
   * Exchanges in flight → when they must have been answered: one sweep every DEADLINE_SWEEP_MS
   * instead of a timer per request (a timer's creation and removal showed in every call's profile).
   */
  private readonly deadlines = new Map<() => void, number>();
  private sweeper: NodeJS.Timeout | undefined;
  /**
   * The SDK's answer to a plain tools/list, kept: it converts every tool's zod schemas to JSON
   * Schema on each call (≈ 10 ms of CPU for our tools, measured), and clients list the tools at
   * every connection. Forgotten when the server says the list changed.
   */
  private toolList: unknown;
  /** tools/call run directly so far (tests tell the two paths apart by it). */
  directCalls = 0;

  /** Serves these tools' calls directly (DIRECT above); set before the first exchange. */
  setDirectTools(tools: ReadonlyMap<string, DirectTool>): void {
    this.direct = tools;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, deliver] of this.pending) {
      deliver(rpcError(ErrorCode.ConnectionClosed, 'The server is shutting down', id) as Reply);
    }
    this.pending.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.deadlines.clear();
    this.onclose?.();
  }

  /** Requests in flight (for tests: nothing may stay behind after a request ends). */
  get inFlight(): number {
    return this.pending.size;
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const m = message as Record<string, unknown>;
    if ('method' in m) {
      if ('id' in m) {
        // A server→client request: there is no stream to carry it. Answer it as the client would
        // if it did not support the method, so the caller fails fast instead of waiting.
        const id = m.id as RequestId;
        queueMicrotask(() =>
          this.onmessage?.(
            rpcError(
              ErrorCode.MethodNotFound,
              'Server-to-client requests are not available over stateless HTTP',
              id,
            ) as JSONRPCMessage,
          ),
        );
      }
      // The tool list changed (a tool added, removed or updated): the kept answer is stale.
      if (m.method === 'notifications/tools/list_changed') this.toolList = undefined;
      // A notification tied to a request in flight (a tool's log message) travels in that request's
      // answer when its exchange collects them; any other has nowhere to go and is dropped.
      const related = options?.relatedRequestId;
      if (related !== undefined) this.listeners.get(related as number)?.(message);
      return;
    }
    const deliver = this.pending.get(m.id as number);
    if (!deliver) return; // cancelled or timed out meanwhile
    this.pending.delete(m.id as number);
    deliver(message as Reply);
  }

  /**
   * A tools/list without a cursor: answered from the kept list when there is one (true); otherwise
   * the SDK answers (false) and its successful answer is kept on the way out.
   */
  private listFromCache(message: Record<string, unknown>, id: number): boolean {
    if (message.method !== 'tools/list') return false;
    const params = message.params as Record<string, unknown> | undefined;
    if (params && Object.keys(params).length > 0) return false; // a cursor or _meta: the SDK's
    const deliver = this.pending.get(id);
    if (!deliver) return false;
    if (this.toolList === undefined) {
      this.pending.set(id, (reply) => {
        if ('result' in reply) this.toolList = reply.result;
        deliver(reply);
      });
      return false;
    }
    this.pending.delete(id);
    const result = this.toolList;
    queueMicrotask(() => deliver({ result, jsonrpc: '2.0', id } as Reply));
    return true;
  }

  /**
   * Runs a tools/call directly (DIRECT above) when it is the common case; false leaves it to the
   * SDK. The reply is delivered as the SDK's would be, through `pending`.
   */
  private callDirect(message: Record<string, unknown>, id: number, extra: MessageExtraInfo): boolean {
    if (message.method !== 'tools/call' || this.direct.size === 0) return false;
    const params = message.params as Record<string, unknown> | undefined;
    if (!params || typeof params.name !== 'string' || params.task !== undefined) return false;
    const tool = this.direct.get(params.name);
    if (!tool) return false;
    const meta = params._meta;
    if (
      meta !== undefined &&
      (typeof meta !== 'object' || meta === null || 'progressToken' in meta || RELATED_TASK_META_KEY in meta)
    )
      return false;
    const args = params.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return false;
    if (elementCount(args, MAX_TOOL_INPUT_ELEMENTS) > MAX_TOOL_INPUT_ELEMENTS) return false;
    let parsed: ReturnType<DirectTool['input']['safeParse']>;
    try {
      parsed = tool.input.safeParse(args);
    } catch {
      return false; // an asynchronous refinement: the SDK parses asynchronously
    }
    if (!parsed.success) return false; // the SDK words the refusal

    const call = new DirectCall(id, meta as ToolExtra['_meta'], extra, this.noteFromDirect);
    this.directCalls++;
    this.directAborts.set(id, call);
    tool.run(parsed.data, call as unknown as ToolExtra).then(
      (result) => this.finishDirect(id, result),
      (error: unknown) =>
        // As the SDK's McpServer answers a handler that throws: a tool error with the message.
        this.finishDirect(id, {
          content: [{ type: 'text', text: error instanceof Error ? error.message : String(error) }],
          isError: true,
        }),
    );
    return true;
  }

  /** A direct call's notification, into its request's answer (as the SDK's relatedRequestId does). */
  private readonly noteFromDirect = (id: number, notification: { method: string; params?: unknown }) => {
    if (!this.pending.has(id)) return;
    this.listeners.get(id)?.({ ...notification, jsonrpc: '2.0' } as JSONRPCMessage);
  };

  private finishDirect(id: number, result: CallToolResult): void {
    this.directAborts.delete(id);
    const deliver = this.pending.get(id);
    if (!deliver) return; // abandoned meanwhile (the client left, or it timed out)
    this.pending.delete(id);
    deliver({ result, jsonrpc: '2.0', id } as Reply);
  }

  /** Delivers one HTTP request's messages to the server; resolves with a reply per request, in order. */
  exchange(
    messages: ReadonlyArray<{ message: Record<string, unknown>; kind: Kind }>,
    authInfo: AuthInfo,
    /** Calls its listener when the client goes away before the answer; returns the unsubscribe. */
    watchAbort?: AbortWatch,
    options: {
      /** Receives the notifications tied to these requests (log messages); none are kept without it. */
      onNotification?: (notification: JSONRPCMessage) => void;
      /** The client's Mcp-Session-Id, handed to the server as `requestInfo` (it scopes logging/setLevel). */
      sessionId?: string;
    } = {},
  ): Promise<Reply[]> {
    const { onNotification, sessionId } = options;
    const onmessage = this.onmessage;
    if (!onmessage || this.closed) {
      return Promise.resolve(
        messages
          .filter((m) => m.kind === 'request')
          .map(
            (m) => rpcError(ErrorCode.ConnectionClosed, 'Not connected', m.message.id as RequestId) as Reply,
          ),
      );
    }
    const extra: MessageExtraInfo = sessionId
      ? { authInfo, requestInfo: { headers: { 'mcp-session-id': sessionId } } }
      : { authInfo };
    const internalIds: number[] = [];
    const replies: Array<Promise<Reply>> = [];
    for (const { message, kind } of messages) {
      if (kind === 'notification') {
        if (message.method !== 'notifications/cancelled') onmessage(message as JSONRPCMessage, extra);
        continue;
      }
      if (kind === 'response') continue; // we never send the client requests, so nothing awaits these
      const clientId = message.id as RequestId;
      const internalId = this.nextId++;
      internalIds.push(internalId);
      if (onNotification) this.listeners.set(internalId, onNotification);
      replies.push(
        new Promise<Reply>((resolve) => {
          this.pending.set(internalId, (reply) => resolve({ ...reply, id: clientId }));
        }),
      );
      if (!this.callDirect(message, internalId, extra) && !this.listFromCache(message, internalId))
        onmessage({ ...message, id: internalId } as JSONRPCMessage, extra);
    }
    if (!replies.length) return Promise.resolve([]);

    // Ends every still-pending request of this exchange: the client left, or the server is too slow.
    const abandon = (code: number, reason: string) => {
      for (const id of internalIds) {
        const deliver = this.pending.get(id);
        if (!deliver) continue;
        this.pending.delete(id);
        deliver(rpcError(code, reason, id) as Reply);
        this.directAborts.get(id)?.abort(reason);
        // Lets the SDK abort the handler (its AbortSignal) and skip the response.
        onmessage(
          { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } },
          extra,
        );
      }
    };
    const timedOut = () => abandon(ErrorCode.RequestTimeout, 'The request timed out');
    this.deadlines.set(timedOut, performance.now() + RESPONSE_TIMEOUT_MS);
    this.sweeper ??= setInterval(() => this.sweep(), DEADLINE_SWEEP_MS).unref();
    const unwatch = watchAbort?.(() => abandon(ErrorCode.ConnectionClosed, 'The client closed the request'));
    const done = () => {
      if (onNotification) for (const id of internalIds) this.listeners.delete(id);
      this.deadlines.delete(timedOut);
      unwatch?.();
    };
    // One request (the usual POST): its promise alone, without Promise.all's.
    const all = replies.length === 1 ? replies[0]!.then((reply) => [reply]) : Promise.all(replies);
    return all.finally(done);
  }

  /** Abandons the exchanges past their deadline; the sweep stops while none is in flight. */
  private sweep(): void {
    const now = performance.now();
    for (const [timedOut, until] of this.deadlines) if (until <= now) timedOut();
    if (this.deadlines.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

/** A tool result marked by tool-kit as "database unreachable" becomes a JSON-RPC error. */
function unavailableAsError(reply: Reply): Reply {
  const result = (reply as { result?: { _meta?: Record<string, unknown> } }).result;
  if (result?._meta?.[UNAVAILABLE_META] !== true) return reply;
  return {
    ...rpcError(
      ErrorCode.InternalError,
      'Service temporarily unavailable: the database cannot be reached; retry shortly',
      reply.id,
    ),
  } as Reply;
}

const jsonHeaders = { 'content-type': 'application/json' } as const;

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): McpHttpAnswer {
  return { status, headers: { ...jsonHeaders, ...headers }, body: JSON.stringify(body) };
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mediaType(header: string | null): string {
  if (!header) return '';
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** What MCP clients send (the SDK's client among them): it admits both, no parsing needed. */
const USUAL_ACCEPT = 'application/json, text/event-stream';

/** Whether an Accept header admits application/json (the Streamable HTTP spec requires it listed). */
function acceptsJson(header: string | null): boolean {
  if (header === USUAL_ACCEPT) return true;
  if (!header) return false;
  for (const part of header.split(',')) {
    const type = mediaType(part);
    if (type === 'application/json' || type === 'application/*' || type === '*/*') {
      // An explicit q=0 refuses the type (RFC 9110 §12.4.2).
      if (!/;\s*q\s*=\s*0(\.0{0,3})?\s*(;|$)/i.test(part)) return true;
    }
  }
  return false;
}

/** Whether an Accept header admits text/event-stream (an explicit q=0 refuses it). */
function acceptsEventStream(header: string | null): boolean {
  if (header === USUAL_ACCEPT) return true;
  if (!header) return false;
  for (const part of header.split(',')) {
    const type = mediaType(part);
    if (type === 'text/event-stream' && !/;\s*q\s*=\s*0(\.0{0,3})?\s*(;|$)/i.test(part)) return true;
  }
  return false;
}

/**
 * An answer that carries notifications before the response(s): a complete SSE stream (Streamable
 * HTTP §2.1.5: "the server MAY send JSON-RPC requests and notifications before sending the JSON-RPC
 * response"). Written once the request is done, so it costs nothing while it runs.
 */
function eventStream(messages: readonly unknown[]): McpHttpAnswer {
  let body = '';
  for (const message of messages) body += `event: message\ndata: ${JSON.stringify(message)}\n\n`;
  return { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, body };
}

/** The body as text within MAX_BODY_BYTES, or undefined when it is larger. */
async function readBody(request: Request): Promise<string | undefined> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d+$/.test(declared) || Number(declared) > MAX_BODY_BYTES) return undefined;
    const text = await request.text();
    return Buffer.byteLength(text) > MAX_BODY_BYTES ? undefined : text;
  }
  // Chunked: count while reading, stop at the limit instead of buffering whatever is sent.
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Calls `listener` when the client goes away before its answer; returns the unsubscribe. */
export type AbortWatch = (listener: () => void) => () => void;

/**
 * One HTTP request to /mcp as the handler reads it, whichever server received it: the hono app
 * (a web Request, `handle`) or node:http directly (route.ts's fast path, `answer`).
 */
export interface McpHttpRequest {
  readonly method: string;
  /** A header's value by its lower-case name; null when absent. */
  header(name: string): string | null;
  /** The body as text within MAX_BODY_BYTES, or undefined when it is larger. */
  body(): Promise<string | undefined>;
  watchAbort?: AbortWatch;
}

/** The handler's answer, written as a web Response (`handle`) or straight to node:http. */
export interface McpHttpAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string | null;
}

/** A web Request as the handler reads it. */
function webRequest(request: Request): McpHttpRequest {
  return {
    method: request.method,
    header: (name) => request.headers.get(name),
    body: () => readBody(request),
    watchAbort: (listener) => {
      const signal = request.signal;
      if (signal.aborted) listener();
      else signal.addEventListener('abort', listener, { once: true });
      return () => signal.removeEventListener('abort', listener);
    },
  };
}

export interface McpHttpHandler {
  /** Answers one authenticated HTTP request to /mcp. */
  handle(request: Request, authInfo: AuthInfo): Promise<Response>;
  /** The same, for a request read off node:http (route.ts): no web Request or Response is built. */
  answer(request: McpHttpRequest, authInfo: AuthInfo): Promise<McpHttpAnswer>;
  /** Disconnects the server; in-flight requests get an error. */
  close(): Promise<void>;
  readonly transport: MultiplexingTransport;
}

/** Connects `server` (once) to a multiplexing transport and returns the per-request HTTP handler. */
export function createMcpHttpHandler(server: McpServer, log: Logger): McpHttpHandler {
  const transport = new MultiplexingTransport();
  transport.setDirectTools(directToolsOf(server));
  let connected = false;
  const connecting = server.connect(transport).then(() => {
    connected = true;
  });
  server.server.onerror = (error) => log.warn({ err: error }, 'mcp: protocol error');

  const answer: McpHttpHandler['answer'] = async (request, authInfo) => {
    if (request.method !== 'POST') {
      // Stateless: no standalone SSE stream to GET, no session to DELETE (Streamable HTTP §2.2–2.5).
      return jsonResponse(
        405,
        rpcError(ErrorCode.ConnectionClosed, 'Method not allowed: POST JSON-RPC messages'),
        {
          allow: 'POST, OPTIONS',
        },
      );
    }
    const version = request.header('mcp-protocol-version');
    if (version !== null && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return jsonResponse(
        400,
        rpcError(
          ErrorCode.InvalidRequest,
          `Unsupported MCP-Protocol-Version; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
        ),
      );
    }
    if (!acceptsJson(request.header('accept'))) {
      return jsonResponse(406, rpcError(ErrorCode.ConnectionClosed, 'Accept must include application/json'));
    }
    if (mediaType(request.header('content-type')) !== 'application/json') {
      return jsonResponse(415, rpcError(ErrorCode.ConnectionClosed, 'Content-Type must be application/json'));
    }
    const text = await request.body();
    if (text === undefined) {
      return jsonResponse(413, rpcError(ErrorCode.InvalidRequest, 'The request body exceeds 1 MiB'));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return jsonResponse(400, rpcError(ErrorCode.ParseError, 'Parse error: the body is not JSON'));
    }
    const batch = Array.isArray(parsed);
    const list: unknown[] = batch ? (parsed as unknown[]) : [parsed];
    const messages: Array<{ message: Record<string, unknown>; kind: Kind }> = [];
    for (const message of list) {
      const kind = kindOf(message);
      if (!kind) {
        return jsonResponse(
          400,
          rpcError(ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message'),
        );
      }
      messages.push({ message: message as Record<string, unknown>, kind });
    }
    if (!messages.length) {
      return jsonResponse(400, rpcError(ErrorCode.InvalidRequest, 'Invalid Request: empty batch'));
    }
    if (!connected) await connecting;
    // Log messages (logging.ts) are only produced for a client that asked for them, and can only
    // reach one that reads an event stream: nothing is collected otherwise.
    let notes: JSONRPCMessage[] | undefined;
    const collect = acceptsEventStream(request.header('accept'))
      ? (note: JSONRPCMessage) => {
          if (notes) notes.push(note);
          else notes = [note];
        }
      : undefined;
    const sessionHeader = request.header('mcp-session-id');
    const sessionId = sessionHeader !== null && SESSION_ID.test(sessionHeader) ? sessionHeader : undefined;
    const replies = await transport.exchange(messages, authInfo, request.watchAbort?.bind(request), {
      ...(collect ? { onNotification: collect } : {}),
      ...(sessionId ? { sessionId } : {}),
    });
    // Only notifications or responses: accepted, nothing to say (Streamable HTTP §2.1).
    if (!replies.length) return { status: 202, headers: {}, body: null };
    const answers = replies.map(unavailableAsError);
    // One message that failed for want of the database: 503 tells clients and proxies to retry.
    const unavailable = !batch && answers[0] !== replies[0];
    if (notes && !unavailable) return eventStream([...notes, ...answers]);
    // A successful initialize hands out a session id (see the top of this file): nothing is kept
    // for it and no request needs it; it only tells one client's sessions apart.
    const initialized =
      !batch && messages[0]!.message.method === 'initialize' && 'result' in (answers[0] as object);
    return {
      status: unavailable ? 503 : 200,
      headers: unavailable
        ? { ...jsonHeaders, 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) }
        : initialized
          ? { ...jsonHeaders, 'mcp-session-id': randomBytes(18).toString('base64url') }
          : jsonHeaders,
      body: JSON.stringify(batch ? answers : answers[0]),
    };
  };

  return {
    transport,
    answer,
    async close() {
      await connecting;
      await server.close();
    },
    async handle(request, authInfo) {
      const out = await answer(webRequest(request), authInfo);
      return new Response(out.body, { status: out.status, headers: out.headers });
    },
  };
}
