import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recording } from '../../src/domain/types.ts';
import { DAY_MS } from '../../src/lib/clock.ts';
import { RECORDING_VIEWER_URI } from '../../src/mcp/apps/recording-viewer.ts';
import type { Access } from '../../src/services/access.ts';
import { addDomain } from '../../src/services/domains.ts';
import { createLink } from '../../src/services/links.ts';
import { deleteRecording } from '../../src/services/recordings.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { accessOf, verifiedDomain } from '../helpers/builders-links.ts';
import { insertProjectRow, makeRecording, sampleResources } from '../helpers/builders-recordings.ts';
import { mcpClientFor, type TestMcpClient } from '../helpers/mcp-client.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Every tool of PRODUCT.md §4 through the real McpServer, real services and a real database, called
// by the SDK client (which checks structuredContent against each tool's outputSchema).

const ALL_TOOLS = [
  'userplane_get_profile',
  'userplane_list_workspaces',
  'userplane_list_projects',
  'userplane_list_domains',
  'userplane_get_domain',
  'userplane_list_members',
  'userplane_list_recordings',
  'userplane_get_rec_info',
  'userplane_get_rec_video',
  'userplane_get_rec_thumb',
  'userplane_get_rec_console',
  'userplane_get_rec_network',
  'userplane_get_rec_actions',
  'userplane_show_recording',
  'userplane_list_links',
  'userplane_get_link',
  'userplane_create_link',
  'userplane_update_link',
  'userplane_delete_link',
  'userplane_delete_recording',
  'userplane_restore_link',
  'userplane_restore_recording',
].sort();

const CONSOLE = [
  { ts: 100, level: 'log', message: 'app started' },
  { ts: 2_000, level: 'info', message: 'user signed in' },
  { ts: 4_000, level: 'warn', message: 'slow response' },
  { ts: 6_000, level: 'error', message: 'TypeError: cart is undefined', stack: 'at checkout.js:10' },
  { ts: 9_000, level: 'error', message: 'x'.repeat(5_000) },
]
  .map((e) => JSON.stringify(e))
  .concat(['not json at all'])
  .join('\n');

const NETWORK = JSON.stringify([
  { ts: 500, method: 'GET', url: 'https://app.example.com/api/me', status: 200, durationMs: 12 },
  { ts: 3_000, method: 'POST', url: 'https://app.example.com/api/cart', status: 404, durationMs: 30 },
  {
    ts: 6_100,
    method: 'POST',
    url: 'https://app.example.com/api/checkout',
    status: 500,
    durationMs: 250,
    responseBody: 'e'.repeat(10_000),
  },
  { ts: 7_000, method: 'GET', url: 'https://cdn.example.com/x.js', status: 0, durationMs: 1 },
]);

const ACTIONS = JSON.stringify([
  { ts: 50, type: 'navigation', url: 'https://app.example.com/shop' },
  { ts: 1_500, type: 'click', selector: '#add-to-cart' },
  { ts: 2_500, type: 'input', selector: '#coupon', value: 'SAVE10' },
  { ts: 5_900, type: 'click', selector: '#checkout' },
]);

let t: TestApp;
let team: Awaited<ReturnType<typeof teamWorkspace>>;
let ownerAccess: Access;
let memberAccess: Access;
let domainId: string;
let pendingDomainId: string;
let linkId: string;
let ownerLinkId: string;
let otherProjectId: string;
let rec: Recording;
let older: Recording;
let plain: Recording;
let expired: Recording;
let deleted: Recording;
let owner: TestMcpClient;
let member: TestMcpClient;
let ws: string;

