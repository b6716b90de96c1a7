import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';

// Issue 13, items 2 and 5, over a real socket: what a client sees when we answer before reading its
// body, and what we log when a client leaves in the middle of one.

describe('early refusals and clients that leave', () => {
  let server: ListeningApp;
  const lines: Array<{ level: number; msg: string }> = [];

  beforeAll(async () => {
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    server = await startListeningApp({ log });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('an early 413 says Connection: close, and the client’s next request (on a new connection) works', async () => {
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const send = (path: string, method: string, body?: Buffer) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}${path}`,
          {
            agent,
            method,
            headers: body
              ? { 'content-type': 'application/json', 'content-length': String(body.length) }
              : {},
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
          },
        );
        req.on('error', reject);
        // The body may never be read: a write after the server closed is not the client's failure.
        req.on('socket', (socket) => socket.on('error', () => {}));
        req.end(body);
      });
    // 8 MiB to an endpoint that takes 64 KiB: refused from Content-Length alone, body unread.
    const refused = await send('/api/v1/public/me', 'POST', Buffer.alloc(8 * 1024 * 1024, 0x20));
    expect(refused.status).toBe(413);
    expect(refused.connection).toBe('close');
    // The same agent goes on without a failed request.
    const next = await send('/healthz', 'GET');
    expect(next.status).toBe(200);
    expect(next.connection).not.toBe('close');
    agent.destroy();
  });

  it('a client that disconnects mid-body is logged at info without a stack, never as an error', async () => {
    const before = lines.length;
    const { port } = new URL(server.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          'POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"client_name":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 200);
      });
    });
    // Wait for the server to notice.
    for (let i = 0; i < 40 && !lines.slice(before).some((l) => /closed the connection/.test(l.msg)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const logged = lines.slice(before);
    expect(logged.some((l) => /closed the connection/.test(l.msg) && l.level === 30)).toBe(true);
    expect(logged.filter((l) => l.level >= 50)).toEqual([]);
  });
});
