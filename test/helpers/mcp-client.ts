import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { createMcpServer } from '../../src/mcp/server.ts';
import type { Deps } from '../../src/services/deps.ts';

// An MCP SDK Client talking to the real McpServer (real services, real database) in process. The
// /mcp endpoint verifies the token and hands the server `authInfo`; here the client transport adds
// the same authInfo to every message it sends (InMemoryTransport forwards `send(m, { authInfo })`).

/** The identity /mcp would attach to a call of this user (`extra.authInfo`). */
export function authInfoFor(userId: string | null): AuthInfo {
  return {
    token: 'in-memory-test-token',
    clientId: 'test-client',
    scopes: ['mcp:tools'],
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    resource: new URL('http://localhost:3000/mcp'),
    extra: userId === null ? {} : { userId, grantId: 'test-grant' },
  };
}

export interface TestMcpClient {
  client: Client;
  /** Tools as tools/list returns them (output schemas cached for the client's own validation). */
  tools: Tool[];
  /** Calls a tool; the SDK client checks structuredContent against the tool's outputSchema. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** The text of a result's first content block. */
  text(result: CallToolResult): string;
  /** Checks structuredContent against the tool's declared outputSchema with ajv; returns errors or null. */
  schemaErrors(name: string, structured: unknown): string | null;
  close(): Promise<void>;
}

/** A connected client for `userId` (null: a call that carries no user, which every tool refuses). */
export async function mcpClientFor(deps: Deps, userId: string | null): Promise<TestMcpClient> {
  const server = createMcpServer(deps);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const authInfo = authInfoFor(userId);
  const send = clientTransport.send.bind(clientTransport);
  clientTransport.send = (message, options) => send(message, { ...options, authInfo });
  await server.connect(serverTransport);
  const client = new Client(
    { name: 'userplane-tests', version: '1.0.0' },
    {
      capabilities: {
        extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
      },
    },
  );
  await client.connect(clientTransport);
  const { tools } = await client.listTools();
  const ajv = new AjvJsonSchemaValidator();
  const validators = new Map(
    tools.flatMap((t) => (t.outputSchema ? [[t.name, ajv.getValidator(t.outputSchema)] as const] : [])),
  );
  return {
    client,
    tools,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    text: (result) => {
      const first = result.content[0];
      return first && first.type === 'text' ? first.text : '';
    },
    schemaErrors: (name, structured) => {
      const validate = validators.get(name);
      if (!validate) return `${name} declares no outputSchema`;
      const outcome = validate(structured);
      return outcome.valid ? null : (outcome.errorMessage ?? 'invalid');
    },
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