beforeAll(async () => {
  t = await createTestApp();
  const deps = t.deps;
  team = await teamWorkspace(deps);
  ws = team.workspace.id;
  ownerAccess = await accessOf(deps, team.owner, ws);
  memberAccess = await accessOf(deps, team.member, ws);
  domainId = (await verifiedDomain(deps, ownerAccess)).id;
  pendingDomainId = (await addDomain(deps, ownerAccess, { url: 'pending.example.com' })).id;
  linkId = (await createLink(deps, memberAccess, { domainId, title: 'Checkout broken', reusable: true })).id;
  otherProjectId = await insertProjectRow(deps, ws, { title: 'Mobile', retentionDays: 1 });
  ownerLinkId = (
    await createLink(deps, ownerAccess, {
      domainId,
      projectId: otherProjectId,
      title: 'Mobile app',
      reusable: true,
    })
  ).id;
  const now = deps.clock.now();
  older = await makeRecording(deps, linkId, { createdAt: now - 60_000 });
  rec = await makeRecording(deps, linkId, {
    notes: 'Checkout fails',
    resources: [
      ...sampleResources(['video', 'thumbnail']),
      { kind: 'console-log', contentType: 'application/x-ndjson', data: CONSOLE },
      { kind: 'network-log', contentType: 'application/json', data: NETWORK },
      { kind: 'action', contentType: 'application/json', data: ACTIONS },
    ],
  });
  plain = await makeRecording(deps, ownerLinkId, { resources: sampleResources(['video', 'thumbnail']) });
  // Retention of one day on the Mobile project: made three days ago, so it has expired.
  expired = await makeRecording(deps, ownerLinkId, { createdAt: now - 3 * DAY_MS });
  deleted = await makeRecording(deps, ownerLinkId, { createdAt: now - 120_000 });
  await deleteRecording(deps, ownerAccess, deleted.id);
  owner = await mcpClientFor(deps, team.owner.user.id);
  member = await mcpClientFor(deps, team.member.user.id);
});

afterAll(async () => {
  await owner?.close();
  await member?.close();
  await t?.close();
});

/** Calls a tool that must succeed and returns its structuredContent, checked against the outputSchema. */
async function ok(client: TestMcpClient, name: string, args: Record<string, unknown> = {}) {
  const result = await client.call(name, args);
  expect(result.isError, `${name}: ${client.text(result)}`).toBeFalsy();
  expect(client.schemaErrors(name, result.structuredContent)).toBeNull();
  expect(client.text(result).length).toBeGreaterThan(0);
  // biome-ignore lint/suspicious/noExplicitAny: test access to structured results
  return result.structuredContent as any;
}

async function fails(client: TestMcpClient, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await client.call(name, args);
  expect(result.isError, `${name} should fail`).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  return client.text(result);
}

describe('MCP tools: listing', () => {
  it('lists exactly the tools of PRODUCT.md §4, each with input and output schemas', () => {
    expect(owner.tools.map((x) => x.name).sort()).toEqual(ALL_TOOLS);
    for (const tool of owner.tools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
    }
  });

  it('annotates reads as read-only, deletes as destructive, and says which calls are idempotent', () => {
    for (const tool of owner.tools) {
      const a = tool.annotations ?? {};
      const isDelete = tool.name.includes('_delete_');
      const isWrite =
        isDelete ||
        tool.name.includes('_create_') ||
        tool.name.includes('_update_') ||
        tool.name.includes('_restore_');
      expect(a.readOnlyHint, tool.name).toBe(!isWrite);
      expect(a.destructiveHint, tool.name).toBe(isDelete);
      expect(typeof a.idempotentHint, tool.name).toBe('boolean');
    }
    const byName = new Map(owner.tools.map((x) => [x.name, x.annotations]));
    expect(byName.get('userplane_update_link')?.idempotentHint).toBe(true);
    expect(byName.get('userplane_restore_recording')?.idempotentHint).toBe(true);
    expect(byName.get('userplane_restore_link')?.idempotentHint).toBe(true);
    expect(byName.get('userplane_create_link')?.idempotentHint).toBe(false);
    expect(byName.get('userplane_list_recordings')?.idempotentHint).toBe(true);
  });

  it('names explicit ids in camelCase and list filters in snake_case, capping per_page at 50', () => {
    const props = (name: string) =>
      owner.tools.find((x) => x.name === name)?.inputSchema.properties as Record<
        string,
        { maximum?: number }
      >;
    expect(Object.keys(props('userplane_list_recordings')).sort()).toEqual(
      ['created_by', 'link_id', 'page', 'per_page', 'project_id', 'workspaceId'].sort(),
    );
    expect(props('userplane_list_recordings').per_page?.maximum).toBe(50);
    expect(Object.keys(props('userplane_get_rec_info')).sort()).toEqual(['recordingId', 'workspaceId']);
    expect(Object.keys(props('userplane_list_domains'))).toContain('status');
  });
});

