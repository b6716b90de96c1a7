import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// Local stand-ins for Intercom, Zendesk and a Slack incoming webhook (node:http on 127.0.0.1).
// Each one CHECKS the request shape the provider documents — method, path, auth header, version
// header, content type, body fields — and answers 400 (naming what was wrong) when it does not
// match, as a strict provider would; a wrong credential answers 401 in the provider's own error
// format. Every request is recorded; accepted ones also as `notes`/`messages`. `failNext` makes the
// next answers a chosen status (500, 429, 401 …) whatever arrives.
//
// - Intercom "Reply to a conversation": POST /conversations/{id}/reply, Authorization: Bearer,
//   Intercom-Version, {message_type: 'note', type: 'admin', admin_id, body}.
// - Zendesk "Update ticket": PUT /api/v2/tickets/{id}.json, Basic base64("{email}/token:{token}"),
//   {ticket: {comment: {body, public: false}}}.
// - Slack incoming webhook: POST to the hook's secret path, {text, blocks?}, answered "ok".

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** What the fake answered. */
  status: number;
  /** Why a request was refused with 400 (the shape check), if it was. */
  rejected?: string;
}

interface Programmed {
  status: number;
  body: string;
}

/** A fake provider on a loopback port. */
export interface FakeServer<Accepted> {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request, in order. */
  received: ReceivedRequest[];
  /** The requests that passed the checks and were answered 2xx. */
  accepted: Accepted[];
  /** The next `times` requests get `status` (and `body`) instead of the normal answer. */
  failNext(status: number, times?: number, body?: string): void;
  close(): Promise<void>;
}

type Handler<Accepted> = (
  req: ReceivedRequest,
) =>
  | { status: number; body: unknown; accepted?: Accepted }
  | { status: 400; body: unknown; rejected: string };

