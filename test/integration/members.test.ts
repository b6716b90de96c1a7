import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { sha256Hex } from '../../src/lib/crypto.ts';
import { requireMember } from '../../src/services/access.ts';
import {
  acceptInvitation,
  inviteMember,
  listInvitations,
  revokeInvitation,
} from '../../src/services/invitations.ts';
import { changeMemberRole, getMember, listMembers, removeMember } from '../../src/services/members.ts';
import { createProject } from '../../src/services/projects.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { type TestUser, teamWorkspace, userWithKey } from '../helpers/builders.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;

describe(`members and invitations [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let team: Team;

  const get = (path: string, who: TestUser) => t.request(`/api/v1${path}`, { headers: who.headers });
  const access = (who: TestUser, w: Team = team) => requireMember(t.deps, who.user.id, w.workspace.id);
  const roleVia = async (who: TestUser, w: Team = team) => {
    const res = await get(`/public/workspace/${w.workspace.id}`, who);
    return res.status === 200 ? (await res.json()).data.membership.workspaceRole : (await res.json()).error;
  };

  beforeAll(async () => {
    t = await createTestApp({ clock });
    team = await teamWorkspace(t.deps);
  });
  afterAll(async () => t.close());

  describe('members', () => {
    it('any member lists members with name, email, role and join date', async () => {
      for (const who of [team.owner, team.admin, team.member]) {
        const page = await listMembers(t.deps, await access(who), { page: 1, perPage: 10 });
        expect(page.total).toBe(4);
        expect(new Set(page.items.map((m) => m.role))).toEqual(new Set(['owner', 'admin', 'member']));
        const admin = page.items.find((m) => m.id === team.memberIds.admin)!;
        expect(admin).toMatchObject({
          name: 'admin',
          email: team.admin.email,
          role: 'admin',
          joinedAt: clock.now(),
        });
      }
      const small = await listMembers(t.deps, await access(team.member), { page: 2, perPage: 3 });
      expect(small).toMatchObject({ page: 2, perPage: 3, total: 4 });
      expect(small.items).toHaveLength(1);
      await expect(
        listMembers(t.deps, await access(team.member), { page: 1, perPage: 0 }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'per_page',
      });
    });

    it('getMember finds only active members of this workspace', async () => {
      expect(await getMember(t.deps, await access(team.member), team.memberIds.owner!)).toMatchObject({
        role: 'owner',
        userId: team.owner.user.id,
      });
      const other = await teamWorkspace(t.deps);
      await expect(
        getMember(t.deps, await access(team.member), other.memberIds.owner!),
      ).rejects.toMatchObject({
        status: 404,
        code: 'MEMBER_NOT_FOUND',
      });
    });

    it('role changes: admin+ only, never the owner’s role, never to owner', async () => {
      const w = await teamWorkspace(t.deps);
      const m = await access(w.member, w);
      await expect(changeMemberRole(t.deps, m, w.memberIds.member2!, 'admin')).rejects.toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
        message: expect.stringContaining('admin or owner'),
      });
      const a = await access(w.admin, w);
      await expect(changeMemberRole(t.deps, a, w.memberIds.owner!, 'member')).rejects.toMatchObject({
        status: 403,
        message: expect.stringContaining('owner'),
      });
      const o = await access(w.owner, w);
      await expect(changeMemberRole(t.deps, o, w.memberIds.owner!, 'admin')).rejects.toMatchObject({
        status: 403,
      });
      await expect(changeMemberRole(t.deps, o, w.memberIds.member!, 'owner')).rejects.toMatchObject({
        status: 403,
        message: expect.stringContaining('transfer'),
      });
      await expect(changeMemberRole(t.deps, o, w.memberIds.member!, 'boss')).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'role',
      });
      await expect(
        changeMemberRole(t.deps, o, 'mem_00000000000000000000000000', 'admin'),
      ).rejects.toMatchObject({
        code: 'MEMBER_NOT_FOUND',
      });
      expect(await roleVia(w.owner, w)).toBe('owner');
      expect(await roleVia(w.member, w)).toBe('member');

      expect(await changeMemberRole(t.deps, a, w.memberIds.member!, 'admin')).toMatchObject({
        role: 'admin',
      });
      expect(await roleVia(w.member, w)).toBe('admin');
    });

    it('S40: a demoted admin is refused on their very next request with the same key', async () => {
      const w = await teamWorkspace(t.deps);
      // Before: the admin may create projects.
      await createProject(t.deps, await access(w.admin, w), { title: 'Before' });
      await changeMemberRole(t.deps, await access(w.owner, w), w.memberIds.admin!, 'member');
      expect(await roleVia(w.admin, w)).toBe('member');
      await expect(createProject(t.deps, await access(w.admin, w), { title: 'After' })).rejects.toMatchObject(
        {
          status: 403,
          code: 'FORBIDDEN',
        },
      );
    });

    it('S40: a removed member is refused on their very next request with the same key', async () => {
      const w = await teamWorkspace(t.deps);
      expect((await get(`/public/workspace/${w.workspace.id}/projects`, w.member)).status).toBe(200);
      await expect(
        removeMember(t.deps, await access(w.member2, w), w.memberIds.member!),
      ).rejects.toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
      await removeMember(t.deps, await access(w.admin, w), w.memberIds.member!);
      for (const path of [
        `/public/workspace/${w.workspace.id}`,
        `/public/workspace/${w.workspace.id}/projects`,
        `/public/workspace/${w.workspace.id}/search?q=a&type=projects`,
      ]) {
        const res = await get(path, w.member);
        expect(res.status).toBe(403);
        expect((await res.json()).error).toBe('NOT_A_MEMBER');
      }
      expect((await (await get('/public/workspaces', w.member)).json()).data.workspaces).toEqual([]);
      const left = await listMembers(t.deps, await access(w.owner, w), { page: 1, perPage: 10 });
      expect(left.items.map((m) => m.id)).not.toContain(w.memberIds.member);
      // The row stays (soft removal): links they created keep their creator.
      const row = await t.store.db
        .selectFrom('members')
        .select('removed_at')
        .where('id', '=', w.memberIds.member!)
        .executeTakeFirstOrThrow();
      expect(row.removed_at).toBe(clock.now());
      await expect(removeMember(t.deps, await access(w.admin, w), w.memberIds.member!)).rejects.toMatchObject(
        {
          code: 'MEMBER_NOT_FOUND',
        },
      );
    });

    it('nobody removes the owner; an admin may remove an admin', async () => {
      const w = await teamWorkspace(t.deps);
      await expect(removeMember(t.deps, await access(w.admin, w), w.memberIds.owner!)).rejects.toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
      await expect(removeMember(t.deps, await access(w.owner, w), w.memberIds.owner!)).rejects.toMatchObject({
        status: 403,
      });
      expect(await roleVia(w.owner, w)).toBe('owner');
      await changeMemberRole(t.deps, await access(w.owner, w), w.memberIds.member!, 'admin');
      await removeMember(t.deps, await access(w.admin, w), w.memberIds.member!);
      expect(await roleVia(w.member, w)).toBe('NOT_A_MEMBER');
    });
  });

  describe('invitations', () => {
    it('admin+ invites; the token is shown once and only its SHA-256 is stored; expires in 7 days', async () => {
      const { invitation, token } = await inviteMember(t.deps, await access(team.admin), {
        email: ' Newbie@Example.com ',
        role: 'member',
      });
      expect(token.length).toBeGreaterThanOrEqual(43);
      expect(invitation).toMatchObject({
        email: 'newbie@example.com',
        role: 'member',
        invitedByMemberId: team.memberIds.admin,
        expiresAt: clock.now() + 7 * DAY_MS,
      });
      const rows = await t.store.db.selectFrom('invitations').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows.find((r) => r.id === invitation.id)?.token_hash).toBe(sha256Hex(token));
      const pending = await listInvitations(t.deps, await access(team.owner));
      expect(pending.map((i) => i.id)).toContain(invitation.id);
    });

    it('a member may not invite, list or revoke; only admin or member roles may be invited', async () => {
      const m = await access(team.member);
      await expect(inviteMember(t.deps, m, { email: 'x@example.com', role: 'member' })).rejects.toMatchObject(
        {
          status: 403,
          code: 'FORBIDDEN',
        },
      );
      await expect(listInvitations(t.deps, m)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(revokeInvitation(t.deps, m, 'inv_x')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const a = await access(team.admin);
      await expect(inviteMember(t.deps, a, { email: 'x@example.com', role: 'owner' })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        field: 'role',
      });
      for (const email of ['not-an-email', '', `${'a'.repeat(250)}@example.com`]) {
        await expect(inviteMember(t.deps, a, { email, role: 'member' })).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          field: 'email',
        });
      }
      await expect(
        inviteMember(t.deps, a, { email: team.member.email.toUpperCase(), role: 'admin' }),
      ).rejects.toMatchObject({ status: 409, code: 'CONFLICT', field: 'email' });
    });

    it('accepting (email in any case) makes a membership with the invited role, usable at once', async () => {
      const joiner = await userWithKey(t.deps, 'joiner');
      const { token } = await inviteMember(t.deps, await access(team.owner), {
        email: joiner.email.toUpperCase(),
        role: 'admin',
      });
      expect(await roleVia(joiner)).toBe('NOT_A_MEMBER');
      const accepted = await acceptInvitation(t.deps, token, joiner.user.id);
      expect(accepted).toMatchObject({ workspaceId: team.workspace.id, role: 'admin' });
      expect(await roleVia(joiner)).toBe('admin');
      // Single use.
      await expect(acceptInvitation(t.deps, token, joiner.user.id)).rejects.toMatchObject({
        status: 404,
        code: 'INVITATION_NOT_FOUND',
      });
      expect((await listInvitations(t.deps, await access(team.owner))).map((i) => i.email)).not.toContain(
        joiner.email.toLowerCase(),
      );
    });

    it('another user’s email is refused and leaves the invitation usable', async () => {
      const invitee = await userWithKey(t.deps, 'invitee');
      const { token } = await inviteMember(t.deps, await access(team.admin), {
        email: invitee.email,
        role: 'member',
      });
      await expect(acceptInvitation(t.deps, token, team.outsider.user.id)).rejects.toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
      expect(await roleVia(team.outsider)).toBe('NOT_A_MEMBER');
      await acceptInvitation(t.deps, token, invitee.user.id);
      expect(await roleVia(invitee)).toBe('member');
    });

    it('unknown, revoked and replaced tokens → 404 INVITATION_NOT_FOUND; expired → 410 INVITATION_EXPIRED', async () => {
      const late = await userWithKey(t.deps, 'late');
      await expect(acceptInvitation(t.deps, 'nope', late.user.id)).rejects.toMatchObject({
        status: 404,
        code: 'INVITATION_NOT_FOUND',
      });
      const a = await access(team.admin);
      const first = await inviteMember(t.deps, a, { email: late.email, role: 'member' });
      const second = await inviteMember(t.deps, a, { email: late.email, role: 'admin' });
      await expect(acceptInvitation(t.deps, first.token, late.user.id)).rejects.toMatchObject({
        code: 'INVITATION_NOT_FOUND',
      });
      await revokeInvitation(t.deps, a, second.invitation.id);
      await expect(revokeInvitation(t.deps, a, second.invitation.id)).rejects.toMatchObject({
        status: 404,
        code: 'INVITATION_NOT_FOUND',
      });
      await expect(acceptInvitation(t.deps, second.token, late.user.id)).rejects.toMatchObject({
        code: 'INVITATION_NOT_FOUND',
      });

      const third = await inviteMember(t.deps, a, { email: late.email, role: 'member' });
      clock.advance(7 * DAY_MS);
      await expect(acceptInvitation(t.deps, third.token, late.user.id)).rejects.toMatchObject({
        status: 410,
        code: 'INVITATION_EXPIRED',
      });
      expect(await roleVia(late)).toBe('NOT_A_MEMBER');
      expect((await listInvitations(t.deps, a)).map((i) => i.id)).not.toContain(third.invitation.id);
    });

    it('an invitation to another workspace cannot be revoked from this one', async () => {
      const w = await teamWorkspace(t.deps);
      const { invitation } = await inviteMember(t.deps, await access(w.owner, w), {
        email: 'someone@example.com',
        role: 'member',
      });
      await expect(revokeInvitation(t.deps, await access(team.owner), invitation.id)).rejects.toMatchObject({
        code: 'INVITATION_NOT_FOUND',
      });
      expect((await listInvitations(t.deps, await access(w.owner, w))).map((i) => i.id)).toContain(
        invitation.id,
      );
    });

    it('a removed member re-invited gets the same membership back', async () => {
      const w = await teamWorkspace(t.deps);
      await removeMember(t.deps, await access(w.owner, w), w.memberIds.member2!);
      expect(await roleVia(w.member2, w)).toBe('NOT_A_MEMBER');
      const { token } = await inviteMember(t.deps, await access(w.admin, w), {
        email: w.member2.email,
        role: 'admin',
      });
      const accepted = await acceptInvitation(t.deps, token, w.member2.user.id);
      expect(accepted.memberId).toBe(w.memberIds.member2);
      expect(await roleVia(w.member2, w)).toBe('admin');
    });

    it('accepting into a deleted workspace answers WORKSPACE_GONE', async () => {
      const w = await teamWorkspace(t.deps);
      const { token } = await inviteMember(t.deps, await access(w.owner, w), {
        email: w.outsider.email,
        role: 'member',
      });
      await t.store.db
        .updateTable('workspaces')
        .set({ deleted_at: clock.now() })
        .where('id', '=', w.workspace.id)
        .execute();
      await expect(acceptInvitation(t.deps, token, w.outsider.user.id)).rejects.toMatchObject({
        status: 410,
        code: 'WORKSPACE_GONE',
      });
    });
  });

  describe('CLI: member add', () => {
    let env: Record<string, string>;

    async function cli(...args: string[]) {
      let stdout = '';
      let stderr = '';
      const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        stdout += String(chunk);
        return true;
      });
      const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
        stderr += String(chunk);
        return true;
      });
      try {
        const code = await runCli(['member', 'add', ...args], env);
        return { code, stdout: stdout.trim(), stderr };
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
    }

    beforeAll(async () => {
      const database = t.deps.config.database;
      let url: string;
      if (database.kind === 'sqlite') url = `sqlite:${database.file}`;
      else {
        const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(t.store.db);
        url = `${database.url}?options=${encodeURIComponent(`-c search_path=${rows[0]!.s}`)}`;
      }
      env = {
        DATA_DIR: t.config.dataDir,
        USERPLANE_SECRET: 'test-secret-test-secret-test-secret-0123456789',
        PUBLIC_URL: 'http://localhost:3000',
        LOG_LEVEL: 'silent',
        DATABASE_URL: url,
      };
    });

    it('adds an existing user directly and prints the member id', async () => {
      const w = await teamWorkspace(t.deps);
      const res = await cli(
        '--workspace',
        w.workspace.id,
        '--email',
        w.outsider.email.toUpperCase(),
        '--role',
        'admin',
      );
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout).toMatch(/^mem_[0-9a-z]{26}$/);
      const got = await get(`/public/workspace/${w.workspace.id}`, w.outsider);
      expect((await got.json()).data.membership).toMatchObject({
        workspaceMemberId: res.stdout,
        workspaceRole: 'admin',
      });
      // Again with another role: same membership, new role.
      const again = await cli('--workspace', w.workspace.id, '--email', w.outsider.email, '--role', 'member');
      expect(again.stdout).toBe(res.stdout);
      expect(await roleVia(w.outsider, w)).toBe('member');
    });

    it('--role owner transfers ownership; the previous owner becomes admin', async () => {
      const w = await teamWorkspace(t.deps);
      const res = await cli('--workspace', w.workspace.id, '--email', w.outsider.email, '--role', 'owner');
      expect(res.code).toBe(0);
      expect(await roleVia(w.outsider, w)).toBe('owner');
      expect(await roleVia(w.owner, w)).toBe('admin');
      const row = await t.store.db
        .selectFrom('workspaces')
        .select('owner_user_id')
        .where('id', '=', w.workspace.id)
        .executeTakeFirstOrThrow();
      expect(row.owner_user_id).toBe(w.outsider.user.id);
      // The current owner cannot be demoted this way.
      const demote = await cli(
        '--workspace',
        w.workspace.id,
        '--email',
        w.outsider.email,
        '--role',
        'member',
      );
      expect(demote.code).not.toBe(0);
      expect(await roleVia(w.outsider, w)).toBe('owner');
    });

    it('--role owner respects the recipient’s ≤ 3 owned workspaces', async () => {
      const w = await teamWorkspace(t.deps);
      for (const name of ['A', 'B', 'C'])
        await createWorkspace(t.deps, { name, ownerUserId: w.member.user.id });
      const res = await cli('--workspace', w.workspace.id, '--email', w.member.email, '--role', 'owner');
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/at most|most a user may own/);
      expect(await roleVia(w.member, w)).toBe('member');
      expect(await roleVia(w.owner, w)).toBe('owner');
    });

    it('unknown workspace, unknown user or a bad role → stderr and a non-zero exit', async () => {
      const w = await teamWorkspace(t.deps);
      const cases = [
        ['--workspace', 'ws_00000000000000000000000000', '--email', w.outsider.email, '--role', 'member'],
        ['--workspace', w.workspace.id, '--email', 'nobody@example.com', '--role', 'member'],
        ['--workspace', w.workspace.id, '--email', w.outsider.email, '--role', 'boss'],
        ['--workspace', w.workspace.id, '--email', w.outsider.email],
      ];
      for (const args of cases) {
        const res = await cli(...args);
        expect(res.code).not.toBe(0);
        expect(res.stdout).toBe('');
        expect(res.stderr.length).toBeGreaterThan(0);
      }
      expect(await roleVia(w.outsider, w)).toBe('NOT_A_MEMBER');
    });
  });
});