describe('MCP tools: every tool succeeds and matches its output schema', () => {
  it('account and workspace tools', async () => {
    const profile = await ok(owner, 'userplane_get_profile');
    expect(profile.user).toMatchObject({ id: team.owner.user.id, email: team.owner.email });
    // Only the user: counting the user's recordings on every call would cost a scan.
    expect(profile.stats).toBeUndefined();

    const workspaces = await ok(member, 'userplane_list_workspaces');
    expect(workspaces.workspaces).toEqual([
      expect.objectContaining({ workspaceId: ws, workspaceName: 'Acme Support', role: 'member' }),
    ]);
    expect((await ok(owner, 'userplane_list_workspaces')).workspaces[0].role).toBe('owner');

    const projects = await ok(member, 'userplane_list_projects', { workspaceId: ws });
    expect(projects.projects.map((p: { title: string }) => p.title).sort()).toEqual(
      [team.defaultProject.title, 'Mobile'].sort(),
    );

    const members = await ok(member, 'userplane_list_members', { workspaceId: ws });
    expect(members.pagination.total).toBe(4);
    expect(members.members.find((m: { email: string }) => m.email === team.admin.email)?.workspaceRole).toBe(
      'admin',
    );

    const domain = await ok(member, 'userplane_get_domain', { workspaceId: ws, domainId });
    expect(domain).toMatchObject({ domainId, status: 'verified' });
  });

  it('userplane_list_domains filters by status and pages', async () => {
    const all = await ok(member, 'userplane_list_domains', { workspaceId: ws });
    expect(all.pagination.total).toBe(2);
    const pending = await ok(member, 'userplane_list_domains', { workspaceId: ws, status: 'pending' });
    expect(pending.domains.map((d: { domainId: string }) => d.domainId)).toEqual([pendingDomainId]);
    const verified = await ok(member, 'userplane_list_domains', { workspaceId: ws, status: 'verified' });
    expect(verified.domains.map((d: { domainId: string }) => d.domainId)).toEqual([domainId]);
    const paged = await ok(member, 'userplane_list_domains', { workspaceId: ws, per_page: 1, page: 2 });
    expect(paged.domains).toHaveLength(1);
    expect(paged.pagination).toEqual({ page: 2, perPage: 1, total: 2, totalPages: 2, hasMore: false });
    const bad = await fails(member, 'userplane_list_domains', { workspaceId: ws, status: 'lost' });
    expect(bad).toMatch(/status/);
  });

  it('userplane_list_recordings: newest first, the §4 entry fields, playerUrl, no deleted ones', async () => {
    const list = await ok(member, 'userplane_list_recordings', { workspaceId: ws });
    const ids = list.recordings.map((r: { recordingId: string }) => r.recordingId);
    expect(ids).not.toContain(deleted.id);
    expect(new Set(ids)).toEqual(new Set([rec.id, older.id, plain.id, expired.id]));
    const times = list.recordings.map((r: { createdAt: string }) => Date.parse(r.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const entry = list.recordings.find((r: { recordingId: string }) => r.recordingId === rec.id);
    expect(Object.keys(entry).sort()).toEqual(
      ['createdAt', 'creatorName', 'durationMs', 'expiresAt', 'linkTitle', 'playerUrl', 'recordingId'].sort(),
    );
    expect(entry).toMatchObject({
      durationMs: 15_000,
      creatorName: 'member',
      linkTitle: 'Checkout broken',
      playerUrl: `${t.config.publicUrl}/recordings/${rec.id}`,
    });
  });

  it('userplane_list_recordings filters by project_id, link_id and created_by, and pages', async () => {
    const ids = async (args: Record<string, unknown>) =>
      (await ok(member, 'userplane_list_recordings', { workspaceId: ws, ...args })).recordings
        .map((r: { recordingId: string }) => r.recordingId)
        .sort();
    expect(await ids({ link_id: linkId })).toEqual([rec.id, older.id].sort());
    expect(await ids({ project_id: otherProjectId })).toEqual([plain.id, expired.id].sort());
    expect(await ids({ created_by: team.memberIds.member })).toEqual([rec.id, older.id].sort());
    expect(await ids({ created_by: team.memberIds.admin })).toEqual([]);

    const first = await ok(member, 'userplane_list_recordings', { workspaceId: ws, per_page: 3 });
    expect(first.recordings).toHaveLength(3);
    // Recording lists page by hasMore without a total, so a page costs the same at any size.
    expect(first.pagination).toEqual({ page: 1, perPage: 3, hasMore: true });
    const second = await ok(member, 'userplane_list_recordings', { workspaceId: ws, per_page: 3, page: 2 });
    expect(second.recordings).toHaveLength(1);
    expect(second.pagination).toEqual({ page: 2, perPage: 3, hasMore: false });
    const exact = await ok(member, 'userplane_list_recordings', { workspaceId: ws, per_page: 4 });
    expect(exact.pagination).toEqual({ page: 1, perPage: 4, hasMore: false });
    expect(
      member.text(await member.call('userplane_list_recordings', { workspaceId: ws, per_page: 3 })),
    ).toMatch(/Next: page 2/);
  });

  it('S38: per_page over 50, page 0 and over-long ids are refused naming the field', async () => {
    expect(await fails(member, 'userplane_list_recordings', { workspaceId: ws, per_page: 51 })).toMatch(
      /per_page/,
    );
    expect(await fails(member, 'userplane_list_links', { workspaceId: ws, page: 0 })).toMatch(/page/);
    expect(
      await fails(member, 'userplane_get_rec_info', { workspaceId: ws, recordingId: 'r'.repeat(65) }),
    ).toMatch(/recordingId/);
  });

  it('userplane_get_rec_info returns every §4 field', async () => {
    const info = await ok(member, 'userplane_get_rec_info', { workspaceId: ws, recordingId: rec.id });
    expect(info).toMatchObject({
      recordingId: rec.id,
      durationMs: 15_000,
      status: 'ready',
      expired: false,
      expiresAt: null,
      linkId,
      linkTitle: 'Checkout broken',
      projectId: team.defaultProject.id,
      projectTitle: team.defaultProject.title,
      creatorName: 'member',
      notes: 'Checkout fails',
      playerUrl: `${t.config.publicUrl}/recordings/${rec.id}`,
    });
    expect(info.domainUrl).toMatch(/\.example\.com$/);
    expect(Date.parse(info.startedAt)).not.toBeNaN();
    expect(Date.parse(info.createdAt)).toBe(rec.createdAt);
  });

  it('userplane_get_rec_video and _thumb give fresh signed URLs that serve the files', async () => {
    const video = await ok(member, 'userplane_get_rec_video', { workspaceId: ws, recordingId: rec.id });
    expect(video).toMatchObject({ recordingId: rec.id, type: 'video/webm', durationMs: 15_000 });
    expect(Date.parse(video.urlExpiresAt)).toBeGreaterThan(Date.now());
    const served = await t.request(video.url.slice(t.config.publicUrl.length));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('video/webm');

    const thumb = await ok(member, 'userplane_get_rec_thumb', { workspaceId: ws, recordingId: rec.id });
    expect(thumb.type).toBe('image/png');
    expect((await t.request(thumb.url.slice(t.config.publicUrl.length))).status).toBe(200);
    expect(thumb.url).not.toBe(video.url);
  });

  it('userplane_get_rec_console: parsed entries, level and time filters, paging, clipped text', async () => {
    const args = { workspaceId: ws, recordingId: rec.id };
    const all = await ok(member, 'userplane_get_rec_console', args);
    expect(all.captured).toBe(true);
    expect(all.invalidEntries).toBe(1);
    expect(all.entries.map((e: { ts: number }) => e.ts)).toEqual([100, 2_000, 4_000, 6_000, 9_000]);
    expect(all.entries[4].message.length).toBeLessThan(2_100);
    expect(all.entries[4].message).toMatch(/more characters\]$/);

    const errors = await ok(member, 'userplane_get_rec_console', { ...args, level: 'error' });
    expect(errors.entries.map((e: { ts: number }) => e.ts)).toEqual([6_000, 9_000]);
    expect(errors.entries[0].stack).toBe('at checkout.js:10');
    const window = await ok(member, 'userplane_get_rec_console', { ...args, from_ms: 2_000, to_ms: 6_000 });
    expect(window.entries.map((e: { ts: number }) => e.ts)).toEqual([2_000, 4_000, 6_000]);
    const page = await ok(member, 'userplane_get_rec_console', { ...args, per_page: 2, page: 3 });
    expect(page.entries.map((e: { ts: number }) => e.ts)).toEqual([9_000]);
    expect(page.pagination).toEqual({ page: 3, perPage: 2, total: 5, totalPages: 3, hasMore: false });
    expect(await fails(member, 'userplane_get_rec_console', { ...args, level: 'fatal' })).toMatch(/level/);
  });

  it('userplane_get_rec_network filters by status_min and time; _get_rec_actions by type', async () => {
    const args = { workspaceId: ws, recordingId: rec.id };
    const failures = await ok(member, 'userplane_get_rec_network', { ...args, status_min: 400 });
    expect(failures.entries.map((e: { status: number }) => e.status)).toEqual([404, 500]);
    expect(failures.entries[1].responseBody).toMatch(/more characters\]$/);
    const late = await ok(member, 'userplane_get_rec_network', { ...args, from_ms: 6_000 });
    expect(late.entries.map((e: { ts: number }) => e.ts)).toEqual([6_100, 7_000]);

    const clicks = await ok(member, 'userplane_get_rec_actions', { ...args, type: 'click' });
    expect(clicks.entries.map((e: { selector: string }) => e.selector)).toEqual([
      '#add-to-cart',
      '#checkout',
    ]);
    const all = await ok(member, 'userplane_get_rec_actions', { ...args, to_ms: 2_500 });
    expect(all.entries.map((e: { type: string }) => e.type)).toEqual(['navigation', 'click', 'input']);
  });

  it('a log that was not captured is reported as such, not as an error', async () => {
    const none = await member.call('userplane_get_rec_console', { workspaceId: ws, recordingId: plain.id });
    expect(none.isError).toBeFalsy();
    expect(none.structuredContent).toMatchObject({ captured: false, entries: [] });
    expect(member.text(none)).toMatch(/not captured|No console entries were captured/);
  });

  it('links: create on a verified domain (linkURL), get, list with filters, update, delete', async () => {
    const created = await ok(member, 'userplane_create_link', {
      workspaceId: ws,
      domainId,
      title: 'Ticket 4711',
      providerType: 'zendesk',
      providerId: '4711',
      meta: { ticket: 4711 },
    });
    expect(created).toMatchObject({
      linkTitle: 'Ticket 4711',
      linkReusable: false,
      linkProviderType: 'zendesk',
      linkProviderId: '4711',
      meta: { ticket: 4711 },
      linkURL: `${t.config.publicUrl}/r/${created.linkId}`,
      creator: { workspaceMemberId: team.memberIds.member },
      project: { projectId: team.defaultProject.id },
    });
    expect(
      member.text(await member.call('userplane_get_link', { workspaceId: ws, linkId: created.linkId })),
    ).toContain(created.linkURL);

    const got = await ok(owner, 'userplane_get_link', { workspaceId: ws, linkId: created.linkId });
    expect(got).toEqual(created);

    const mine = await ok(owner, 'userplane_list_links', {
      workspaceId: ws,
      created_by: team.memberIds.member,
    });
    expect(mine.links.map((l: { linkId: string }) => l.linkId).sort()).toEqual(
      [linkId, created.linkId].sort(),
    );
    const mobile = await ok(owner, 'userplane_list_links', { workspaceId: ws, project_id: otherProjectId });
    expect(mobile.links.map((l: { linkId: string }) => l.linkId)).toEqual([ownerLinkId]);
    const onDomain = await ok(owner, 'userplane_list_links', {
      workspaceId: ws,
      domain_id: domainId,
      per_page: 2,
    });
    expect(onDomain.pagination).toMatchObject({ total: 3, totalPages: 2, hasMore: true });

    const updated = await ok(member, 'userplane_update_link', {
      workspaceId: ws,
      linkId: created.linkId,
      title: 'Ticket 4711 (escalated)',
      reusable: true,
      providerType: null,
      providerReference: 'https://support.example.com/t/4711',
    });
    expect(updated).toMatchObject({
      linkTitle: 'Ticket 4711 (escalated)',
      linkReusable: true,
      linkProviderType: null,
      linkProviderId: '4711',
      linkProviderReference: 'https://support.example.com/t/4711',
      meta: { ticket: 4711 },
    });
    expect(await fails(member, 'userplane_update_link', { workspaceId: ws, linkId: created.linkId })).toMatch(
      /VALIDATION_FAILED/,
    );

    const gone = await ok(member, 'userplane_delete_link', { workspaceId: ws, linkId: created.linkId });
    expect(gone).toEqual({ linkId: created.linkId, deleted: true });
    expect(await fails(member, 'userplane_get_link', { workspaceId: ws, linkId: created.linkId })).toMatch(
      /LINK_GONE.*deleted/,
    );
    expect(await fails(member, 'userplane_get_link', { workspaceId: ws, linkId: 'lnk_nope' })).toMatch(
      /LINK_NOT_FOUND/,
    );
  });

  it('userplane_create_link refuses a domain that is not verified', async () => {
    const text = await fails(member, 'userplane_create_link', { workspaceId: ws, domainId: pendingDomainId });
    expect(text).toMatch(/DOMAIN_NOT_VERIFIED/);
    expect(text).toMatch(/pending/);
  });

  it('userplane_delete_recording deletes; the recording then reads as deleted', async () => {
    const doomed = await makeRecording(t.deps, linkId);
    const result = await ok(member, 'userplane_delete_recording', {
      workspaceId: ws,
      recordingId: doomed.id,
    });
    expect(result).toEqual({ recordingId: doomed.id, deleted: true });
    expect(
      await fails(member, 'userplane_get_rec_info', { workspaceId: ws, recordingId: doomed.id }),
    ).toMatch(/RECORDING_GONE.*deleted/);
  });
});

