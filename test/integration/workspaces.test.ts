import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { requireMember } from '../../src/services/access.ts';
import { deleteWorkspace, renameWorkspace, transferOwnership } from '../../src/services/workspace-admin.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { addMember, type TestUser, teamWorkspace, userWithKey } from '../helpers/builders.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;
const ROLES = ['owner', 'admin', 'member'] as const;

describe(`workspaces over HTTP [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let team: Team;

  const get = (path: string, who: TestUser) => t.request(`/api/v1${path}`, { headers: who.headers });
  const access = (who: TestUser, ws = team.workspace.id) => requireMember(t.deps, who.user.id, ws);

  beforeAll(async () => {
    t = await createTestApp({ clock });
    team = await teamWorkspace(t.deps);
  });
  afterAll(async () => t.close());

  it('GET /public/workspaces lists the caller’s workspaces; membership only when asked', async () => {
    const plain = await get('/public/workspaces', team.admin);
    expect(plain.status).toBe(200);
    const body = await plain.json();
    expect(body.data.workspaces).toEqual([
      {
        workspaceId: team.workspace.id,
        workspaceName: 'Acme Support',
        createdAt: new Date(team.workspace.createdAt).toISOString(),
        updatedAt: new Date(team.workspace.updatedAt).toISOString(),
      },
    ]);
    expect(body.data.pagination).toEqual({ page: 1, perPage: 10, total: 1, totalPages: 1, hasMore: false });

    for (const role of ROLES) {
      const res = await get('/public/workspaces?include_workspace_membership=true', team[role]);
      const [ws] = (await res.json()).data.workspaces;
      expect(ws.membership).toEqual({
        workspaceMemberId: team.memberIds[role],
        workspaceRole: role,
        workspaceJoinedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    }
    const off = await get('/public/workspaces?include_workspace_membership=false', team.owner);
    expect((await off.json()).data.workspaces[0].membership).toBeUndefined();
    const bad = await get('/public/workspaces?include_workspace_membership=yes', team.owner);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^include_workspace_membership/),
    });
  });

  it('a non-member sees none of it (empty list)', async () => {
    const res = await get('/public/workspaces', team.outsider);
    expect(res.status).toBe(200);
    const { data } = await res.json();
    expect(data.workspaces).toEqual([]);
    expect(data.pagination).toEqual({ page: 1, perPage: 10, total: 0, totalPages: 0, hasMore: false });
  });

  it('paginates newest first: total, totalPages, hasMore; per_page over 20 → 400 naming per_page', async () => {
    const busy = await userWithKey(t.deps, 'busy');
    const ids: string[] = [];
    for (const name of ['W1', 'W2', 'W3']) {
      clock.advance(1000);
      ids.push((await createWorkspace(t.deps, { name, ownerUserId: busy.user.id })).workspace.id);
    }
    for (const name of ['W4', 'W5']) {
      clock.advance(1000);
      const other = await userWithKey(t.deps, 'other');
      const { workspace } = await createWorkspace(t.deps, { name, ownerUserId: other.user.id });
      await addMember(t.deps, workspace.id, busy.user.id, 'member');
      ids.push(workspace.id);
    }
    const newestFirst = [...ids].reverse();
    const pages = [];
    for (const page of [1, 2, 3, 4]) {
      const res = await get(`/public/workspaces?page=${page}&per_page=2`, busy);
      expect(res.status).toBe(200);
      pages.push((await res.json()).data);
    }
    expect(pages.map((p) => p.workspaces.map((w: { workspaceId: string }) => w.workspaceId))).toEqual([
      newestFirst.slice(0, 2),
      newestFirst.slice(2, 4),
      newestFirst.slice(4),
      [],
    ]);
    expect(pages.map((p) => p.pagination)).toEqual([
      { page: 1, perPage: 2, total: 5, totalPages: 3, hasMore: true },
      { page: 2, perPage: 2, total: 5, totalPages: 3, hasMore: true },
      { page: 3, perPage: 2, total: 5, totalPages: 3, hasMore: false },
      { page: 4, perPage: 2, total: 5, totalPages: 3, hasMore: false },
    ]);
    const max = await get('/public/workspaces?per_page=20', busy);
    expect((await max.json()).data.pagination.perPage).toBe(20);
    for (const query of ['per_page=21', 'per_page=0', 'per_page=abc', 'page=0']) {
      const res = await get(`/public/workspaces?${query}`, busy);
      expect(res.status).toBe(400);
      const err = await res.json();
      expect(err.error).toBe('VALIDATION_FAILED');
      expect(err.message.startsWith(query.split('=')[0]!)).toBe(true);
    }
  });

  it('GET /public/workspace/{id} answers every role with their own membership', async () => {
    for (const role of ROLES) {
      const res = await get(`/public/workspace/${team.workspace.id}`, team[role]);
      expect(res.status).toBe(200);
      expect((await res.json()).data).toEqual({
        workspaceId: team.workspace.id,
        workspaceName: 'Acme Support',
        createdAt: new Date(team.workspace.createdAt).toISOString(),
        updatedAt: new Date(team.workspace.updatedAt).toISOString(),
        membership: {
          workspaceMemberId: team.memberIds[role],
          workspaceRole: role,
          workspaceJoinedAt: expect.any(String),
        },
        // No recordings yet (test/integration/storage-usage.test.ts counts real ones).
        storage: { bytes: 0, recordings: 0 },
      });
    }
  });

  it('S39: an outsider gets the same answer for an existing workspace and a made-up one', async () => {
    const real = await get(`/public/workspace/${team.workspace.id}`, team.outsider);
    const fake = await get('/public/workspace/ws_00000000000000000000000000', team.outsider);
    const junk = await get('/public/workspace/nothing-like-an-id', team.outsider);
    expect(real.status).toBe(403);
    const realBody = await real.json();
    expect(realBody.error).toBe('NOT_A_MEMBER');
    expect(await fake.json()).toEqual(realBody);
    expect(fake.status).toBe(403);
    expect(await junk.json()).toEqual(realBody);
  });

  it('rename: admin and owner may, a member may not (FORBIDDEN naming the role)', async () => {
    await expect(renameWorkspace(t.deps, await access(team.member), 'Nope')).rejects.toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
      message: expect.stringContaining('admin or owner'),
    });
    await expect(renameWorkspace(t.deps, await access(team.admin), '  ')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'name',
    });
    clock.advance(5000);
    const renamed = await renameWorkspace(t.deps, await access(team.admin), '  Acme Help ');
    expect(renamed.name).toBe('Acme Help');
    const res = await get(`/public/workspace/${team.workspace.id}`, team.member);
    const data = (await res.json()).data;
    expect(data.workspaceName).toBe('Acme Help');
    expect(data.updatedAt).toBe(new Date(clock.now()).toISOString());
    await renameWorkspace(t.deps, await access(team.owner), 'Acme Support');
  });

  describe('ownership transfer', () => {
    let t2: Team;
    beforeAll(async () => {
      t2 = await teamWorkspace(t.deps);
    });

    it('only the owner may transfer; an admin is refused', async () => {
      await expect(
        transferOwnership(t.deps, await access(t2.admin, t2.workspace.id), t2.memberIds.member!),
      ).rejects.toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
        message: expect.stringContaining('owner role'),
      });
      await expect(
        transferOwnership(t.deps, await access(t2.owner, t2.workspace.id), 'mem_00000000000000000000000000'),
      ).rejects.toMatchObject({ status: 404, code: 'MEMBER_NOT_FOUND' });
      // A member of another workspace is not a member here.
      await expect(
        transferOwnership(t.deps, await access(t2.owner, t2.workspace.id), team.memberIds.member!),
      ).rejects.toMatchObject({ status: 404, code: 'MEMBER_NOT_FOUND' });
    });

    it('respects the recipient’s ≤ 3 owned workspaces (PLAN_LIMIT_EXCEEDED) and changes nothing', async () => {
      for (const name of ['A', 'B', 'C'])
        await createWorkspace(t.deps, { name, ownerUserId: t2.member2.user.id });
      await expect(
        transferOwnership(t.deps, await access(t2.owner, t2.workspace.id), t2.memberIds.member2!),
      ).rejects.toMatchObject({ status: 403, code: 'PLAN_LIMIT_EXCEEDED' });
      const row = await t.store.db
        .selectFrom('workspaces')
        .select('owner_user_id')
        .where('id', '=', t2.workspace.id)
        .executeTakeFirstOrThrow();
      expect(row.owner_user_id).toBe(t2.owner.user.id);
      const res = await get(`/public/workspace/${t2.workspace.id}`, t2.member2);
      expect((await res.json()).data.membership.workspaceRole).toBe('member');
    });

    it('moves ownership: the old owner becomes admin at once (S40), owner_user_id follows', async () => {
      const moved = await transferOwnership(
        t.deps,
        await access(t2.owner, t2.workspace.id),
        t2.memberIds.member!,
      );
      expect(moved).toMatchObject({ id: t2.memberIds.member, role: 'owner' });
      const row = await t.store.db
        .selectFrom('workspaces')
        .select('owner_user_id')
        .where('id', '=', t2.workspace.id)
        .executeTakeFirstOrThrow();
      expect(row.owner_user_id).toBe(t2.member.user.id);
      const roleOf = async (who: TestUser) =>
        (await (await get(`/public/workspace/${t2.workspace.id}`, who)).json()).data.membership.workspaceRole;
      expect(await roleOf(t2.owner)).toBe('admin');
      expect(await roleOf(t2.member)).toBe('owner');
      // The former owner lost owner-only powers on their very next call.
      await expect(deleteWorkspace(t.deps, await access(t2.owner, t2.workspace.id))).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        transferOwnership(t.deps, await access(t2.owner, t2.workspace.id), t2.memberIds.owner!),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });
  });

  describe('soft delete', () => {
    let t3: Team;
    beforeAll(async () => {
      t3 = await teamWorkspace(t.deps);
    });

    it('only the owner may delete', async () => {
      for (const who of [t3.admin, t3.member]) {
        await expect(deleteWorkspace(t.deps, await access(who, t3.workspace.id))).rejects.toMatchObject({
          status: 403,
          code: 'FORBIDDEN',
        });
      }
      expect((await get(`/public/workspace/${t3.workspace.id}`, t3.member)).status).toBe(200);
    });

    it('after deletion every member gets WORKSPACE_GONE, the list drops it, outsiders still learn nothing', async () => {
      await deleteWorkspace(t.deps, await access(t3.owner, t3.workspace.id));
      for (const role of ROLES) {
        const res = await get(`/public/workspace/${t3.workspace.id}`, t3[role]);
        expect(res.status).toBe(410);
        expect((await res.json()).error).toBe('WORKSPACE_GONE');
        const proj = await get(`/public/workspace/${t3.workspace.id}/projects`, t3[role]);
        expect(proj.status).toBe(410);
        const list = await (await get('/public/workspaces', t3[role])).json();
        expect(list.data.workspaces).toEqual([]);
      }
      const outsider = await get(`/public/workspace/${t3.workspace.id}`, t3.outsider);
      expect(outsider.status).toBe(403);
      expect((await outsider.json()).error).toBe('NOT_A_MEMBER');
      // The owned-workspace count no longer includes it: the owner may create another.
      const owned = await t.store.db
        .selectFrom('workspaces')
        .select('id')
        .where('owner_user_id', '=', t3.owner.user.id)
        .where('deleted_at', 'is', null)
        .execute();
      expect(owned).toEqual([]);
    });
  });
});
