import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import type { Access } from '../../src/services/access.ts';
import { createLink } from '../../src/services/links.ts';
import { createUser } from '../../src/services/users.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { accessOf, verifiedDomain } from '../helpers/builders-links.ts';
import { makeRecording, sampleResources } from '../helpers/builders-recordings.ts';
import { ALICE, connectedClient } from '../helpers/oauth-scenarios.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// The transport runs the common tools/call itself instead of through the SDK's dispatch
// (src/mcp/transport.ts DIRECT). A call with a progress token still goes through the SDK, so each
// call here is made both ways, at the same instant (a fixed clock, so signed URLs match too), and
// the results must be the same — for every tool, refusals included. What the SDK alone answers
// (arguments its schema refuses, an unknown tool) must still be the SDK's answer.

let t: TestApp;
let token: string;
let ws: string;
let recordingId: string;
let linkId: string;
let domainId: string;

async function call(name: string, args: unknown, viaSdk: boolean): Promise<Record<string, unknown>> {
  const res = await t.request('/mcp', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name, arguments: args, ...(viaSdk ? { _meta: { progressToken: 'p' } } : {}) },
    }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe(`tools/call run by the transport answers as the SDK does [${testDialect}]`, () => {
  beforeAll(async () => {
    t = await createTestApp({ clock: fakeClock(Date.now()) });
    const deps = t.deps;
    const alice = await createUser(deps, ALICE);
    ws = (await createWorkspace(deps, { name: 'Direct', ownerUserId: alice.id })).workspace.id;
    const access: Access = await accessOf(deps, { user: alice }, ws);
    domainId = (await verifiedDomain(deps, access)).id;
    linkId = (await createLink(deps, access, { domainId, title: 'Checkout', reusable: true })).id;
    recordingId = (await makeRecording(deps, linkId, { notes: 'Fails', resources: sampleResources() })).id;
    await makeRecording(deps, linkId);
    token = (await connectedClient(t)).tokens.access_token;
  });
  afterAll(async () => t?.close());

  const cases: Array<[string, () => Record<string, unknown>]> = [
    ['userplane_get_profile', () => ({})],
    ['userplane_list_workspaces', () => ({ per_page: 5 })],
    ['userplane_list_projects', () => ({ workspaceId: ws })],
    ['userplane_list_domains', () => ({ workspaceId: ws })],
    ['userplane_get_domain', () => ({ workspaceId: ws, domainId })],
    ['userplane_list_members', () => ({ workspaceId: ws })],
    ['userplane_list_recordings', () => ({ workspaceId: ws, per_page: 1 })],
    ['userplane_list_recordings', () => ({ workspaceId: ws, link_id: linkId, page: 2, per_page: 1 })],
    ['userplane_get_rec_info', () => ({ workspaceId: ws, recordingId })],
    ['userplane_get_rec_video', () => ({ workspaceId: ws, recordingId })],
    ['userplane_get_rec_thumb', () => ({ workspaceId: ws, recordingId })],
    ['userplane_get_rec_console', () => ({ workspaceId: ws, recordingId })],
    ['userplane_get_rec_network', () => ({ workspaceId: ws, recordingId })],
    ['userplane_get_rec_actions', () => ({ workspaceId: ws, recordingId })],
    ['userplane_show_recording', () => ({ workspaceId: ws, recordingId })],
    ['userplane_list_links', () => ({ workspaceId: ws })],
    ['userplane_get_link', () => ({ workspaceId: ws, linkId })],
    ['userplane_update_link', () => ({ workspaceId: ws, linkId, title: 'Checkout (again)' })],
    // Refusals the tools make themselves.
    ['userplane_list_recordings', () => ({ workspaceId: 'ws_00000000000000000000000000' })],
    ['userplane_get_rec_info', () => ({ workspaceId: ws, recordingId: 'rec_00000000000000000000000000' })],
    ['userplane_get_link', () => ({ workspaceId: ws, linkId: 'lnk_00000000000000000000000000' })],
  ];

  it.each(cases)('%s', async (name, args) => {
    const transport = t.mcp.handler.transport;
    const before = transport.directCalls;
    const direct = await call(name, args(), false);
    expect(transport.directCalls).toBe(before + 1);
    const sdk = await call(name, args(), true);
    expect(transport.directCalls).toBe(before + 1);
    expect(direct).toEqual(sdk);
    expect(direct).toMatchObject({ jsonrpc: '2.0', id: 3 });
  });

  it('what only the SDK answers stays its answer: refused arguments, an unknown tool', async () => {
    const tooMany = await call('userplane_list_recordings', { workspaceId: ws, per_page: 51 }, false);
    expect(JSON.stringify(tooMany)).toContain('Input validation error');
    expect(tooMany).toEqual(await call('userplane_list_recordings', { workspaceId: ws, per_page: 51 }, true));
    const unknown = await call('userplane_no_such_tool', {}, false);
    expect(JSON.stringify(unknown)).toMatch(/not found/);
    const notObject = await call('userplane_get_profile', 'x', false);
    expect(notObject).toEqual(await call('userplane_get_profile', 'x', true));
  });

  it('tools/list: later answers are the first one kept, the same as the SDK makes each time', async () => {
    const list = async (params: Record<string, unknown>) => {
      const res = await t.request('/mcp', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list', params }),
      });
      return (await res.json()) as { result: { tools: Array<{ name: string }> } };
    };
    const first = await list({});
    const kept = await list({});
    // With _meta the request goes to the SDK, which builds the list anew.
    const fresh = await list({ _meta: { trace: 'x' } });
    expect(kept).toEqual(first);
    expect(fresh).toEqual(first);
    expect(first.result.tools.map((tool) => tool.name)).toContain('userplane_get_profile');
  });

  it('nothing stays in flight after direct calls', () => {
    expect(t.mcp.handler.transport.inFlight).toBe(0);
  });
});