describe('MCP tools: expired and deleted recordings are reported as such', () => {
  it('an expired recording keeps its details (expired: true) but serves no video or logs', async () => {
    const args = { workspaceId: ws, recordingId: expired.id };
    const info = await ok(member, 'userplane_get_rec_info', args);
    expect(info.expired).toBe(true);
    expect(Date.parse(info.expiresAt)).toBeLessThan(Date.now());
    expect(member.text(await member.call('userplane_get_rec_info', args))).toMatch(/expired/);
    for (const tool of [
      'userplane_get_rec_video',
      'userplane_get_rec_thumb',
      'userplane_get_rec_console',
      'userplane_get_rec_network',
      'userplane_get_rec_actions',
      'userplane_show_recording',
    ]) {
      const text = await fails(member, tool, args);
      expect(text, tool).toMatch(/RECORDING_EXPIRED.*expired/);
      expect(text, tool).not.toMatch(/not found/i);
    }
  });

  it('a deleted recording answers RECORDING_GONE ("deleted") from every recording tool, never "not found"', async () => {
    const args = { workspaceId: ws, recordingId: deleted.id };
    for (const tool of [
      'userplane_get_rec_info',
      'userplane_get_rec_video',
      'userplane_get_rec_thumb',
      'userplane_get_rec_console',
      'userplane_get_rec_network',
      'userplane_get_rec_actions',
      'userplane_show_recording',
      'userplane_delete_recording',
    ]) {
      const text = await fails(owner, tool, args);
      expect(text, tool).toMatch(/RECORDING_GONE.*deleted/);
      expect(text, tool).not.toMatch(/not found/i);
    }
  });

  it('a recording that never existed is RECORDING_NOT_FOUND', async () => {
    expect(
      await fails(member, 'userplane_get_rec_info', { workspaceId: ws, recordingId: 'rec_missing' }),
    ).toMatch(/RECORDING_NOT_FOUND/);
  });
});

