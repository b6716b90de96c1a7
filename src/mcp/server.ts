import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Deps } from '../services/deps.ts';
import { MCP_APP_MIME_TYPE } from './apps/recording-viewer.ts';
import { enableClientLogging } from './logging.ts';
import { registerPrompts } from './prompts.ts';
import { MAX_TOOL_INPUT_ELEMENTS } from './tool-kit.ts';
import { registerAccountTools } from './tools/account.ts';
import { registerLinkTools } from './tools/links.ts';
import { registerRecordingLogTools } from './tools/recording-logs.ts';
import { registerRecordingTools } from './tools/recordings.ts';
import { registerShowRecording } from './tools/show-recording.ts';
import { registerWorkspaceTools } from './tools/workspace.ts';

// One long-lived McpServer with every tool of PRODUCT.md §4 registered once; the /mcp endpoint feeds
// it requests and puts the verified caller on each (`extra.authInfo.extra.userId`). Tools hold no
// per-connection state, so one instance serves every request of every user.

const INSTRUCTIONS = `Userplane holds screen recordings that customers make through recording links, with their console, network and user-action logs.
Start with userplane_list_workspaces to get a workspaceId; every other tool takes it. List tools take page and per_page (default 10, at most 50).
To investigate a recording: userplane_get_rec_info, then userplane_get_rec_console (level "error"), userplane_get_rec_network (status_min 400) and userplane_get_rec_actions, or userplane_show_recording to show it to the user.`;

/** The MCP server with every Userplane tool and the recording viewer (MCP Apps) registered. */
export function createMcpServer(deps: Deps): McpServer {
  const server = new McpServer(
    { name: 'userplane', title: 'Userplane', version: '0.1.0' },
    {
      capabilities: {
        // SEP-1865 capability negotiation: the server offers MCP Apps views; hosts without them get text.
        extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [MCP_APP_MIME_TYPE] } },
        // logging/setLevel per grant (or per request's _meta); tools report refusals and slow calls.
        logging: {},
      },
      instructions: INSTRUCTIONS,
      maxToolInputElements: MAX_TOOL_INPUT_ELEMENTS,
    },
  );
  // Before the tools: registerTool picks up the levels of this server.
  enableClientLogging(server);
  registerAccountTools(server, deps);
  registerWorkspaceTools(server, deps);
  registerRecordingTools(server, deps);
  registerRecordingLogTools(server, deps);
  registerShowRecording(server, deps);
  registerLinkTools(server, deps);
  registerPrompts(server);
  return server;
}
