import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Access } from '../../src/services/access.ts';
import { createLink, deleteLink } from '../../src/services/links.ts';
import { changeMemberRole, removeMember } from '../../src/services/members.ts';
import { deleteRecording } from '../../src/services/recordings.ts';
import { addMember, teamWorkspace, userWithKey } from '../helpers/builders.ts';
import { accessOf, verifiedDomain } from '../helpers/builders-links.ts';
import { makeRecording } from '../helpers/builders-recordings.ts';
import { mcpClientFor, type TestMcpClient } from '../helpers/mcp-client.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// PRODUCT.md §2 through MCP: every tool for every role (owner, admin, member) and for a non-member.
// The seed is demo-like: a verified domain, a link made by the member and one made by the admin, a
// recording on each. Destructive calls get objects of their own.

type Role = 'owner' | 'admin' | 'member';
const ROLES: Role[] = ['owner', 'admin', 'member'];

let t: TestApp;
let team: Awaited<ReturnType<typeof teamWorkspace>>;
let ws: string;
let domainId: string;
let accesses: Record<Role, Access>;
let memberLinkId: string;
let memberRecordingId: string;
let clients: Record<Role | 'outsider', TestMcpClient>;

/** A link made by `creator` with one recording on it, both deleted, for a restore. */
async function freshDeleted(creator: Role): Promise<{ linkId: string; recordingId: string }> {
  const made = await fresh(creator);
  await deleteRecording(t.deps, accesses.owner, made.recordingId);
  await deleteLink(t.deps, accesses.owner, made.linkId);
  return made;
}

/** A link made by `creator` with one recording on it, for a destructive call. */
async function fresh(creator: Role): Promise<{ linkId: string; recordingId: string }> {
  const link = await createLink(t.deps, accesses[creator], {
    domainId,
    title: `${creator}'s link`,
    reusable: true,
  });
  const recording = await makeRecording(t.deps, link.id);
  return { linkId: link.id, recordingId: recording.id };
}

interface Case {
  tool: string;
  args(role: Role): Promise<Record<string, unknown>>;
  /** Roles refused; the rest succeed. */
  refused?: Role[];
  /** Whether the call names a workspace (so a non-member is refused). */
  workspace?: boolean;
}

const rec =
  (extra: Record<string, unknown> = {}) =>
  async () => ({
    workspaceId: ws,
    recordingId: memberRecordingId,
    ...extra,
  });

const CASES: Case[] = [
  { tool: 'userplane_get_profile', args: async () => ({}), workspace: false },
  { tool: 'userplane_list_workspaces', args: async () => ({}), workspace: false },
  { tool: 'userplane_list_projects', args: async () => ({ workspaceId: ws }) },
  { tool: 'userplane_list_domains', args: async () => ({ workspaceId: ws, status: 'verified' }) },
  { tool: 'userplane_get_domain', args: async () => ({ workspaceId: ws, domainId }) },
  { tool: 'userplane_list_members', args: async () => ({ workspaceId: ws }) },
  { tool: 'userplane_list_recordings', args: async () => ({ workspaceId: ws, link_id: memberLinkId }) },
  { tool: 'userplane_get_rec_info', args: rec() },
  { tool: 'userplane_get_rec_video', args: rec() },
  { tool: 'userplane_get_rec_thumb', args: rec() },
  { tool: 'userplane_get_rec_console', args: rec({ level: 'error' }) },
  { tool: 'userplane_get_rec_network', args: rec({ status_min: 400 }) },
  { tool: 'userplane_get_rec_actions', args: rec({ type: 'click' }) },
  { tool: 'userplane_show_recording', args: rec() },
  { tool: 'userplane_list_links', args: async () => ({ workspaceId: ws }) },
  { tool: 'userplane_get_link', args: async () => ({ workspaceId: ws, linkId: memberLinkId }) },
  { tool: 'userplane_create_link', args: async () => ({ workspaceId: ws, domainId, title: 'New link' }) },
  // Any member may update any link (§2), here the admin's.
  {
    tool: 'userplane_update_link',
    args: async (role) => ({
      workspaceId: ws,
      linkId: (await fresh('admin')).linkId,
      title: `edited by ${role}`,
    }),
  },
  // Deleting takes admin or owner, or being the link's creator: here the link is someone else's.
  {
    tool: 'userplane_delete_link',
    args: async (role) => ({
      workspaceId: ws,
      linkId: (await fresh(role === 'admin' ? 'member' : 'admin')).linkId,
    }),
    refused: ['member'],
  },
  {
    tool: 'userplane_delete_recording',
    args: async (role) => ({
      workspaceId: ws,
      recordingId: (await fresh(role === 'admin' ? 'member' : 'admin')).recordingId,
    }),
    refused: ['member'],
  },
  // Restoring takes what deleting takes (issue 9): here the link and recording are someone else's.
  {
    tool: 'userplane_restore_link',
    args: async (role) => ({
      workspaceId: ws,
      linkId: (await freshDeleted(role === 'admin' ? 'member' : 'admin')).linkId,
    }),
    refused: ['member'],
  },
  {
    tool: 'userplane_restore_recording',
    args: async (role) => ({
      workspaceId: ws,
      recordingId: (await freshDeleted(role === 'admin' ? 'member' : 'admin')).recordingId,
    }),
    refused: ['member'],
  },
];

