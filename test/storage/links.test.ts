import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import type { Db } from '../../src/store/db.ts';
import {
  findDomain,
  findLiveDomainByHost,
  findWorkspaceOwnerUserId,
  insertDomain,
  listWorkspaceDomains,
  markDomainVerified,
  type NewDomain,
  softDeleteDomain,
} from '../../src/store/domains.ts';
import {
  findLink,
  insertLink,
  listWorkspaceLinks,
  type NewLink,
  softDeleteLink,
  updateLinkRow,
} from '../../src/store/links.ts';
import { findDefaultProject } from '../../src/store/projects.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;

const T0 = Date.UTC(2026, 2, 1);

function domainRow(workspaceId: string, host: string, at: number, extra: Partial<NewDomain> = {}): NewDomain {
  return {
    id: newId('dom', at),
    workspaceId,
    host,
    status: 'pending',
    verificationToken: `token-${host}`,
    verifiedAt: null,
    createdAt: at,
    ...extra,
  };
}

describe(`domain and link repositories [${testDialect}]`, () => {
  let t: TestApp;
  let db: Db;
  let team: Team;
  let other: Team;

  function linkRow(at: number, extra: Partial<NewLink>): NewLink {
    return {
      id: newId('lnk', at),
      workspaceId: team.workspace.id,
      projectId: team.defaultProject.id,
      domainId: '',
      creatorMemberId: team.memberIds.owner!,
      title: null,
      reusable: false,
      providerType: null,
      providerId: null,
      providerReference: null,
      meta: {},
      createdAt: at,
      ...extra,
    };
  }

  beforeAll(async () => {
    t = await createTestApp();
    db = t.store.db;
    team = await teamWorkspace(t.deps);
    other = await teamWorkspace(t.deps);
  });
  afterAll(async () => t.close());

  describe('domains', () => {
    it('inserts, finds within the workspace only, and maps every column', async () => {
      const row = domainRow(team.workspace.id, 'map.example.com', T0);
      const inserted = await insertDomain(db, row);
      expect(inserted).toEqual({
        id: row.id,
        workspaceId: team.workspace.id,
        host: 'map.example.com',
        status: 'pending',
        verificationToken: 'token-map.example.com',
        verifiedAt: null,
        createdAt: T0,
        deletedAt: null,
      });
      expect(await findDomain(db, team.workspace.id, row.id)).toEqual(inserted);
      expect(await findDomain(db, other.workspace.id, row.id)).toBeUndefined();
      expect(await findLiveDomainByHost(db, team.workspace.id, 'map.example.com')).toEqual(inserted);
    });

    it('the domains_live_host index refuses a second live row for a host, not a deleted one', async () => {
      const first = await insertDomain(db, domainRow(team.workspace.id, 'uniq.example.com', T0));
      expect(first).toBeDefined();
      expect(
        await insertDomain(db, domainRow(team.workspace.id, 'uniq.example.com', T0 + 1)),
      ).toBeUndefined();
      expect(await insertDomain(db, domainRow(other.workspace.id, 'uniq.example.com', T0 + 2))).toBeDefined();
      expect(await softDeleteDomain(db, first!.id, T0 + 3)).toBe(true);
      expect(await softDeleteDomain(db, first!.id, T0 + 4)).toBe(false);
      expect(await insertDomain(db, domainRow(team.workspace.id, 'uniq.example.com', T0 + 5))).toBeDefined();
      expect((await findDomain(db, team.workspace.id, first!.id))?.deletedAt).toBe(T0 + 3);
    });

    it('marks verified only while live, and lists live domains newest first by status', async () => {
      const ws = other.workspace.id;
      const a = (await insertDomain(db, domainRow(ws, 'a.example.com', T0 + 10)))!;
      const b = (await insertDomain(db, domainRow(ws, 'b.example.com', T0 + 20)))!;
      const c = (await insertDomain(db, domainRow(ws, 'c.example.com', T0 + 30)))!;
      expect(await markDomainVerified(db, b.id, T0 + 40)).toBe(true);
      expect(await softDeleteDomain(db, c.id, T0 + 50)).toBe(true);
      expect(await markDomainVerified(db, c.id, T0 + 60)).toBe(false);
      expect((await findDomain(db, ws, c.id))?.status).toBe('pending');
      const all = await listWorkspaceDomains(db, ws);
      expect(all.map((d) => d.host)).toEqual(['b.example.com', 'a.example.com', 'uniq.example.com']);
      expect(all[0]).toMatchObject({ id: b.id, status: 'verified', verifiedAt: T0 + 40 });
      expect((await listWorkspaceDomains(db, ws, { status: 'verified' })).map((d) => d.id)).toEqual([b.id]);
      expect((await listWorkspaceDomains(db, ws, { status: 'pending' })).map((d) => d.id)).toContain(a.id);
    });

    it('finds the owner of a workspace', async () => {
      expect(await findWorkspaceOwnerUserId(db, team.workspace.id)).toBe(team.owner.user.id);
      expect(await findWorkspaceOwnerUserId(db, newId('ws'))).toBeUndefined();
    });
  });

  describe('links', () => {
    let domainA: string;
    let domainB: string;
    const ids: string[] = [];

    beforeAll(async () => {
      domainA = (await insertDomain(
        db,
        domainRow(team.workspace.id, 'links-a.example.com', T0, { status: 'verified' }),
      ))!.id;
      domainB = (await insertDomain(db, domainRow(team.workspace.id, 'links-b.example.com', T0)))!.id;
      // Twelve links in one millisecond pairs: ordering must fall back to the id.
      for (let i = 0; i < 12; i++) {
        const at = T0 + 1_000 + Math.floor(i / 2);
        const row = linkRow(at, {
          domainId: i % 3 === 0 ? domainB : domainA,
          creatorMemberId: i % 2 ? team.memberIds.member! : team.memberIds.owner!,
          title: `link ${i}`,
          meta: { i },
        });
        await insertLink(db, row);
        ids.push(row.id);
      }
    });

    it('reads a link with its project, creator and domain joined; another workspace sees nothing', async () => {
      const row = linkRow(T0 + 5, {
        domainId: domainA,
        creatorMemberId: team.memberIds.member2!,
        title: 'Joined',
        reusable: true,
        providerType: 'intercom',
        providerId: 'ic-9',
        providerReference: 'conv/9',
        meta: { nested: { list: [1, 'two', null] }, unicode: 'é☃' },
      });
      await insertLink(db, row);
      expect(await findLink(db, team.workspace.id, row.id)).toEqual({
        id: row.id,
        workspaceId: team.workspace.id,
        title: 'Joined',
        type: 'file',
        reusable: true,
        providerType: 'intercom',
        providerId: 'ic-9',
        providerReference: 'conv/9',
        meta: { nested: { list: [1, 'two', null] }, unicode: 'é☃' },
        createdAt: T0 + 5,
        updatedAt: T0 + 5,
        deletedAt: null,
        project: { id: team.defaultProject.id, title: team.defaultProject.title },
        creator: { memberId: team.memberIds.member2, name: 'member2' },
        domain: { id: domainA, host: 'links-a.example.com', status: 'verified' },
      });
      expect(await findLink(db, other.workspace.id, row.id)).toBeUndefined();
      expect(await findLink(db, team.workspace.id, newId('lnk'))).toBeUndefined();
      await softDeleteLink(db, row.id, T0 + 6);
    });

    it('pages newest first (created_at desc, id desc) with an exact total', async () => {
      const newest = ids.slice().reverse();
      const first = await listWorkspaceLinks(db, team.workspace.id, {}, { limit: 5, offset: 0 });
      expect(first.total).toBe(12);
      expect(first.items.map((l) => l.id)).toEqual(newest.slice(0, 5));
      const last = await listWorkspaceLinks(db, team.workspace.id, {}, { limit: 5, offset: 10 });
      expect(last.items.map((l) => l.id)).toEqual(newest.slice(10));
      expect(last.items[1]!.meta).toEqual({ i: 0 });
    });

    it('filters by domain, creator and project, alone and together', async () => {
      const all = { limit: 50, offset: 0 };
      const byB = await listWorkspaceLinks(db, team.workspace.id, { domainId: domainB }, all);
      expect(byB.total).toBe(4);
      expect(byB.items.every((l) => l.domain.id === domainB)).toBe(true);
      const byMember = await listWorkspaceLinks(
        db,
        team.workspace.id,
        { createdBy: team.memberIds.member },
        all,
      );
      expect(byMember.total).toBe(6);
      const both = await listWorkspaceLinks(
        db,
        team.workspace.id,
        { domainId: domainB, createdBy: team.memberIds.member },
        all,
      );
      expect(both.items.map((l) => l.title).sort()).toEqual(['link 3', 'link 9']);
      const byProject = await listWorkspaceLinks(
        db,
        team.workspace.id,
        { projectId: team.defaultProject.id },
        all,
      );
      expect(byProject.total).toBe(12);
      const foreign = await listWorkspaceLinks(db, other.workspace.id, {}, all);
      expect(foreign).toEqual({ items: [], total: 0 });
    });

    it('updates only given columns of a live link; deletes once; a deleted link takes no update', async () => {
      const id = ids[4]!;
      expect(
        await updateLinkRow(db, id, { title: 'changed', reusable: true, meta: { x: 1 } }, T0 + 9_000),
      ).toBe(true);
      expect(await findLink(db, team.workspace.id, id)).toMatchObject({
        title: 'changed',
        reusable: true,
        meta: { x: 1 },
        providerType: null,
        updatedAt: T0 + 9_000,
        createdAt: T0 + 1_002,
      });
      expect(await updateLinkRow(db, id, { providerType: 'slack', title: null }, T0 + 9_001)).toBe(true);
      expect(await findLink(db, team.workspace.id, id)).toMatchObject({
        title: null,
        providerType: 'slack',
        reusable: true,
      });

      expect(await softDeleteLink(db, id, T0 + 9_500)).toBe(true);
      expect(await softDeleteLink(db, id, T0 + 9_600)).toBe(false);
      expect(await updateLinkRow(db, id, { title: 'zombie' }, T0 + 9_700)).toBe(false);
      expect(await findLink(db, team.workspace.id, id)).toMatchObject({ title: null, deletedAt: T0 + 9_500 });
      const listed = await listWorkspaceLinks(db, team.workspace.id, {}, { limit: 50, offset: 0 });
      expect(listed.total).toBe(11);
      expect(listed.items.map((l) => l.id)).not.toContain(id);
    });

    it('finds the live default project of a workspace only', async () => {
      expect(await findDefaultProject(db, team.workspace.id)).toMatchObject({
        id: team.defaultProject.id,
        isDefault: true,
      });
      await db
        .updateTable('projects')
        .set({ deleted_at: T0 })
        .where('id', '=', other.defaultProject.id)
        .execute();
      expect(await findDefaultProject(db, other.workspace.id)).toBeUndefined();
    });
  });
});
