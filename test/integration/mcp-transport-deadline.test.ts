import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/lib/logger.ts';
import { createMcpHttpHandler, RESPONSE_TIMEOUT_MS } from '../../src/mcp/transport.ts';

// A request the server never answers gets a JSON-RPC timeout error after RESPONSE_TIMEOUT_MS, and
// nothing stays in flight: the transport sweeps deadlines once a second instead of arming a timer
// per request (src/mcp/transport.ts), so the deadline holds to within that second.

const authInfo = { token: 't', clientId: 'c', scopes: ['mcp:tools'], extra: { userId: 'u', grantId: 'g' } };
const request = (id: number) =>
  new Request('http://localhost/mcp', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'never' } }),
  });

afterEach(() => {
  vi.useRealTimers();
});

describe('the transport’s response deadline', () => {
  it('answers an unanswered request with RequestTimeout after RESPONSE_TIMEOUT_MS, not before', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const server = new McpServer({ name: 'probe', version: '1' });
    server.registerTool('never', {}, () => new Promise(() => {}));
    const handler = createMcpHttpHandler(server, silentLogger());
    let settled = false;
    const pending = handler.handle(request(5), authInfo).then((res) => {
      settled = true;
      return res;
    });
    // Let the request reach the server.
    await vi.advanceTimersByTimeAsync(10);
    expect(handler.transport.inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(RESPONSE_TIMEOUT_MS - 2_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    const body = await (await pending).json();
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 5, error: { code: ErrorCode.RequestTimeout } });
    expect(handler.transport.inFlight).toBe(0);
    await handler.close();
  });
});