beforeAll(async () => {
  t = await createTestApp();
  team = await teamWorkspace(t.deps);
  ws = team.workspace.id;
  accesses = {
    owner: await accessOf(t.deps, team.owner, ws),
    admin: await accessOf(t.deps, team.admin, ws),
    member: await accessOf(t.deps, team.member, ws),
  };
  domainId = (await verifiedDomain(t.deps, accesses.owner)).id;
  const seeded = await fresh('member');
  memberLinkId = seeded.linkId;
  memberRecordingId = seeded.recordingId;
  await fresh('admin');
  clients = {
    owner: await mcpClientFor(t.deps, team.owner.user.id),
    admin: await mcpClientFor(t.deps, team.admin.user.id),
    member: await mcpClientFor(t.deps, team.member.user.id),
    outsider: await mcpClientFor(t.deps, team.outsider.user.id),
  };
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) await client.close();
  await t?.close();
});

describe('MCP tools × roles (PRODUCT.md §2)', () => {
  it('the table covers every tool the server lists', () => {
    expect(CASES.map((c) => c.tool).sort()).toEqual(clients.owner.tools.map((x) => x.name).sort());
  });

  for (const c of CASES) {
    for (const role of ROLES) {
      const refused = c.refused?.includes(role) ?? false;
      it(`${c.tool} as ${role}: ${refused ? 'refused naming the role' : 'allowed'}`, async () => {
        const client = clients[role];
        const result = await client.call(c.tool, await c.args(role));
        const text = client.text(result);
        if (refused) {
          expect(result.isError).toBe(true);
          expect(text).toMatch(/admin or owner role/);
          expect(text).toMatch(/your role is member/);
          expect(text).toContain('Workspace Settings > Team');
        } else {
          expect(result.isError, text).toBeFalsy();
          expect(client.schemaErrors(c.tool, result.structuredContent)).toBeNull();
        }
      });
    }

    it(`S39: ${c.tool} as a non-member ${c.workspace === false ? 'sees nothing of the workspace' : 'gets NOT_A_MEMBER and learns nothing'}`, async () => {
      const client = clients.outsider;
      const args = await c.args('owner');
      const result = await client.call(c.tool, args);
      const text = client.text(result);
      if (c.workspace === false) {
        expect(result.isError, text).toBeFalsy();
        expect(JSON.stringify(result.structuredContent)).not.toContain(ws);
        return;
      }
      expect(result.isError).toBe(true);
      expect(text).toMatch(/^NOT_A_MEMBER/);
      // The same answer when the workspace does not exist at all.
      const other = await client.call(c.tool, { ...args, workspaceId: 'ws_01nonexistent0000000000000' });
      expect(client.text(other)).toBe(text);
      for (const id of Object.values(args)) {
        if (typeof id === 'string' && id !== ws) expect(text).not.toContain(id);
      }
    });
  }

  it('a member may delete a link and a recording of their own link', async () => {
    const own = await fresh('member');
    const member = clients.member;
    const rec = await member.call('userplane_delete_recording', {
      workspaceId: ws,
      recordingId: own.recordingId,
    });
    expect(rec.isError, member.text(rec)).toBeFalsy();
    const link = await member.call('userplane_delete_link', { workspaceId: ws, linkId: own.linkId });
    expect(link.isError, member.text(link)).toBeFalsy();
  });

  it('S40: demoting or removing a member takes effect on their next call on the same connection', async () => {
    const user = await userWithKey(t.deps, 'temp-admin');
    const memberId = await addMember(t.deps, ws, user.user.id, 'admin');
    const client = await mcpClientFor(t.deps, user.user.id);
    try {
      const first = await fresh('owner');
      expect(
        (await client.call('userplane_delete_link', { workspaceId: ws, linkId: first.linkId })).isError,
      ).toBeFalsy();

      await changeMemberRole(t.deps, accesses.owner, memberId, 'member');
      const second = await fresh('owner');
      const refused = await client.call('userplane_delete_link', { workspaceId: ws, linkId: second.linkId });
      expect(refused.isError).toBe(true);
      expect(client.text(refused)).toMatch(/LINK_DELETE_FORBIDDEN.*your role is member/);

      await removeMember(t.deps, accesses.owner, memberId);
      const gone = await client.call('userplane_list_links', { workspaceId: ws });
      expect(gone.isError).toBe(true);
      expect(client.text(gone)).toMatch(/^NOT_A_MEMBER/);
      const workspaces = await client.call('userplane_list_workspaces', {});
      expect(workspaces.structuredContent).toMatchObject({ workspaces: [] });
    } finally {
      await client.close();
    }
  });
});
