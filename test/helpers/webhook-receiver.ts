import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A real HTTP receiver for webhook tests, on 127.0.0.1 (so tests set ALLOW_PRIVATE_NETWORK_FETCH):
// it records every request as it arrived — method, path, headers, the raw body bytes as text, which
// is what a signature is checked against — and answers with the next entry of a programmable
// sequence, then with the default.

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as sent. */
  body: string;
  /** What the receiver answered. */
  status: number;
}

/** One answer: a status, or a status with a body and an optional delay before answering. */
export type ReceiverAnswer = number | { status: number; body?: string; delayMs?: number };

export interface WebhookReceiver {
  /** http://127.0.0.1:<port><path> */
  url(path?: string): string;
  readonly requests: ReceivedRequest[];
  /**
   * The answers for the next requests, in order; after them, `fallback` (default 200). With
   * `path`, only for requests to that path (so a retry of another test's delivery to another path
   * cannot take them); path answers win over the ones for every path.
   */
  answer(sequence: ReceiverAnswer[], fallback?: ReceiverAnswer, path?: string): void;
  /** Forgets recorded requests and answers. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts a receiver on an ephemeral loopback port. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  // '*' holds the answers for every path.
  let plans = new Map<string, { queue: ReceiverAnswer[]; fallback: ReceiverAnswer }>();
  const next = (path: string): ReceiverAnswer => {
    const plan = plans.get(path) ?? plans.get('*');
    if (!plan) return 200;
    return plan.queue.length > 0 ? plan.queue.shift()! : plan.fallback;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const chosen = next(req.url ?? '');
      const answer = typeof chosen === 'number' ? { status: chosen } : chosen;
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: answer.status,
      });
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(answer.body ?? (answer.status < 300 ? 'ok' : `error ${answer.status}`));
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    answer(sequence, otherwise = 200, path = '*') {
      plans.set(path, { queue: [...sequence], fallback: otherwise });
    },
    reset() {
      requests.length = 0;
      plans = new Map();
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
