import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import type { Store } from '../../src/store/db.ts';
import {
  consumeInvitation,
  findInvitationByTokenHash,
  insertInvitation,
  listPendingInvitations,
  revokeInvitationRow,
  revokePendingInvitationsFor,
} from '../../src/store/invitations.ts';
import {
  findActiveMember,
  findActiveMemberByEmail,
  findActiveMemberByUser,
  listActiveMembers,
  removeMemberRow,
  setMemberRole,
} from '../../src/store/members.ts';
import {
  findWorkspaceProject,
  listLiveProjects,
  softDeleteProject,
  updateProjectRow,
} from '../../src/store/projects.ts';
import {
  escapeLike,
  searchDomains,
  searchLinks,
  searchMembers,
  searchProjects,
} from '../../src/store/search.ts';
import {
  findWorkspaceById,
  insertProject,
  insertWorkspace,
  listUserWorkspaces,
  renameWorkspaceRow,
  setWorkspaceOwner,
  softDeleteWorkspace,
  upsertMember,
} from '../../src/store/workspaces.ts';
import { openTestStore, testDialect } from '../helpers/test-app.ts';

describe(`workspace repositories [${testDialect}]`, () => {
  let store: Store;
  let drop: () => Promise<void>;
  let dataDir: string;
  let t = Date.UTC(2026, 0, 1);
  const tick = () => {
    t += 1000;
    return t;
  };

  async function user(name: string, email = `${name}@example.com`) {
    const id = newId('usr', tick());
    await store.db
      .insertInto('users')
      .values({
        id,
        email,
        email_normalized: email.toLowerCase(),
        name,
        password_hash: null,
        email_verified: 0,
        image: null,
        created_at: t,
        updated_at: t,
      })
      .execute();
    return id;
  }

  async function workspace(name: string, ownerId: string) {
    const now = tick();
    const ws = await insertWorkspace(store.db, {
      id: newId('ws', now),
      name,
      ownerUserId: ownerId,
      createdAt: now,
    });
    const ownerMember = await upsertMember(store.db, {
      id: newId('mem', now),
      workspaceId: ws.id,
      userId: ownerId,
      role: 'owner',
      joinedAt: now,
    });
    return { ws, ownerMember };
  }

  async function project(workspaceId: string, title: string, isDefault = 0) {
    const now = tick();
    return insertProject(store.db, {
      id: newId('prj', now),
      workspaceId,
      title,
      isDefault: isDefault === 1,
      retentionDays: null,
      createdAt: now,
    });
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'userplane-storage-'));
    ({ store, drop } = await openTestStore(dataDir));
  });
  afterAll(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists a user’s live workspaces newest first with their membership, paginated', async () => {
    const alice = await user('alice');
    const a = await workspace('First', alice);
    const b = await workspace('Second', alice);
    const c = await workspace('Third', alice);
    await softDeleteWorkspace(store.db, c.ws.id, tick());
    const bob = await user('bob');
    const other = await workspace('Not hers', bob);

    const page1 = await listUserWorkspaces(store.db, alice, { page: 1, perPage: 1 });
    expect(page1.total).toBe(2);
    expect(page1.items.map((i) => i.workspace.id)).toEqual([b.ws.id]);
    expect(page1.items[0]!.member).toMatchObject({ id: b.ownerMember, role: 'owner', name: 'alice' });
    const page2 = await listUserWorkspaces(store.db, alice, { page: 2, perPage: 1 });
    expect(page2.items.map((i) => i.workspace.id)).toEqual([a.ws.id]);

    // Joining another workspace adds it; removal takes it away again.
    const mem = await upsertMember(store.db, {
      id: newId('mem', tick()),
      workspaceId: other.ws.id,
      userId: alice,
      role: 'member',
      joinedAt: t,
    });
    expect((await listUserWorkspaces(store.db, alice, { page: 1, perPage: 10 })).total).toBe(3);
    expect(await removeMemberRow(store.db, mem, tick())).toBe(true);
    expect(await removeMemberRow(store.db, mem, tick())).toBe(false);
    expect((await listUserWorkspaces(store.db, alice, { page: 1, perPage: 10 })).total).toBe(2);
  });

  it('renames, soft-deletes and moves ownership only of live workspaces', async () => {
    const carol = await user('carol');
    const dan = await user('dan');
    const { ws } = await workspace('Carol Co', carol);
    expect(await renameWorkspaceRow(store.db, ws.id, 'Renamed', tick())).toBe(true);
    expect((await findWorkspaceById(store.db, ws.id))?.name).toBe('Renamed');
    // Only from the current owner: a stale transfer changes nothing.
    expect(await setWorkspaceOwner(store.db, ws.id, dan, carol, tick())).toBe(false);
    expect(await setWorkspaceOwner(store.db, ws.id, carol, dan, tick())).toBe(true);
    expect((await findWorkspaceById(store.db, ws.id))?.ownerUserId).toBe(dan);
    const deletedAt = tick();
    expect(await softDeleteWorkspace(store.db, ws.id, deletedAt)).toBe(true);
    expect(await softDeleteWorkspace(store.db, ws.id, tick())).toBe(false);
    expect(await renameWorkspaceRow(store.db, ws.id, 'Again', tick())).toBe(false);
    expect((await findWorkspaceById(store.db, ws.id))?.deletedAt).toBe(deletedAt);
    expect(await findWorkspaceById(store.db, 'ws_unknown')).toBeUndefined();
  });

  it('members: list, find by id/user/email, change role, never remove the owner', async () => {
    const erin = await user('erin', 'Erin@Example.com');
    const fay = await user('fay');
    const { ws, ownerMember } = await workspace('Erin Co', erin);
    const fayMember = await upsertMember(store.db, {
      id: newId('mem', tick()),
      workspaceId: ws.id,
      userId: fay,
      role: 'member',
      joinedAt: t,
    });
    const list = await listActiveMembers(store.db, ws.id, { page: 1, perPage: 10 });
    expect(list.total).toBe(2);
    expect(list.items.map((m) => m.id)).toEqual([fayMember, ownerMember]);
    expect(await findActiveMemberByEmail(store.db, ws.id, 'erin@example.com')).toMatchObject({
      id: ownerMember,
    });
    expect(await findActiveMemberByUser(store.db, ws.id, fay)).toMatchObject({
      id: fayMember,
      role: 'member',
    });

    expect(await setMemberRole(store.db, fayMember, 'admin')).toBe(true);
    expect((await findActiveMember(store.db, ws.id, fayMember))?.role).toBe('admin');
    expect(await removeMemberRow(store.db, ownerMember, tick())).toBe(false);
    expect(await removeMemberRow(store.db, fayMember, tick())).toBe(true);
    expect(await findActiveMember(store.db, ws.id, fayMember)).toBeUndefined();
    expect(await setMemberRole(store.db, fayMember, 'member')).toBe(false);

    // Another workspace's member id finds nothing here.
    const { ws: other, ownerMember: otherOwner } = await workspace('Other', fay);
    expect(await findActiveMember(store.db, ws.id, otherOwner)).toBeUndefined();
    expect(await findActiveMember(store.db, other.id, otherOwner)).toBeDefined();

    // Re-adding revives the same row.
    const revived = await upsertMember(store.db, {
      id: newId('mem', tick()),
      workspaceId: ws.id,
      userId: fay,
      role: 'member',
      joinedAt: t,
    });
    expect(revived).toBe(fayMember);
    expect((await findActiveMember(store.db, ws.id, fayMember))?.role).toBe('member');
  });

  it('invitations: pending list, single use, revoke, replacement', async () => {
    const gus = await user('gus');
    const { ws, ownerMember } = await workspace('Gus Co', gus);
    const base = {
      workspaceId: ws.id,
      role: 'member' as const,
      invitedByMemberId: ownerMember,
    };
    const now = tick();
    const first = await insertInvitation(store.db, {
      ...base,
      id: newId('inv', now),
      email: 'x@example.com',
      tokenHash: 'h1',
      createdAt: now,
      expiresAt: now + 10_000,
    });
    const second = await insertInvitation(store.db, {
      ...base,
      id: newId('inv', now + 1),
      email: 'y@example.com',
      tokenHash: 'h2',
      createdAt: now + 1,
      expiresAt: now + 10_000,
    });
    expect((await listPendingInvitations(store.db, ws.id, now)).map((i) => i.id)).toEqual([
      second.id,
      first.id,
    ]);
    expect(await listPendingInvitations(store.db, ws.id, now + 10_000)).toEqual([]);
    expect((await findInvitationByTokenHash(store.db, 'h1'))?.email).toBe('x@example.com');

    expect(await consumeInvitation(store.db, first.id, now + 5)).toBe(true);
    expect(await consumeInvitation(store.db, first.id, now + 6)).toBe(false);
    expect(await revokeInvitationRow(store.db, ws.id, first.id, now + 7)).toBe(false);
    expect(await revokeInvitationRow(store.db, 'ws_other', second.id, now + 7)).toBe(false);
    expect(await consumeInvitation(store.db, second.id, now + 10_000)).toBe(false);
    await revokePendingInvitationsFor(store.db, ws.id, 'y@example.com', now + 8);
    expect(await revokeInvitationRow(store.db, ws.id, second.id, now + 9)).toBe(false);
    expect((await findInvitationByTokenHash(store.db, 'h2'))?.revokedAt).toBe(now + 8);
  });

  it('projects: live list newest first, update, soft-delete except the default', async () => {
    const hal = await user('hal');
    const { ws } = await workspace('Hal Co', hal);
    const def = await project(ws.id, 'Default', 1);
    const p1 = await project(ws.id, 'One');
    const p2 = await project(ws.id, 'Two');
    const page = await listLiveProjects(store.db, ws.id, { page: 1, perPage: 2 });
    expect(page.total).toBe(3);
    expect(page.items.map((p) => p.id)).toEqual([p2.id, p1.id]);

    expect(await updateProjectRow(store.db, p1.id, { title: 'Uno', retentionDays: 30 }, tick())).toBe(true);
    expect(await findWorkspaceProject(store.db, ws.id, p1.id)).toMatchObject({
      title: 'Uno',
      retentionDays: 30,
    });
    expect(await updateProjectRow(store.db, p1.id, { retentionDays: null }, tick())).toBe(true);
    expect(await findWorkspaceProject(store.db, ws.id, p1.id)).toMatchObject({
      title: 'Uno',
      retentionDays: null,
    });

    expect(await softDeleteProject(store.db, def.id, tick())).toBe(false);
    expect(await softDeleteProject(store.db, p2.id, tick())).toBe(true);
    expect(await softDeleteProject(store.db, p2.id, tick())).toBe(false);
    expect(await updateProjectRow(store.db, p2.id, { title: 'x' }, tick())).toBe(false);
    expect((await findWorkspaceProject(store.db, ws.id, p2.id))?.deletedAt).not.toBeNull();
    expect((await listLiveProjects(store.db, ws.id, { page: 1, perPage: 10 })).total).toBe(2);
    expect(await findWorkspaceProject(store.db, 'ws_other', p1.id)).toBeUndefined();
  });

  it('search ranks exact, prefix, substring; case-insensitive; wildcards literal; deleted rows out', async () => {
    const ivy = await user('Ivy Support', 'ivy@acme.test');
    const { ws, ownerMember } = await workspace('Ivy Co', ivy);
    const zed = await user('Zed', 'support@zed.test');
    await upsertMember(store.db, {
      id: newId('mem', tick()),
      workspaceId: ws.id,
      userId: zed,
      role: 'member',
      joinedAt: t,
    });
    const sub = await project(ws.id, 'Customer SUPPORT');
    const exact = await project(ws.id, 'support');
    const prefix = await project(ws.id, 'Support tier 2');
    const gone = await project(ws.id, 'support (old)');
    await softDeleteProject(store.db, gone.id, tick());
    await project(ws.id, 'Billing');
    await project(ws.id, '100% done');
    await project(ws.id, '100x done');
    await project(ws.id, 'a_b');
    await project(ws.id, 'axb');

    const hits = await searchProjects(store.db, ws.id, 'Support', 20);
    expect(hits.map((h) => [h.id, h.match])).toEqual([
      [exact.id, 'exact'],
      [prefix.id, 'prefix'],
      [sub.id, 'substring'],
    ]);
    expect((await searchProjects(store.db, ws.id, '100%', 20)).map((h) => h.title)).toEqual(['100% done']);
    expect((await searchProjects(store.db, ws.id, 'a_b', 20)).map((h) => h.title)).toEqual(['a_b']);
    expect(await searchProjects(store.db, ws.id, '%', 20)).toHaveLength(1);
    expect(await searchProjects(store.db, ws.id, 'support', 2)).toHaveLength(2);
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');

    const members = await searchMembers(store.db, ws.id, 'SUPPORT', 20);
    // Zed's email starts with the term (prefix); Ivy's name only contains it.
    expect(members.map((m) => [m.userId, m.match])).toEqual([
      [zed, 'prefix'],
      [ivy, 'substring'],
    ]);
    expect(members[1]!.id).toBe(ownerMember);

    const now = tick();
    const dom = {
      workspace_id: ws.id,
      verification_token: 'tok',
      verified_at: null,
      created_at: now,
      updated_at: now,
    };
    await store.db
      .insertInto('domains')
      .values([
        { ...dom, id: newId('dom', now), host: 'app.acme.test', status: 'verified', deleted_at: null },
        { ...dom, id: newId('dom', now + 1), host: 'acme.test', status: 'pending', deleted_at: null },
        { ...dom, id: newId('dom', now + 2), host: 'old.acme.test', status: 'revoked', deleted_at: now },
      ])
      .execute();
    expect((await searchDomains(store.db, ws.id, 'ACME.test', 20)).map((d) => [d.host, d.match])).toEqual([
      ['acme.test', 'exact'],
      ['app.acme.test', 'substring'],
    ]);

    const domainId = (await searchDomains(store.db, ws.id, 'acme.test', 1))[0]!.id;
    const linkBase = {
      workspace_id: ws.id,
      project_id: sub.id,
      domain_id: domainId,
      creator_member_id: ownerMember,
      type: 'file' as const,
      reusable: 0,
      provider_type: null,
      provider_id: null,
      meta: '{}',
      created_at: now,
      updated_at: now,
    };
    const linkIds = [newId('lnk', now), newId('lnk', now + 1), newId('lnk', now + 2), newId('lnk', now + 3)];
    await store.db
      .insertInto('links')
      .values([
        { ...linkBase, id: linkIds[0]!, title: 'Checkout bug', provider_reference: null, deleted_at: null },
        { ...linkBase, id: linkIds[1]!, title: 'Other', provider_reference: 'TICKET-42', deleted_at: null },
        { ...linkBase, id: linkIds[2]!, title: null, provider_reference: 'checkout', deleted_at: null },
        { ...linkBase, id: linkIds[3]!, title: 'checkout', provider_reference: null, deleted_at: now },
      ])
      .execute();
    expect((await searchLinks(store.db, ws.id, 'checkout', 20)).map((l) => [l.id, l.match])).toEqual([
      [linkIds[2], 'exact'],
      [linkIds[0], 'prefix'],
    ]);
    expect((await searchLinks(store.db, ws.id, 'ticket-4', 20)).map((l) => l.id)).toEqual([linkIds[1]]);
    expect((await searchLinks(store.db, ws.id, linkIds[0]!.toUpperCase(), 20)).map((l) => l.match)).toEqual([
      'exact',
    ]);
    // Other workspaces are never searched.
    expect(await searchLinks(store.db, 'ws_other', 'checkout', 20)).toEqual([]);
  });
});
