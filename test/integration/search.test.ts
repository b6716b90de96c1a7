import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { newId } from '../../src/lib/ids.ts';
import { requireMember } from '../../src/services/access.ts';
import { createProject, deleteProject } from '../../src/services/projects.ts';
import { type TestUser, teamWorkspace } from '../helpers/builders.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof teamWorkspace>>;

describe(`workspace search over HTTP [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let team: Team;
  let other: Team;
  const ids: Record<string, string> = {};

  const search = (who: TestUser, query: string, ws = team.workspace.id) =>
    t.request(`/api/v1/public/workspace/${ws}/search?${query}`, { headers: who.headers });
  const hits = async (who: TestUser, query: string) => {
    const res = await search(who, query);
    expect(res.status).toBe(200);
    return (await res.json()).data.results as Record<string, unknown>[];
  };

  // Links and domains are written by their own services; rows go in directly here.
  async function domain(workspaceId: string, host: string, deleted = false) {
    clock.advance(1000);
    const now = clock.now();
    const id = newId('dom', now);
    await t.store.db
      .insertInto('domains')
      .values({
        id,
        workspace_id: workspaceId,
        host,
        status: 'verified',
        verification_token: 'token',
        verified_at: now,
        created_at: now,
        updated_at: now,
        deleted_at: deleted ? now : null,
      })
      .execute();
    return id;
  }

  async function link(
    w: Team,
    domainId: string,
    fields: { title: string | null; ref?: string | null; deleted?: boolean },
  ) {
    clock.advance(1000);
    const now = clock.now();
    const id = newId('lnk', now);
    await t.store.db
      .insertInto('links')
      .values({
        id,
        workspace_id: w.workspace.id,
        project_id: w.defaultProject.id,
        domain_id: domainId,
        creator_member_id: w.memberIds.member!,
        title: fields.title,
        type: 'file',
        reusable: 0,
        provider_type: fields.ref ? 'zendesk' : null,
        provider_id: null,
        provider_reference: fields.ref ?? null,
        meta: '{}',
        created_at: now,
        updated_at: now,
        deleted_at: fields.deleted ? now : null,
      })
      .execute();
    return id;
  }

  beforeAll(async () => {
    t = await createTestApp({ clock });
    team = await teamWorkspace(t.deps);
    other = await teamWorkspace(t.deps);
    const admin = await requireMember(t.deps, team.admin.user.id, team.workspace.id);
    for (const title of [
      'Onboarding flow',
      'Board',
      'Billing board',
      'boarding pass',
      '50% off',
      '50x off',
      'a_b',
      'aXb',
    ]) {
      clock.advance(1000);
      ids[title] = (await createProject(t.deps, admin, { title })).id;
    }
    clock.advance(1000);
    const gone = await createProject(t.deps, admin, { title: 'Board (old)' });
    await deleteProject(t.deps, admin, gone.id);
    ids.goneProject = gone.id;
    const otherAdmin = await requireMember(t.deps, other.admin.user.id, other.workspace.id);
    await createProject(t.deps, otherAdmin, { title: 'Board' });

    ids.appDomain = await domain(team.workspace.id, 'app.example.com');
    ids.exampleDomain = await domain(team.workspace.id, 'example.com');
    ids.exampleDomain2 = await domain(team.workspace.id, 'example.com.au');
    ids.goneDomain = await domain(team.workspace.id, 'old.example.com', true);
    const otherDomain = await domain(other.workspace.id, 'example.com');

    ids.checkout = await link(team, ids.appDomain, { title: 'Checkout' });
    ids.checkoutBug = await link(team, ids.appDomain, { title: 'Checkout bug #12' });
    ids.refLink = await link(team, ids.appDomain, { title: 'Refund', ref: 'ZD-CHECKOUT-7' });
    ids.goneLink = await link(team, ids.appDomain, { title: 'checkout', deleted: true });
    ids.untitled = await link(team, ids.appDomain, { title: null });
    await link(other, otherDomain, { title: 'Checkout' });
  });
  afterAll(async () => t.close());

  it('projects: exact match first, then prefix, then substring, case-insensitive; deleted and other workspaces left out', async () => {
    const results = await hits(team.member, 'q=BOARD&type=projects');
    expect(results.map((r) => [r.title, r.match])).toEqual([
      ['Board', 'exact'],
      ['boarding pass', 'prefix'],
      ['Billing board', 'substring'],
      ['Onboarding flow', 'substring'],
    ]);
    expect(results[0]).toEqual({
      projectId: ids.Board,
      title: 'Board',
      isDefault: false,
      createdAt: expect.any(String),
      match: 'exact',
    });
    expect(results.map((r) => r.projectId)).not.toContain(ids.goneProject);
  });

  it('links match title, provider reference and id; soft-deleted links excluded', async () => {
    const results = await hits(team.admin, 'q=checkout&type=links');
    expect(results.map((r) => [r.linkId, r.match])).toEqual([
      [ids.checkout, 'exact'],
      [ids.checkoutBug, 'prefix'],
      [ids.refLink, 'substring'],
    ]);
    expect(results[2]).toMatchObject({
      linkTitle: 'Refund',
      linkProviderType: 'zendesk',
      linkProviderReference: 'ZD-CHECKOUT-7',
    });
    const byId = await hits(team.admin, `q=${ids.untitled}&type=links`);
    expect(byId).toEqual([
      {
        linkId: ids.untitled,
        linkTitle: null,
        linkProviderType: null,
        linkProviderReference: null,
        createdAt: expect.any(String),
        match: 'exact',
      },
    ]);
  });

  it('members match name or email; removed members are left out', async () => {
    const byName = await hits(team.owner, 'q=member2&type=members');
    expect(byName).toEqual([
      {
        workspaceMemberId: team.memberIds.member2,
        name: 'member2',
        email: team.member2.email,
        workspaceRole: 'member',
        workspaceJoinedAt: expect.any(String),
        match: 'exact',
      },
    ]);
    const byEmail = await hits(
      team.owner,
      `q=${encodeURIComponent(team.admin.email.toUpperCase())}&type=members`,
    );
    expect(byEmail.map((r) => [r.workspaceMemberId, r.match])).toEqual([[team.memberIds.admin, 'exact']]);
    // "member" is the name of one member and a prefix of the other's.
    const both = await hits(team.owner, 'q=member&type=members');
    expect(both.map((r) => [r.workspaceMemberId, r.match])).toEqual([
      [team.memberIds.member, 'exact'],
      [team.memberIds.member2, 'prefix'],
    ]);
    expect((await hits(team.owner, 'q=outsider&type=members')).length).toBe(0);
  });

  it('domains match the host', async () => {
    const results = await hits(team.member, 'q=Example.COM&type=domains');
    expect(results.map((r) => [r.url, r.match])).toEqual([
      ['example.com', 'exact'],
      ['example.com.au', 'prefix'],
      ['app.example.com', 'substring'],
    ]);
    expect(results[0]).toEqual({
      domainId: ids.exampleDomain,
      url: 'example.com',
      status: 'verified',
      createdAt: expect.any(String),
      match: 'exact',
    });
  });

  it('LIKE wildcards in q match literally', async () => {
    expect((await hits(team.member, 'q=50%25&type=projects')).map((r) => r.title)).toEqual(['50% off']);
    expect((await hits(team.member, 'q=a_b&type=projects')).map((r) => r.title)).toEqual(['a_b']);
    expect((await hits(team.member, 'q=%25&type=projects')).map((r) => r.title)).toEqual(['50% off']);
    expect(await hits(team.member, 'q=_&type=projects')).toHaveLength(1);
  });

  it('returns at most 20 results', async () => {
    const admin = await requireMember(t.deps, team.admin.user.id, team.workspace.id);
    for (let i = 0; i < 22; i++) await createProject(t.deps, admin, { title: `Bulk ${i}` });
    const results = await hits(team.member, 'q=bulk&type=projects');
    expect(results).toHaveLength(20);
    expect(results.every((r) => r.match === 'prefix')).toBe(true);
  });

  it('every role may search', async () => {
    for (const role of ['owner', 'admin', 'member'] as const) {
      expect((await hits(team[role], 'q=board&type=projects')).length).toBeGreaterThan(0);
    }
  });

  it('missing, empty or blank q → 400 WORKSPACE_SEARCH_TERM_REQUIRED naming q', async () => {
    for (const query of ['type=links', 'q=&type=links', 'q=%20%20&type=links']) {
      const res = await search(team.member, query);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error).toBe('WORKSPACE_SEARCH_TERM_REQUIRED');
      expect(body.message).toMatch(/^q: /);
    }
  });

  it('q over 100 characters → 400 VALIDATION_FAILED naming q; exactly 100 is fine', async () => {
    const long = await search(team.member, `q=${'a'.repeat(101)}&type=links`);
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({
      error: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^q: /),
    });
    expect((await search(team.member, `q=${'a'.repeat(100)}&type=links`)).status).toBe(200);
  });

  it('missing or unknown type → 400 WORKSPACE_SEARCH_TYPE_INVALID naming type', async () => {
    for (const query of [
      'q=board',
      'q=board&type=users',
      'q=board&type=',
      `q=board&type=${'x'.repeat(200)}`,
    ]) {
      const res = await search(team.member, query);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error).toBe('WORKSPACE_SEARCH_TYPE_INVALID');
      expect(body.message).toMatch(/^type: /);
    }
  });

  it('S39: an outsider gets the same NOT_A_MEMBER for a real and a made-up workspace', async () => {
    const real = await search(team.outsider, 'q=board&type=projects');
    const fake = await search(team.outsider, 'q=board&type=projects', 'ws_00000000000000000000000000');
    expect(real.status).toBe(403);
    expect(fake.status).toBe(403);
    const body = await real.json();
    expect(body.error).toBe('NOT_A_MEMBER');
    expect(await fake.json()).toEqual(body);
  });
});
