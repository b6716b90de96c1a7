import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Deps } from '../services/deps.ts';
import { getProfile } from '../services/profile.ts';

// TEMPORARY placeholder until the tools land (issue 4): one tool, so the transport can be tested.

/** The long-lived MCP server with every tool registered. */
export function createMcpServer(deps: Deps): McpServer {
  const server = new McpServer({ name: 'userplane', version: '0.1.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'userplane_get_profile',
    {
      title: 'Get my profile',
      description: 'The signed-in user and counts of what they can reach.',
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    },
    async (extra) => {
      const userId = String(extra.authInfo?.extra?.userId ?? '');
      const { user, stats } = await getProfile(deps, userId);
      const profile = { id: user.id, email: user.email, name: user.name, stats };
      return {
        content: [{ type: 'text', text: `${user.name ?? user.email} (${user.email})` }],
        structuredContent: profile,
      };
    },
  );
  return server;
}
