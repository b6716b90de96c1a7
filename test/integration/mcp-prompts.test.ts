import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { investigationText } from '../../src/mcp/prompts.ts';
import { createUser } from '../../src/services/users.ts';
import { mcpClientFor, type TestMcpClient } from '../helpers/mcp-client.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// MCP prompts (issue 11 item 7: the conformance suite's prompts-list): one template a person picks
// in their client, which points the model at the tools.

let t: TestApp;
let mcp: TestMcpClient;

beforeAll(async () => {
  t = await createTestApp();
  const user = await createUser(t.deps, {
    email: 'p@example.com',
    password: 'correct horse battery',
    name: 'P',
  });
  mcp = await mcpClientFor(t.deps, user.id);
});
afterAll(async () => {
  await mcp?.close();
  await t?.close();
});

describe('prompts', () => {
  it('declares prompts and lists the investigation prompt with its arguments', async () => {
    expect(mcp.client.getServerCapabilities()?.prompts).toBeDefined();
    const { prompts } = await mcp.client.listPrompts();
    expect(prompts).toEqual([
      {
        name: 'userplane_investigate_recording',
        title: 'Investigate a recording',
        description: expect.stringContaining('console errors'),
        arguments: [
          { name: 'recordingId', description: 'The recording id (rec_…)', required: true },
          { name: 'workspaceId', description: 'The workspace id (ws_…), if known', required: false },
        ],
      },
    ]);
  });

  it('fills in the ids and names the tools to call', async () => {
    const got = await mcp.client.getPrompt({
      name: 'userplane_investigate_recording',
      arguments: { recordingId: 'rec_1', workspaceId: 'ws_1' },
    });
    expect(got.messages).toEqual([
      { role: 'user', content: { type: 'text', text: investigationText('rec_1', 'ws_1') } },
    ]);
    const text = investigationText('rec_1', 'ws_1');
    for (const tool of ['userplane_get_rec_info', 'userplane_get_rec_console', 'userplane_get_rec_network'])
      expect(text).toContain(tool);
    const without = await mcp.client.getPrompt({
      name: 'userplane_investigate_recording',
      arguments: { recordingId: 'rec_1' },
    });
    expect((without.messages[0]!.content as { text: string }).text).toContain('userplane_list_workspaces');
  });

  it('refuses a missing or over-long id as invalid params', async () => {
    const cases: Record<string, string>[] = [{}, { recordingId: '' }, { recordingId: 'r'.repeat(65) }];
    for (const args of cases) {
      await expect(
        mcp.client.getPrompt({ name: 'userplane_investigate_recording', arguments: args }),
      ).rejects.toMatchObject({ code: -32602 });
    }
  });
});
