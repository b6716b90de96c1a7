import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

// MCP prompts: templates a person picks in their AI client (a slash command in Claude Code and
// Claude Desktop, a prompt in VS Code). They read nothing: the text tells the model which tools to
// call, and those check the caller's access as always (S40). Arguments are strings (MCP prompts).

const id = () => z.string().trim().min(1).max(64);

/** The text of the investigate-a-recording prompt (exported for tests). */
export function investigationText(recordingId: string, workspaceId: string | undefined): string {
  const where = workspaceId
    ? `in workspace ${workspaceId}`
    : '(call userplane_list_workspaces and userplane_list_recordings to find its workspace)';
  return [
    `Investigate the Userplane recording ${recordingId} ${where}.`,
    '1. userplane_get_rec_info: when and where it was recorded, the customer notes and metadata.',
    '2. userplane_get_rec_console with level "error": the errors the page logged.',
    '3. userplane_get_rec_network with status_min 400: the requests that failed.',
    '4. userplane_get_rec_actions: what the customer clicked and typed, to line the failures up with their steps.',
    'Then summarize what went wrong, the likely cause, and how to reproduce it. Offer userplane_show_recording to watch it.',
  ].join('\n');
}

/** Registers the prompts (one so far: investigate a recording). */
export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'userplane_investigate_recording',
    {
      title: 'Investigate a recording',
      description:
        "Walks through a customer's screen recording: its details, console errors, failed requests and actions, then a summary of what went wrong.",
      argsSchema: {
        recordingId: id().describe('The recording id (rec_…)'),
        workspaceId: id().optional().describe('The workspace id (ws_…), if known'),
      },
    },
    ({ recordingId, workspaceId }) => ({
      description: `Investigate recording ${recordingId}`,
      messages: [
        { role: 'user', content: { type: 'text', text: investigationText(recordingId, workspaceId) } },
      ],
    }),
  );
}
