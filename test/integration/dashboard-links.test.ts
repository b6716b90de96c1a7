import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireMember } from '../../src/services/access.ts';
import { getLink, listLinks } from '../../src/services/links.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { insertDomainRow, recordingsWorkspace } from '../helpers/builders-recordings.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// The Links pages (PRODUCT.md §6): list with copyable URLs, create, edit, delete with the
// creator rule of PRODUCT.md §2, offered in the page and enforced by the server.

const PASSWORD = 'correct horse battery';
let ipCounter = 0;

async function signIn(t: TestApp, email: string): Promise<PageBrowser> {
  ipCounter += 1;
  const browser = new PageBrowser(t.app, `198.51.100.${ipCounter}`);
  const csrf = await browser.csrfFrom('/signin');
  const res = await browser.post('/signin', { csrf, email, password: PASSWORD, return_to: '/' });
  expect(res.status).toBe(303);
  return browser;
}

/** The table row of a link in a list page. */
function rowOf(html: string, linkId: string): string {
  const start = html.indexOf(`<tr data-link-id="${linkId}">`);
  if (start === -1) return '';
  return html.slice(start, html.indexOf('</tr>', start));
}

describe('dashboard links', () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof recordingsWorkspace>>;
  let ws: string;

  beforeAll(async () => {
    t = await createTestApp();
    team = await recordingsWorkspace(t.deps);
    ws = team.workspace.id;
  });
  afterAll(() => t.close());

  const access = (userId: string) => requireMember(t.deps, userId, ws);

  it('lists links with title, domain, project, creator, reuse and a copyable URL', async () => {
    const member = await signIn(t, team.member.email);
    const res = await member.get(`/w/${ws}/links`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const row = rowOf(html, team.links.member2);
    expect(row).toContain('member2&#39;s link');
    expect(row).toContain('app.example.com');
    expect(row).toContain('Mobile');
    expect(row).toContain('member2');
    const url = `http://localhost:3000/r/${team.links.member2}`;
    expect(row).toContain(`readonly="" value="${url}"`);
    expect(row).toContain(`data-copy="${url}" hidden=""`);
    expect(row).toContain(`href="/w/${ws}/links/${team.links.member2}/edit"`);
    expect(html).toContain('src="/assets/dashboard.js"');
  });

  it('creates a link from the form, with a verified domain, project, reuse and metadata', async () => {
    const member = await signIn(t, team.member.email);
    const html = await (await member.get(`/w/${ws}/links`)).text();
    expect(html).toMatch(new RegExp(`<option value="${team.domainId}"[^>]*>app.example.com</option>`));
    expect(html).toMatch(
      new RegExp(`<option value="${team.defaultProject.id}" selected="">Default</option>`),
    );
    const csrf = hiddenValue(html, 'csrf');
    const res = await member.post(`/w/${ws}/links`, {
      csrf,
      domain: team.domainId,
      project: team.otherProjectId,
      title: 'Refund flow broken',
      reusable: 'on',
      meta: '{"ticket": "4711"}',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/w/${ws}/links?flash=link-created`);
    const list = await listLinks(t.deps, await access(team.member.user.id), { page: 1, perPage: 10 });
    const created = list.items.find((l) => l.title === 'Refund flow broken');
    expect(created).toBeDefined();
    expect(created!.reusable).toBe(true);
    expect(created!.project.id).toBe(team.otherProjectId);
    expect(created!.meta).toEqual({ ticket: '4711' });
    expect(created!.creator.memberId).toBe(team.memberIds.member);
    const after = await (await member.get(res.headers.get('location')!)).text();
    expect(after).toContain('Link created.');
    expect(rowOf(after, created!.id)).toContain('Refund flow broken');
  });

  it('refuses bad metadata and unverified domains with the form again, creating nothing', async () => {
    const member = await signIn(t, team.member.email);
    const csrf = await member.csrfFrom(`/w/${ws}/links`);
    const before = (await listLinks(t.deps, await access(team.member.user.id), { page: 1, perPage: 1 }))
      .total;

    const notJson = await member.post(`/w/${ws}/links`, {
      csrf,
      domain: team.domainId,
      title: 'X',
      meta: '{oops',
    });
    expect(notJson.status).toBe(400);
    const notJsonHtml = await notJson.text();
    expect(notJsonHtml).toContain('Metadata must be valid JSON');
    expect(notJsonHtml).toContain('{oops</textarea>'); // what was typed is kept
    const array = await member.post(`/w/${ws}/links`, { csrf, domain: team.domainId, meta: '[1]' });
    expect(await array.text()).toContain('must be a JSON object');
    const big = await member.post(`/w/${ws}/links`, {
      csrf,
      domain: team.domainId,
      meta: JSON.stringify({ note: 'x'.repeat(11 * 1024) }),
    });
    expect(big.status).toBe(400);
    expect(await big.text()).toContain('at most 10 KB');

    const pending = await insertDomainRow(t.deps, ws, { status: 'pending', host: 'pending.example.com' });
    const unverified = await member.post(`/w/${ws}/links`, { csrf, domain: pending, title: 'Y' });
    expect(unverified.status).toBe(400);
    expect(await unverified.text()).toContain('only a verified domain can carry new links');

    const forged = await member.post(`/w/${ws}/links`, { domain: team.domainId, title: 'Forged' });
    expect(forged.status).toBe(403);
    expect((await listLinks(t.deps, await access(team.member.user.id), { page: 1, perPage: 1 })).total).toBe(
      before,
    );
  });

  it('tells a workspace without a verified domain how to get one', async () => {
    const { workspace } = await createWorkspace(t.deps, {
      name: 'No domains',
      ownerUserId: team.owner.user.id,
    });
    const owner = await signIn(t, team.owner.email);
    const html = await (await owner.get(`/w/${workspace.id}/links`)).text();
    expect(html).toContain('No links yet');
    expect(html).toContain('needs a verified domain');
    expect(html).toContain(`href="/w/${workspace.id}/settings"`);
    expect(html).not.toContain(`action="/w/${workspace.id}/links"`);
  });

  it('edits a link: title, reuse and metadata', async () => {
    const member = await signIn(t, team.member.email);
    const edit = await member.get(`/w/${ws}/links/${team.links.member2}/edit`);
    expect(edit.status).toBe(200);
    const html = await edit.text();
    expect(html).toContain('value="member2&#39;s link"');
    const csrf = hiddenValue(html, 'csrf');
    const res = await member.post(`/w/${ws}/links/${team.links.member2}`, {
      csrf,
      title: 'Renamed by a teammate',
      reusable: 'on',
      meta: '{"plan": "pro"}',
    });
    expect(res.status).toBe(303);
    const link = await getLink(t.deps, await access(team.member.user.id), team.links.member2);
    expect(link.title).toBe('Renamed by a teammate');
    expect(link.reusable).toBe(true);
    expect(link.meta).toEqual({ plan: 'pro' });

    const bad = await member.post(`/w/${ws}/links/${team.links.member2}`, { csrf, title: 'x'.repeat(201) });
    expect(bad.status).toBe(400);
    expect((await getLink(t.deps, await access(team.member.user.id), team.links.member2)).title).toBe(
      'Renamed by a teammate',
    );
  });

  it("does not let a member delete another member's link: not offered, and a forged POST is refused", async () => {
    const member = await signIn(t, team.member.email);
    const html = await (await member.get(`/w/${ws}/links`)).text();
    expect(rowOf(html, team.links.admin)).not.toContain('/delete');
    expect(rowOf(html, team.links.member2)).not.toContain('/delete');
    expect(rowOf(html, team.links.member)).toContain(`href="/w/${ws}/links/${team.links.member}/delete"`);
    const csrf = hiddenValue(html, 'csrf');

    const forged = await member.post(`/w/${ws}/links/${team.links.admin}/delete`, { csrf });
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain('Link deleted');
    const admins = await getLink(t.deps, await access(team.admin.user.id), team.links.admin);
    expect(admins.deletedAt).toBeNull();
    expect((await member.get(`/w/${ws}/links/${team.links.admin}/delete`)).status).toBe(303);

    // Their own link: confirmation page, then gone.
    const confirm = await member.get(`/w/${ws}/links/${team.links.member}/delete`);
    expect(confirm.status).toBe(200);
    const done = await member.post(`/w/${ws}/links/${team.links.member}/delete`, { csrf });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/w/${ws}/links?flash=link-deleted`);
    const after = await (await member.get(`/w/${ws}/links`)).text();
    expect(rowOf(after, team.links.member)).toBe('');
  });

  it("lets an admin delete a member's link", async () => {
    const admin = await signIn(t, team.admin.email);
    const html = await (await admin.get(`/w/${ws}/links`)).text();
    const row = rowOf(html, team.links.member2);
    expect(row).toContain(`data-confirm="delete-${team.links.member2}"`);
    expect(row).toContain(`<dialog id="delete-${team.links.member2}"`);
    const res = await admin.post(`/w/${ws}/links/${team.links.member2}/delete`, {
      csrf: hiddenValue(html, 'csrf'),
    });
    expect(res.status).toBe(303);
    const edit = await admin.get(`/w/${ws}/links/${team.links.member2}/edit`);
    expect(edit.status).toBe(303);
    expect(edit.headers.get('location')).toBe(`/w/${ws}/links?flash=link-gone`);
  });

  it('shows a non-member the not-found page for links pages', async () => {
    const outsider = await signIn(t, team.outsider.email);
    const edit = await outsider.get(`/w/${ws}/links/${team.links.owner}/edit`);
    expect(edit.status).toBe(404);
    const csrf = await outsider.csrfFrom('/');
    const del = await outsider.post(`/w/${ws}/links/${team.links.owner}/delete`, { csrf });
    expect(del.status).toBe(404);
    const owner = await getLink(t.deps, await access(team.owner.user.id), team.links.owner);
    expect(owner.deletedAt).toBeNull();
  });
});