async function startFake<Accepted>(handle: Handler<Accepted>): Promise<FakeServer<Accepted>> {
  const received: ReceivedRequest[] = [];
  const accepted: Accepted[] = [];
  const programmed: Programmed[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = raw.length > 0 ? JSON.parse(raw) : undefined;
      } catch {
        json = undefined;
      }
      const record: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        raw,
        json,
        status: 0,
      };
      received.push(record);
      const next = programmed.shift();
      if (next) {
        record.status = next.status;
        res.writeHead(next.status, { 'content-type': 'application/json' }).end(next.body);
        return;
      }
      const answer = handle(record);
      record.status = answer.status;
      if ('rejected' in answer) record.rejected = answer.rejected;
      if ('accepted' in answer && answer.accepted !== undefined) accepted.push(answer.accepted);
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res
        .writeHead(answer.status, {
          'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
        })
        .end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    accepted,
    failNext(status, times = 1, body) {
      for (let i = 0; i < times; i++)
        programmed.push({ status, body: body ?? JSON.stringify({ error: `programmed ${status}` }) });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(req: ReceivedRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isJsonRequest(req: ReceivedRequest): boolean {
  return (header(req, 'content-type') ?? '').split(';')[0]!.trim() === 'application/json';
}

function object(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export interface IntercomNote {
  conversationId: string;
  adminId: string;
  body: string;
  idempotencyKey: string | undefined;
}

/** A fake Intercom REST API; conversations other than `conversations` answer 404. */
export function startFakeIntercom(options: {
  token: string;
  adminId: string;
  version?: string;
  conversations: string[];
}): Promise<FakeServer<IntercomNote>> {
  const version = options.version ?? '2.11';
  const errorList = (code: string, message: string) => ({ type: 'error.list', errors: [{ code, message }] });
  const bad = (rejected: string) => ({
    status: 400 as const,
    body: errorList('parameter_invalid', rejected),
    rejected,
  });
  return startFake<IntercomNote>((req) => {
    const match = /^\/conversations\/([^/?]+)\/reply$/.exec(req.path);
    if (req.method !== 'POST' || !match)
      return bad(`expected POST /conversations/{id}/reply, got ${req.method} ${req.path}`);
    if (header(req, 'authorization') !== `Bearer ${options.token}`)
      return { status: 401, body: errorList('unauthorized', 'Access Token Invalid') };
    if (header(req, 'intercom-version') !== version)
      return bad(`Intercom-Version must be ${version}, got ${header(req, 'intercom-version')}`);
    if (header(req, 'accept') !== 'application/json') return bad('Accept must be application/json');
    if (!isJsonRequest(req)) return bad('Content-Type must be application/json');
    const body = object(req.json);
    if (!body) return bad('the body must be a JSON object');
    if (body.message_type !== 'note') return bad('message_type must be note');
    if (body.type !== 'admin') return bad('type must be admin');
    if (typeof body.admin_id !== 'string' || body.admin_id.length === 0) return bad('admin_id is required');
    if (typeof body.body !== 'string' || body.body.length === 0) return bad('body is required for a note');
    const extra = Object.keys(body).filter((k) => !['message_type', 'type', 'admin_id', 'body'].includes(k));
    if (extra.length > 0) return bad(`unexpected fields: ${extra.join(', ')}`);
    if (body.admin_id !== options.adminId)
      return { status: 404, body: errorList('not_found', 'Admin Not Found') };
    const conversationId = decodeURIComponent(match[1]!);
    if (!options.conversations.includes(conversationId))
      return { status: 404, body: errorList('not_found', 'Resource Not Found') };
    return {
      status: 200,
      body: { type: 'conversation', id: conversationId, state: 'open' },
      accepted: {
        conversationId,
        adminId: body.admin_id,
        body: body.body,
        idempotencyKey: header(req, 'idempotency-key'),
      },
    };
  });
}

export interface ZendeskComment {
  ticketId: string;
  body: string;
  idempotencyKey: string | undefined;
}

/** A fake Zendesk Support API; tickets other than `tickets` answer 404. */
export function startFakeZendesk(options: {
  email: string;
  token: string;
  tickets: string[];
}): Promise<FakeServer<ZendeskComment>> {
  const expected = `Basic ${Buffer.from(`${options.email}/token:${options.token}`).toString('base64')}`;
  const bad = (rejected: string) => ({
    status: 400 as const,
    body: { error: 'InvalidParameter', description: rejected },
    rejected,
  });
  return startFake<ZendeskComment>((req) => {
    const match = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(req.path);
    if (req.method !== 'PUT' || !match)
      return bad(`expected PUT /api/v2/tickets/{id}.json, got ${req.method} ${req.path}`);
    if (header(req, 'authorization') !== expected)
      return { status: 401, body: { error: "Couldn't authenticate you" } };
    if (!isJsonRequest(req)) return bad('Content-Type must be application/json');
    const ticket = object(object(req.json)?.ticket);
    const comment = object(ticket?.comment);
    if (!ticket || !comment) return bad('the body must be {ticket: {comment: {...}}}');
    if (typeof comment.body !== 'string' || comment.body.length === 0) return bad('comment.body is required');
    if (comment.public !== false) return bad('comment.public must be false for an internal note');
    if (Object.keys(ticket).length !== 1) return bad('only the comment may be changed');
    const ticketId = match[1]!;
    if (!options.tickets.includes(ticketId))
      return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
    return {
      status: 200,
      body: {
        ticket: { id: Number(ticketId), status: 'open' },
        audit: { events: [{ type: 'Comment', public: false }] },
      },
      accepted: { ticketId, body: comment.body, idempotencyKey: header(req, 'idempotency-key') },
    };
  });
}

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

/** A fake Slack incoming webhook at `${url}${path}`; other paths answer 404 no_service like Slack. */
export async function startFakeSlack(
  path = '/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX',
): Promise<FakeServer<SlackMessage> & { webhookUrl: string }> {
  const fake = await startFake<SlackMessage>((req) => {
    if (req.path !== path) return { status: 404, body: 'no_service' };
    if (req.method !== 'POST')
      return { status: 400, body: 'invalid_method', rejected: `method ${req.method}` };
    if (!isJsonRequest(req))
      return { status: 400, body: 'invalid_payload', rejected: 'Content-Type must be application/json' };
    const body = object(req.json);
    if (!body || typeof body.text !== 'string' || body.text.length === 0)
      return { status: 400, body: 'invalid_payload', rejected: 'text is required' };
    if (body.blocks !== undefined && !Array.isArray(body.blocks))
      return { status: 400, body: 'invalid_blocks', rejected: 'blocks must be an array' };
    return {
      status: 200,
      body: 'ok',
      accepted: { text: body.text, blocks: (body.blocks as unknown[]) ?? [] },
    };
  });
  return { ...fake, webhookUrl: `${fake.url}${path}` };
}