describe('MCP tools: userplane_show_recording (MCP Apps)', () => {
  it('the tool points at the ui:// viewer; the result carries the video URL and the entries', async () => {
    const tool = owner.tools.find((x) => x.name === 'userplane_show_recording');
    expect(tool?._meta).toEqual({ ui: { resourceUri: RECORDING_VIEWER_URI } });

    const result = await member.call('userplane_show_recording', { workspaceId: ws, recordingId: rec.id });
    const shown = await ok(member, 'userplane_show_recording', { workspaceId: ws, recordingId: rec.id });
    expect(shown.workspaceId).toBe(ws);
    expect(shown.recording.recordingId).toBe(rec.id);
    expect(shown.video.url).toMatch(/^http:\/\/localhost:3000\/files\//);
    expect(shown.video.durationMs).toBe(15_000);
    expect(shown.thumbnailUrl).toMatch(/\/files\//);
    expect(shown.console).toMatchObject({ captured: true, total: 5 });
    expect(shown.network.entries.map((e: { status: number }) => e.status)).toEqual([200, 404, 500, 0]);
    // The viewer shows one line per request: bodies stay out of its data.
    expect(shown.network.entries[2].responseBody).toBeUndefined();
    expect(shown.actions.entries).toHaveLength(4);

    // The text fallback for clients without Apps: a summary and the dashboard player.
    const text = member.text(result);
    expect(text).toContain(`${t.config.publicUrl}/recordings/${rec.id}`);
    expect(text).toMatch(/Console: 5 entries, 2 errors/);
    expect(text).toMatch(/TypeError: cart is undefined/);
    expect(text).toMatch(/Network: 4 requests, 3 failed/);
    expect(text).toMatch(/Actions: 4 actions/);
  });

  it('the ui:// resource is listed and reads as an MCP App HTML document with its CSP', async () => {
    const { resources } = await member.client.listResources();
    expect(resources).toContainEqual(
      expect.objectContaining({ uri: RECORDING_VIEWER_URI, mimeType: 'text/html;profile=mcp-app' }),
    );
    const read = await member.client.readResource({ uri: RECORDING_VIEWER_URI });
    expect(read.contents).toHaveLength(1);
    const content = read.contents[0] as { uri: string; mimeType: string; text: string; _meta?: unknown };
    expect(content.uri).toBe(RECORDING_VIEWER_URI);
    expect(content.mimeType).toBe('text/html;profile=mcp-app');
    expect(content.text.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(content.text).toContain('</html>');
    for (const method of ['ui/initialize', 'ui/notifications/initialized', 'ui/notifications/tool-result']) {
      expect(content.text).toContain(method);
    }
    // Self-contained: no external script, style or font.
    expect(content.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=/i);
    expect(content._meta).toEqual({
      ui: { csp: { resourceDomains: ['http://localhost:3000'], connectDomains: [] }, prefersBorder: true },
    });
  });
});

const CHROMIUM = '/usr/bin/chromium';

describe('MCP tools: the recording viewer in a browser', () => {
  // A stand-in host (SEP-1865): a sandboxed iframe with the viewer's HTML; the host answers
  // ui/initialize and, after ui/notifications/initialized, sends the real tool result. The video is
  // fetched from the real app, listening on loopback, through its signed URL.
  // Skipped only where Debian's chromium is not installed; .ci/run installs it, so CI runs it.
  it.skipIf(!existsSync(CHROMIUM))(
    'plays the video with the panels in sync: clicking an entry seeks, the entry at the current time is highlighted',
    async () => {
      const result = await member.call('userplane_show_recording', { workspaceId: ws, recordingId: rec.id });
      const read = await member.client.readResource({ uri: RECORDING_VIEWER_URI });
      const html = (read.contents[0] as { text: string }).text;
      // The app on a loopback port serves the signed files (with Range, so the video can seek), and the
      // host page from the same origin: Chromium keeps pages from elsewhere off loopback addresses.
      const hostPage =
        '<!DOCTYPE html><iframe id="view" sandbox="allow-scripts" style="width:1000px;height:800px"></iframe>';
      const server = serve({
        fetch: (request: Request) =>
          new URL(request.url).pathname === '/test-host'
            ? new Response(hostPage, { headers: { 'content-type': 'text/html' } })
            : t.app.fetch(request),
        port: 0,
        hostname: '127.0.0.1',
      }) as Server;
      if (!server.listening) await once(server, 'listening');
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const shown = JSON.parse(
        JSON.stringify(result).replaceAll(`${t.config.publicUrl}/files/`, `${origin}/files/`),
      );
      const browser = await chromium.launch({ executablePath: CHROMIUM });
      try {
        const page = await browser.newPage();
        await page.goto(`${origin}/test-host`);
        await page.evaluate(
          ({ html, result }) => {
            const frame = document.getElementById('view') as HTMLIFrameElement;
            const seen: string[] = [];
            (window as unknown as { seen: string[] }).seen = seen;
            window.addEventListener('message', (event) => {
              const m = event.data;
              seen.push(m.method);
              const reply = (message: unknown) => frame.contentWindow?.postMessage(message, '*');
              if (m.method === 'ui/initialize') {
                reply({
                  jsonrpc: '2.0',
                  id: m.id,
                  result: {
                    protocolVersion: '2026-01-26',
                    hostInfo: { name: 'test-host', version: '1' },
                    hostCapabilities: {},
                    hostContext: { theme: 'dark' },
                  },
                });
              }
              if (m.method === 'ui/notifications/initialized') {
                reply({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: result });
              }
            });
            frame.srcdoc = html;
          },
          { html, result: shown },
        );
        const view = page.frameLocator('#view');
        const video = view.locator('video');
        await expect.poll(() => view.locator('#panel-console li').count()).toBe(5);
        expect(await view.locator('#title').textContent()).toBe('Checkout broken');
        const loaded = await video.evaluate(
          (v: HTMLVideoElement) =>
            new Promise<string>((resolve) => {
              if (v.readyState >= 1) resolve('ok');
              v.addEventListener('loadedmetadata', () => resolve('ok'));
              v.addEventListener('error', () => resolve(`error ${v.error?.message}`));
            }),
        );
        expect(loaded).toBe('ok');

        // Clicking the error at 6.0 s jumps the video there; each panel highlights its entry at 6.0 s.
        await view.locator('#panel-console li').nth(3).locator('button').click();
        await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime)).toBeCloseTo(6, 1);
        await expect
          .poll(() => view.locator('#panel-console li.current').textContent())
          .toContain('cart is undefined');
        expect(await view.locator('#panel-network li.current').textContent()).toContain('/api/cart');
        expect(await view.locator('#panel-actions li.current').textContent()).toContain('#checkout');

        // Playback moving on (here a seek) moves the highlight along.
        await video.evaluate((v: HTMLVideoElement) => {
          v.currentTime = 7.5;
        });
        await expect
          .poll(() => view.locator('#panel-network li.current').textContent())
          .toContain('cdn.example.com');
        await view.locator('#tab-network').click();
        expect(await view.locator('#panel-network').isVisible()).toBe(true);
        expect(await view.locator('#panel-console').isVisible()).toBe(false);
        const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
        expect(seen.slice(0, 2)).toEqual(['ui/initialize', 'ui/notifications/initialized']);
      } finally {
        await browser.close();
        server.closeAllConnections();
        server.close();
      }
    },
    30_000,
  );
});

describe('MCP tools: the caller', () => {
  it('a call that carries no user is refused by every tool', async () => {
    const anonymous = await mcpClientFor(t.deps, null);
    try {
      for (const name of ['userplane_get_profile', 'userplane_list_workspaces']) {
        const result = await anonymous.call(name, {});
        expect(result.isError).toBe(true);
        expect(anonymous.text(result)).toMatch(/UNAUTHENTICATED/);
      }
      const result = await anonymous.call('userplane_list_recordings', { workspaceId: ws });
      expect(result.isError).toBe(true);
    } finally {
      await anonymous.close();
    }
  });

  it('S39: a non-member gets the same NOT_A_MEMBER answer for a real and a made-up workspace', async () => {
    const outsider = await mcpClientFor(t.deps, team.outsider.user.id);
    try {
      const real = await fails(outsider, 'userplane_get_rec_info', { workspaceId: ws, recordingId: rec.id });
      const fake = await fails(outsider, 'userplane_get_rec_info', {
        workspaceId: 'ws_01doesnotexist',
        recordingId: 'rec_nope',
      });
      expect(real).toMatch(/^NOT_A_MEMBER/);
      expect(real).toBe(fake);
      expect(real).not.toContain(rec.id);
    } finally {
      await outsider.close();
    }
  });
});
