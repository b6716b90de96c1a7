import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Domain } from '../../src/domain/types.ts';
import { fakeClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import type { Access } from '../../src/services/access.ts';
import { addDomain, deleteDomain } from '../../src/services/domains.ts';
import { insertProject } from '../../src/store/workspaces.ts';
import { json, type TestUser, teamWorkspace } from '../helpers/builders.ts';
import { accessOf, link, verifiedDomain } from '../helpers/builders-links.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;

describe(`recording links over HTTP [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let team: Team;
  let other: Team;
  let ownerAccess: Access;
  let memberAccess: Access;
  let domain: Domain;
  let base: string;

  const post = (who: TestUser, body: unknown, workspaceId = team.workspace.id) =>
    t.request(`/api/v1/public/workspace/${workspaceId}/links`, json('POST', who, body));
  const get = (who: TestUser, path: string) => t.request(`${base}${path}`, { headers: who.headers });
  const countLinks = async () => (await t.store.db.selectFrom('links').select('id').execute()).length;

  beforeAll(async () => {
    t = await createTestApp({ clock, env: { API_RATE_LIMIT_PER_MINUTE: '1000' } });
    team = await teamWorkspace(t.deps);
    other = await teamWorkspace(t.deps);
    ownerAccess = await accessOf(t.deps, team.owner, team.workspace.id);
    memberAccess = await accessOf(t.deps, team.member, team.workspace.id);
    domain = await verifiedDomain(t.deps, ownerAccess);
    base = `/api/v1/public/workspace/${team.workspace.id}/links`;
  });
  afterAll(async () => t.close());
  beforeEach(() => clock.advance(1_000));

  describe('POST /links', () => {
    it('creates a link for a member with the full wire shape and 201', async () => {
      const res = await post(team.member, {
        domainId: domain.id,
        linkReference: 'Ticket #4711',
        meta: { ticket: 4711, tags: ['billing'], nested: { ok: true } },
      });
      expect(res.status).toBe(201);
      const { message, data } = await res.json();
      expect(message).toBeTypeOf('string');
      expect(data.linkId).toMatch(/^lnk_[0-9a-z]{26}$/);
      expect(data).toEqual({
        linkId: data.linkId,
        linkTitle: 'Ticket #4711',
        linkType: 'file',
        linkReusable: false,
        linkProviderType: null,
        linkProviderId: null,
        linkProviderReference: null,
        linkURL: `http://localhost:3000/r/${data.linkId}`,
        meta: { ticket: 4711, tags: ['billing'], nested: { ok: true } },
        createdAt: new Date(clock.now()).toISOString(),
        updatedAt: new Date(clock.now()).toISOString(),
        project: { projectId: team.defaultProject.id, title: team.defaultProject.title },
        creator: { workspaceMemberId: team.memberIds.member, name: 'member' },
        domain: { domainId: domain.id, url: domain.host, status: 'verified' },
      });
      const row = await t.store.db
        .selectFrom('links')
        .selectAll()
        .where('id', '=', data.linkId)
        .executeTakeFirst();
      expect(row).toMatchObject({
        workspace_id: team.workspace.id,
        creator_member_id: team.memberIds.member,
      });
    });

    it('lets the owner and the admin create too, into a chosen project, reusable', async () => {
      const now = clock.now();
      const project = await insertProject(t.store.db, {
        id: newId('prj', now),
        workspaceId: team.workspace.id,
        title: 'Billing',
        isDefault: false,
        retentionDays: null,
        createdAt: now,
        deletedAt: null,
      });
      for (const [who, label] of [
        [team.owner, 'owner'],
        [team.admin, 'admin'],
      ] as const) {
        const res = await post(who, { domainId: domain.id, projectId: project.id, linkReusable: true });
        expect(res.status).toBe(201);
        const { data } = await res.json();
        expect(data.project).toEqual({ projectId: project.id, title: 'Billing' });
        expect(data.linkReusable).toBe(true);
        expect(data.linkTitle).toBeNull();
        expect(data.meta).toEqual({});
        expect(data.creator.workspaceMemberId).toBe(team.memberIds[label]);
      }
    });

    it('refuses bad input with 400 naming the field and creates nothing (S38)', async () => {
      const before = await countLinks();
      const cases: [unknown, string][] = [
        [{}, 'domainId'],
        [{ domainId: '' }, 'domainId'],
        [{ domainId: 'd'.repeat(65) }, 'domainId'],
        [{ domainId: domain.id, linkReference: 'x'.repeat(201) }, 'linkReference'],
        [{ domainId: domain.id, linkReusable: 'yes' }, 'linkReusable'],
        [{ domainId: domain.id, meta: [1, 2] }, 'meta'],
        [{ domainId: domain.id, meta: 'text' }, 'meta'],
        [{ domainId: domain.id, meta: { big: 'x'.repeat(10 * 1024) } }, 'meta'],
        [{ domainId: domain.id, linkTitle: 'not a create field' }, 'linkTitle'],
      ];
      for (const [body, field] of cases) {
        const res = await post(team.member, body);
        expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        const error = await res.json();
        expect(error.error).toBe('VALIDATION_FAILED');
        expect(error.message).toContain(field);
      }
      const notJson = await t.request(base, {
        method: 'POST',
        headers: { ...team.member.headers, 'content-type': 'application/json' },
        body: '{',
      });
      expect(notJson.status).toBe(400);
      expect(await countLinks()).toBe(before);
    });

    it('accepts meta just under 10 KB', async () => {
      const meta = { note: 'y'.repeat(10 * 1024 - 20) };
      expect(Buffer.byteLength(JSON.stringify(meta))).toBeLessThanOrEqual(10 * 1024);
      const res = await post(team.member, { domainId: domain.id, meta });
      expect(res.status).toBe(201);
      expect((await res.json()).data.meta).toEqual(meta);
    });

    it('needs a live, verified domain of this workspace', async () => {
      const before = await countLinks();
      const pending = await addDomain(t.deps, ownerAccess, { url: 'pending.example.com' });
      const gone = await verifiedDomain(t.deps, ownerAccess);
      await deleteDomain(t.deps, ownerAccess, gone.id);
      const foreign = await verifiedDomain(t.deps, await accessOf(t.deps, other.owner, other.workspace.id));

      const unknown = await post(team.member, { domainId: newId('dom') });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error).toBe('DOMAIN_NOT_FOUND');
      const otherWorkspace = await post(team.member, { domainId: foreign.id });
      expect(otherWorkspace.status).toBe(404);
      expect((await otherWorkspace.json()).error).toBe('DOMAIN_NOT_FOUND');
      const notVerified = await post(team.member, { domainId: pending.id });
      expect(notVerified.status).toBe(400);
      const body = await notVerified.json();
      expect(body.error).toBe('DOMAIN_NOT_VERIFIED');
      expect(body.message).toContain('domainId');
      const deleted = await post(team.member, { domainId: gone.id });
      expect(deleted.status).toBe(410);
      expect((await deleted.json()).error).toBe('DOMAIN_GONE');
      expect(await countLinks()).toBe(before);
    });

    it('checks the project: unknown or foreign → PROJECT_NOT_FOUND, deleted → LINK_PROJECT_DELETED', async () => {
      const now = clock.now();
      const deletedProject = await insertProject(t.store.db, {
        id: newId('prj', now),
        workspaceId: team.workspace.id,
        title: 'Old',
        isDefault: false,
        retentionDays: null,
        createdAt: now,
        deletedAt: now,
      });
      const unknown = await post(team.member, { domainId: domain.id, projectId: newId('prj') });
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error).toBe('PROJECT_NOT_FOUND');
      const foreign = await post(team.member, { domainId: domain.id, projectId: other.defaultProject.id });
      expect(foreign.status).toBe(404);
      expect((await foreign.json()).error).toBe('PROJECT_NOT_FOUND');
      const deleted = await post(team.member, { domainId: domain.id, projectId: deletedProject.id });
      expect(deleted.status).toBe(410);
      expect((await deleted.json()).error).toBe('LINK_PROJECT_DELETED');
    });

    it('answers LINK_DEFAULT_PROJECT_NOT_FOUND when the workspace has no live default project', async () => {
      const lonely = await teamWorkspace(t.deps);
      const access = await accessOf(t.deps, lonely.owner, lonely.workspace.id);
      const d = await verifiedDomain(t.deps, access);
      await t.store.db
        .updateTable('projects')
        .set({ deleted_at: clock.now() })
        .where('id', '=', lonely.defaultProject.id)
        .execute();
      const res = await post(lonely.member, { domainId: d.id }, lonely.workspace.id);
      expect(res.status).toBe(404);
      expect((await res.json()).error).toBe('LINK_DEFAULT_PROJECT_NOT_FOUND');
    });
  });

  describe('non-members (S39)', () => {
    it('get NOT_A_MEMBER on every route, whether or not the workspace or link exists', async () => {
      const existing = await link(t.deps, ownerAccess, { domainId: domain.id });
      const workspaces = [team.workspace.id, newId('ws')];
      const bodies = new Set<string>();
      for (const ws of workspaces) {
        const prefix = `/api/v1/public/workspace/${ws}/links`;
        for (const linkId of [existing.id, newId('lnk')]) {
          const responses = [
            await t.request(prefix, { headers: team.outsider.headers }),
            await t.request(prefix, json('POST', team.outsider, { domainId: domain.id })),
            await t.request(`${prefix}/${linkId}`, { headers: team.outsider.headers }),
            await t.request(`${prefix}/${linkId}`, json('PUT', team.outsider, { linkTitle: 'x' })),
            await t.request(`${prefix}/${linkId}`, json('DELETE', team.outsider)),
          ];
          for (const res of responses) {
            expect(res.status).toBe(403);
            bodies.add(await res.text());
          }
        }
      }
      expect([...bodies]).toHaveLength(1);
      expect(JSON.parse([...bodies][0]!).error).toBe('NOT_A_MEMBER');
      expect((await t.request(`${base}/${existing.id}`, { headers: team.member.headers })).status).toBe(200);
    });

    it('a link of another workspace is LINK_NOT_FOUND, on every route (S39)', async () => {
      const otherAccess = await accessOf(t.deps, other.owner, other.workspace.id);
      const foreign = await link(t.deps, otherAccess);
      for (const init of [
        { headers: team.owner.headers },
        json('PUT', team.owner, { linkTitle: 'hijack' }),
        json('DELETE', team.owner),
      ]) {
        const res = await t.request(`${base}/${foreign.id}`, init);
        expect(res.status).toBe(404);
        expect((await res.json()).error).toBe('LINK_NOT_FOUND');
      }
      const row = await t.store.db
        .selectFrom('links')
        .selectAll()
        .where('id', '=', foreign.id)
        .executeTakeFirst();
      expect(row).toMatchObject({ title: 'Help with checkout', deleted_at: null });
    });
  });

  describe('GET /links', () => {
    let fresh: Team;
    let d1: Domain;
    let d2: Domain;
    const ids: string[] = [];

    beforeAll(async () => {
      fresh = await teamWorkspace(t.deps);
      const owner = await accessOf(t.deps, fresh.owner, fresh.workspace.id);
      const member = await accessOf(t.deps, fresh.member, fresh.workspace.id);
      d1 = await verifiedDomain(t.deps, owner);
      d2 = await verifiedDomain(t.deps, owner);
      for (let i = 0; i < 23; i++) {
        clock.advance(10);
        const made = await link(t.deps, i % 2 ? member : owner, {
          domainId: i < 5 ? d2.id : d1.id,
          title: `link ${i}`,
        });
        ids.push(made.id);
      }
    });

    const list = (who: TestUser, query = '') =>
      t.request(`/api/v1/public/workspace/${fresh.workspace.id}/links${query}`, { headers: who.headers });

    it('pages newest first, 10 by default, 20 at most', async () => {
      const res = await list(fresh.member);
      expect(res.status).toBe(200);
      const { data } = await res.json();
      expect(data.links.map((l: { linkId: string }) => l.linkId)).toEqual(ids.slice().reverse().slice(0, 10));
      expect(data.pagination).toEqual({ page: 1, perPage: 10, total: 23, totalPages: 3, hasMore: true });

      const last = await (await list(fresh.member, '?page=2&per_page=20')).json();
      expect(last.data.links.map((l: { linkId: string }) => l.linkId)).toEqual(ids.slice(0, 3).reverse());
      expect(last.data.pagination).toEqual({
        page: 2,
        perPage: 20,
        total: 23,
        totalPages: 2,
        hasMore: false,
      });

      for (const query of ['?per_page=21', '?per_page=0', '?page=0', '?page=abc']) {
        const bad = await list(fresh.member, query);
        expect(bad.status, query).toBe(400);
        expect((await bad.json()).error).toBe('VALIDATION_FAILED');
      }
      const tooLong = await list(fresh.member, `?project_id=${'p'.repeat(65)}`);
      expect(tooLong.status).toBe(400);
      expect((await tooLong.json()).message).toContain('project_id');
    });

    it('filters by project_id, created_by and domain_id', async () => {
      const byDomain = await (await list(fresh.admin, `?domain_id=${d2.id}&per_page=20`)).json();
      expect(byDomain.data.pagination.total).toBe(5);
      expect(
        byDomain.data.links.every((l: { domain: { domainId: string } }) => l.domain.domainId === d2.id),
      ).toBe(true);

      const byCreator = await (
        await list(fresh.owner, `?created_by=${fresh.memberIds.member}&per_page=20`)
      ).json();
      expect(byCreator.data.pagination.total).toBe(11);
      expect(
        byCreator.data.links.every(
          (l: { creator: { workspaceMemberId: string } }) =>
            l.creator.workspaceMemberId === fresh.memberIds.member,
        ),
      ).toBe(true);

      const byProject = await (await list(fresh.member, `?project_id=${fresh.defaultProject.id}`)).json();
      expect(byProject.data.pagination.total).toBe(23);
      const none = await (await list(fresh.member, `?project_id=${team.defaultProject.id}`)).json();
      expect(none.data).toEqual({
        links: [],
        pagination: { page: 1, perPage: 10, total: 0, totalPages: 0, hasMore: false },
      });
      const combined = await (
        await list(fresh.member, `?domain_id=${d2.id}&created_by=${fresh.memberIds.owner}`)
      ).json();
      expect(combined.data.pagination.total).toBe(3);
    });

    it('leaves deleted links out', async () => {
      const res = await t.request(
        `/api/v1/public/workspace/${fresh.workspace.id}/links/${ids[22]}`,
        json('DELETE', fresh.owner),
      );
      expect(res.status).toBe(200);
      const { data } = await (await list(fresh.member)).json();
      expect(data.pagination.total).toBe(22);
      expect(data.links[0].linkId).toBe(ids[21]);
    });
  });

  describe('GET /links/{linkId}', () => {
    it('reads a link for every role; unknown → LINK_NOT_FOUND; deleted → LINK_GONE', async () => {
      const made = await link(t.deps, memberAccess, { domainId: domain.id, meta: { a: 1 } });
      for (const who of [team.owner, team.admin, team.member, team.member2]) {
        const res = await get(who, `/${made.id}`);
        expect(res.status).toBe(200);
        const { data } = await res.json();
        expect(data).toMatchObject({ linkId: made.id, meta: { a: 1 }, linkTitle: 'Help with checkout' });
      }
      const unknown = await get(team.member, `/${newId('lnk')}`);
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error).toBe('LINK_NOT_FOUND');
      const garbage = await get(team.member, `/${'x'.repeat(65)}`);
      expect(garbage.status).toBe(400);

      await t.request(`${base}/${made.id}`, json('DELETE', team.member));
      const gone = await get(team.member, `/${made.id}`);
      expect(gone.status).toBe(410);
      expect((await gone.json()).error).toBe('LINK_GONE');
    });
  });

  describe('PUT /links/{linkId}', () => {
    it("lets any member update any of the fields, even another member's link", async () => {
      const made = await link(t.deps, ownerAccess, { domainId: domain.id });
      clock.advance(5_000);
      const res = await t.request(
        `${base}/${made.id}`,
        json('PUT', team.member2, {
          linkTitle: 'Renamed',
          linkReusable: true,
          linkProviderType: 'zendesk',
          linkProviderId: 'zd-1',
          linkProviderRef: 'https://acme.zendesk.com/tickets/1',
          meta: { replaced: true },
        }),
      );
      expect(res.status).toBe(200);
      const { data } = await res.json();
      expect(data).toMatchObject({
        linkId: made.id,
        linkTitle: 'Renamed',
        linkReusable: true,
        linkProviderType: 'zendesk',
        linkProviderId: 'zd-1',
        linkProviderReference: 'https://acme.zendesk.com/tickets/1',
        meta: { replaced: true },
        createdAt: new Date(made.createdAt).toISOString(),
        updatedAt: new Date(clock.now()).toISOString(),
        creator: { workspaceMemberId: team.memberIds.owner, name: 'owner' },
      });

      // A partial update leaves the other fields alone; null clears a field.
      const partial = await t.request(
        `${base}/${made.id}`,
        json('PUT', team.admin, { linkProviderType: null }),
      );
      expect(partial.status).toBe(200);
      const after = (await partial.json()).data;
      expect(after).toMatchObject({ linkTitle: 'Renamed', linkProviderType: null, linkProviderId: 'zd-1' });
      expect((await (await get(team.owner, `/${made.id}`)).json()).data).toEqual(after);
    });

    it('refuses an empty or bad body with 400 naming the field and changes nothing', async () => {
      const made = await link(t.deps, memberAccess, { domainId: domain.id, meta: { keep: 1 } });
      const cases: [unknown, string][] = [
        [{}, 'body'],
        [{ linkTitle: 'x'.repeat(201) }, 'linkTitle'],
        [{ linkProviderType: 'jira' }, 'linkProviderType'],
        [{ linkProviderId: 'x'.repeat(201) }, 'linkProviderId'],
        [{ linkProviderRef: 'x'.repeat(501) }, 'linkProviderRef'],
        [{ linkReusable: 1 }, 'linkReusable'],
        [{ meta: null }, 'meta'],
        [{ meta: { big: 'x'.repeat(11 * 1024) } }, 'meta'],
        [{ linkReference: 'create-only' }, 'linkReference'],
      ];
      for (const [body, field] of cases) {
        const res = await t.request(`${base}/${made.id}`, json('PUT', team.member, body));
        expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
        const error = await res.json();
        expect(error.error).toBe('VALIDATION_FAILED');
        expect(error.message).toContain(field);
      }
      const data = (await (await get(team.member, `/${made.id}`)).json()).data;
      expect(data).toMatchObject({ linkTitle: 'Help with checkout', meta: { keep: 1 }, linkReusable: false });
      expect(data.updatedAt).toBe(data.createdAt);
    });

    it("takes the answer's name linkProviderReference, and linkProviderRef as its alias (not both)", async () => {
      const made = await link(t.deps, memberAccess, { domainId: domain.id });
      const put = (body: unknown) => t.request(`${base}/${made.id}`, json('PUT', team.member, body));
      const named = await put({ linkProviderReference: 'https://acme.zendesk.com/tickets/2' });
      expect(named.status).toBe(200);
      expect((await named.json()).data.linkProviderReference).toBe('https://acme.zendesk.com/tickets/2');
      const alias = await put({ linkProviderRef: 'https://acme.zendesk.com/tickets/3' });
      expect((await alias.json()).data.linkProviderReference).toBe('https://acme.zendesk.com/tickets/3');
      const cleared = await put({ linkProviderReference: null });
      expect((await cleared.json()).data.linkProviderReference).toBeNull();
      const long = await put({ linkProviderReference: 'x'.repeat(501) });
      expect(long.status).toBe(400);
      expect((await long.json()).message).toContain('linkProviderReference');
      const both = await put({ linkProviderReference: 'a', linkProviderRef: 'b' });
      expect(both.status).toBe(400);
      expect((await both.json()).message).toContain('linkProviderRef');
      const doc = await (await t.request('/api/v1/openapi.json')).json();
      const update = doc.components.schemas.UpdateLink.properties;
      expect(update.linkProviderReference.maxLength).toBe(500);
      expect(update.linkProviderRef).toMatchObject({ deprecated: true, maxLength: 500 });
    });

    it('answers LINK_GONE for a deleted link and LINK_NOT_FOUND for an unknown one', async () => {
      const made = await link(t.deps, memberAccess, { domainId: domain.id });
      await t.request(`${base}/${made.id}`, json('DELETE', team.admin));
      const gone = await t.request(`${base}/${made.id}`, json('PUT', team.member, { linkTitle: 'late' }));
      expect(gone.status).toBe(410);
      expect((await gone.json()).error).toBe('LINK_GONE');
      const unknown = await t.request(
        `${base}/${newId('lnk')}`,
        json('PUT', team.member, { linkTitle: 'x' }),
      );
      expect(unknown.status).toBe(404);
      expect((await unknown.json()).error).toBe('LINK_NOT_FOUND');
    });
  });

  describe('DELETE /links/{linkId}', () => {
    it("refuses a member deleting someone else's link with LINK_DELETE_FORBIDDEN naming the roles", async () => {
      const made = await link(t.deps, ownerAccess, { domainId: domain.id });
      const res = await t.request(`${base}/${made.id}`, json('DELETE', team.member));
      expect(res.status).toBe(403);
      const body = await res.json();
      expect(body.error).toBe('LINK_DELETE_FORBIDDEN');
      expect(body.message).toMatch(/admin or owner/);
      expect(body.message).toMatch(/creator/);
      expect((await get(team.member, `/${made.id}`)).status).toBe(200);
    });

    it('lets the creator, an admin and the owner delete; a second delete is LINK_GONE', async () => {
      const mine = await link(t.deps, memberAccess, { domainId: domain.id });
      const forAdmin = await link(t.deps, memberAccess, { domainId: domain.id });
      const forOwner = await link(t.deps, await accessOf(t.deps, team.admin, team.workspace.id), {
        domainId: domain.id,
      });
      for (const [who, id] of [
        [team.member, mine.id],
        [team.admin, forAdmin.id],
        [team.owner, forOwner.id],
      ] as const) {
        const res = await t.request(`${base}/${id}`, json('DELETE', who));
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ data: { linkId: id } });
        const again = await t.request(`${base}/${id}`, json('DELETE', who));
        expect(again.status).toBe(410);
        expect((await again.json()).error).toBe('LINK_GONE');
      }
      const row = await t.store.db
        .selectFrom('links')
        .selectAll()
        .where('id', '=', mine.id)
        .executeTakeFirst();
      expect(row?.deleted_at).toBe(clock.now());
      const unknown = await t.request(`${base}/${newId('lnk')}`, json('DELETE', team.owner));
      expect(unknown.status).toBe(404);
    });

    it('reads the role at request time: a demoted admin loses the right at once (S40)', async () => {
      const demoted = await teamWorkspace(t.deps);
      const ownerOfDemoted = await accessOf(t.deps, demoted.owner, demoted.workspace.id);
      const made = await link(t.deps, ownerOfDemoted);
      const path = `/api/v1/public/workspace/${demoted.workspace.id}/links/${made.id}`;
      await t.store.db
        .updateTable('members')
        .set({ role: 'member' })
        .where('id', '=', demoted.memberIds.admin!)
        .execute();
      const refused = await t.request(path, json('DELETE', demoted.admin));
      expect(refused.status).toBe(403);
      expect((await refused.json()).error).toBe('LINK_DELETE_FORBIDDEN');

      // Removed from the workspace: not a member any more, whatever key they hold.
      await t.store.db
        .updateTable('members')
        .set({ removed_at: clock.now() })
        .where('id', '=', demoted.memberIds.member!)
        .execute();
      const removed = await t.request(path, { headers: demoted.member.headers });
      expect(removed.status).toBe(403);
      expect((await removed.json()).error).toBe('NOT_A_MEMBER');
      expect((await t.request(path, { headers: demoted.owner.headers })).status).toBe(200);
    });
  });

  it('publishes the link routes in the OpenAPI document', async () => {
    const doc = await (await t.request('/api/v1/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/public/workspace/{workspaceId}/links',
        '/public/workspace/{workspaceId}/links/{linkId}',
      ]),
    );
    expect(Object.keys(doc.paths['/public/workspace/{workspaceId}/links/{linkId}'])).toEqual(
      expect.arrayContaining(['get', 'put', 'delete']),
    );
    expect(doc.components.schemas.Link.properties).toHaveProperty('linkURL');
  });
});
