import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/http/dashboard/index.ts';
import { createAuthPages } from '../../src/http/pages/auth-pages.tsx';
import { addDomain, ownerAccess } from '../../src/services/domains.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Workspace Settings (General, Projects, Domains, Team + invitations) and the audit log, through the
// real pages with a cookie-keeping browser: each role sees the actions it may take, forged POSTs
// are refused with 403 and change nothing (S28 for the token, §2 for the role), invitations are
// accepted in a second browser.

const PASSWORD = 'correct horse battery';
let verifyAnswer: { ok: true; method: string } | { ok: false; reason: string } = {
  ok: false,
  reason: 'the token was not found',
};

let t: TestApp;
let app: Hono;
let ipCounter = 0;

/** The dashboard routers under test over the real app (REST API, OAuth, sign-in pages). */
function dashboardApp(test: TestApp): Hono {
  const root = new Hono();
  root.route('/', createAuthPages(test.deps, test.limiter));
  root.route('/', createDashboard(test.deps));
  root.route('/', test.app);
  return root;
}

function browser(): PageBrowser {
  ipCounter += 1;
  return new PageBrowser(app, `198.51.100.${ipCounter}`);
}

async function signedIn(email: string): Promise<PageBrowser> {
  const b = browser();
  const csrf = await b.csrfFrom('/signin');
  const res = await b.post('/signin', { csrf, email, password: PASSWORD, return_to: '/' });
  expect(res.status).toBe(303);
  return b;
}

/** GETs a page, insists on 200, and returns its HTML and CSRF token. */
async function page(b: PageBrowser, path: string): Promise<{ html: string; csrf: string }> {
  const res = await b.get(path);
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(200);
  return { html, csrf: hiddenValue(html, 'csrf') };
}

async function workspaceName(id: string): Promise<string> {
  const row = await t.store.db
    .selectFrom('workspaces')
    .select('name')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.name;
}

async function memberRole(id: string): Promise<string | null> {
  const row = await t.store.db
    .selectFrom('members')
    .select(['role', 'removed_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.removed_at === null ? row.role : null;
}

beforeAll(async () => {
  t = await createTestApp({
    env: { SIGNIN_RATE_LIMIT_PER_MINUTE: '100000' },
    verifyDomain: async () => verifyAnswer,
  });
  app = dashboardApp(t);
});

afterAll(async () => {
  await t.close();
});

describe('Workspace Settings: what each role is offered', () => {
  it('the owner sees rename, delete, project, domain, invite and transfer forms; an admin no delete or transfer; a member none', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    const admin = await signedIn(team.admin.email);
    const member = await signedIn(team.member.email);

    const ownerGeneral = (await page(owner, `/w/${ws}/settings`)).html;
    expect(ownerGeneral).toContain(`action="/w/${ws}/settings/rename"`);
    expect(ownerGeneral).toContain(`action="/w/${ws}/settings/delete"`);
    const adminGeneral = (await page(admin, `/w/${ws}/settings`)).html;
    expect(adminGeneral).toContain(`action="/w/${ws}/settings/rename"`);
    expect(adminGeneral).not.toContain(`/settings/delete"`);
    const memberGeneral = (await page(member, `/w/${ws}/settings`)).html;
    expect(memberGeneral).not.toContain('/settings/rename"');
    expect(memberGeneral).not.toContain('/settings/delete"');
    expect(memberGeneral).toContain('Acme Support');

    const ownerTeam = (await page(owner, `/w/${ws}/settings/team`)).html;
    expect(ownerTeam).toContain(`action="/w/${ws}/settings/team/invite"`);
    expect(ownerTeam).toContain(`action="/w/${ws}/settings/team/transfer"`);
    expect(ownerTeam).toContain(`/members/${team.memberIds.admin!}/role"`);
    // Nobody is offered a change to the owner's own membership.
    expect(ownerTeam).not.toContain(`/members/${team.memberIds.owner!}/`);
    const adminTeam = (await page(admin, `/w/${ws}/settings/team`)).html;
    expect(adminTeam).toContain('/settings/team/invite"');
    expect(adminTeam).not.toContain('/settings/team/transfer"');
    expect(adminTeam).toContain(`/members/${team.memberIds.member!}/remove"`);
    expect(adminTeam).not.toContain(`/members/${team.memberIds.owner!}/`);
    const memberTeam = (await page(member, `/w/${ws}/settings/team`)).html;
    expect(memberTeam).not.toContain('/settings/team/invite"');
    expect(memberTeam).not.toContain('/role"');
    expect(memberTeam).not.toContain('/remove"');
    // Members still see who is in the team, with roles.
    expect(memberTeam).toContain(team.admin.email);

    for (const path of ['projects', 'domains']) {
      expect((await page(owner, `/w/${ws}/settings/${path}`)).html).toContain(
        `action="/w/${ws}/settings/${path}"`,
      );
      expect((await page(member, `/w/${ws}/settings/${path}`)).html).not.toContain(
        `action="/w/${ws}/settings/${path}"`,
      );
    }
  });

  it('forged POSTs from a member or admin are refused with 403 and change nothing', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const member = await signedIn(team.member.email);
    const admin = await signedIn(team.admin.email);
    const memberCsrf = (await page(member, `/w/${ws}/settings`)).csrf;
    const adminCsrf = (await page(admin, `/w/${ws}/settings`)).csrf;

    const forged: Array<[PageBrowser, string, string, Record<string, string>]> = [
      [member, memberCsrf, `/w/${ws}/settings/rename`, { name: 'Hijacked' }],
      [member, memberCsrf, `/w/${ws}/settings/projects`, { title: 'Sneaky', retention_days: '' }],
      [member, memberCsrf, `/w/${ws}/settings/projects/${team.defaultProject.id}`, { title: 'Renamed' }],
      [member, memberCsrf, `/w/${ws}/settings/domains`, { url: 'evil.example.com' }],
      [member, memberCsrf, `/w/${ws}/settings/team/invite`, { email: 'friend@example.com', role: 'admin' }],
      [
        member,
        memberCsrf,
        `/w/${ws}/settings/team/members/${team.memberIds.member2!}/role`,
        { role: 'admin' },
      ],
      [member, memberCsrf, `/w/${ws}/settings/team/members/${team.memberIds.member2!}/remove`, {}],
      [member, memberCsrf, `/w/${ws}/settings/delete`, { confirm: 'Acme Support' }],
      [admin, adminCsrf, `/w/${ws}/settings/delete`, { confirm: 'Acme Support' }],
      [
        admin,
        adminCsrf,
        `/w/${ws}/settings/team/transfer`,
        { member_id: team.memberIds.admin!, confirm: 'yes' },
      ],
      [admin, adminCsrf, `/w/${ws}/settings/team/members/${team.memberIds.owner!}/role`, { role: 'member' }],
      [admin, adminCsrf, `/w/${ws}/settings/team/members/${team.memberIds.owner!}/remove`, {}],
      [admin, adminCsrf, `/w/${ws}/settings/team/members/${team.memberIds.member!}/role`, { role: 'owner' }],
    ];
    for (const [who, csrf, path, fields] of forged) {
      const res = await who.post(path, { csrf, ...fields });
      expect(res.status, path).toBe(403);
    }
    // Nothing changed.
    expect(await workspaceName(ws)).toBe('Acme Support');
    const projects = await t.store.db
      .selectFrom('projects')
      .select('title')
      .where('workspace_id', '=', ws)
      .execute();
    expect(projects.map((p) => p.title)).toEqual(['Default']);
    const domains = await t.store.db
      .selectFrom('domains')
      .select('id')
      .where('workspace_id', '=', ws)
      .execute();
    expect(domains).toHaveLength(0);
    const invitations = await t.store.db
      .selectFrom('invitations')
      .select('id')
      .where('workspace_id', '=', ws)
      .execute();
    expect(invitations).toHaveLength(0);
    expect(await memberRole(team.memberIds.member2!)).toBe('member');
    expect(await memberRole(team.memberIds.owner!)).toBe('owner');
    expect(await memberRole(team.memberIds.member!)).toBe('member');
    const row = await t.store.db
      .selectFrom('workspaces')
      .select('deleted_at')
      .where('id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).toBeNull();
  });

  it('a POST without the CSRF token, or from an outsider, changes nothing (S28, S39)', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    await page(owner, `/w/${ws}/settings`);
    expect((await owner.post(`/w/${ws}/settings/rename`, { name: 'No token' })).status).toBe(403);
    const outsider = await signedIn(team.outsider.email);
    const outsiderCsrf = (await page(outsider, '/account')).csrf;
    const res = await outsider.post(`/w/${ws}/settings/rename`, { csrf: outsiderCsrf, name: 'Outsider' });
    expect(res.status).toBe(404);
    expect((await outsider.get(`/w/${ws}/settings`)).status).toBe(404);
    expect(await workspaceName(ws)).toBe('Acme Support');
  });

  it('signed out, a settings page sends the browser to sign in and back', async () => {
    const team = await teamWorkspace(t.deps);
    const res = await browser().get(`/w/${team.workspace.id}/settings/team`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(
      `/signin?return_to=${encodeURIComponent(`/w/${team.workspace.id}/settings/team`)}`,
    );
  });
});

describe('General', () => {
  it('an admin renames the workspace; a blank name is refused with a message', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const admin = await signedIn(team.admin.email);
    const { csrf } = await page(admin, `/w/${ws}/settings`);
    const blank = await admin.post(`/w/${ws}/settings/rename`, { csrf, name: '   ' });
    expect(blank.status).toBe(400);
    expect(await blank.text()).toContain('Name must be 1 to 100 characters');
    const res = await admin.post(`/w/${ws}/settings/rename`, { csrf, name: 'Acme Help Desk' });
    expect(res.status).toBe(303);
    const after = await page(admin, res.headers.get('location')!);
    expect(after.html).toContain('Workspace renamed');
    expect(after.html).toContain('value="Acme Help Desk"');
    expect(await workspaceName(ws)).toBe('Acme Help Desk');
  });

  it('the owner deletes the workspace only by typing its exact name', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    const { csrf, html } = await page(owner, `/w/${ws}/settings`);
    expect(html).toContain('Type the workspace name, Acme Support, to confirm');
    const wrong = await owner.post(`/w/${ws}/settings/delete`, { csrf, confirm: 'acme support' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Type the workspace name exactly');
    expect((await owner.get(`/w/${ws}/settings`)).status).toBe(200);
    const res = await owner.post(`/w/${ws}/settings/delete`, { csrf, confirm: 'Acme Support' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/\?/);
    expect((await owner.get(`/w/${ws}/settings`)).status).toBe(410);
    // Every member loses it at once.
    const member = await signedIn(team.member.email);
    expect((await member.get(`/w/${ws}/settings/team`)).status).toBe(410);
  });
});

describe('Projects', () => {
  it('an admin creates, edits and deletes a project; the default project offers no delete and refuses one', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const admin = await signedIn(team.admin.email);
    let view = await page(admin, `/w/${ws}/settings/projects`);
    expect(view.html).toContain('The default project cannot be deleted.');
    expect(view.html).not.toContain(`/projects/${team.defaultProject.id}/delete"`);

    const bad = await admin.post(`/w/${ws}/settings/projects`, {
      csrf: view.csrf,
      title: 'Beta',
      retention_days: '0',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/Retention/i);

    const created = await admin.post(`/w/${ws}/settings/projects`, {
      csrf: view.csrf,
      title: 'Beta testers',
      retention_days: '30',
    });
    expect(created.status).toBe(303);
    view = await page(admin, created.headers.get('location')!);
    expect(view.html).toContain('Project created');
    expect(view.html).toContain('Beta testers');
    expect(view.html).toContain('30 days');
    const row = await t.store.db
      .selectFrom('projects')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('title', '=', 'Beta testers')
      .executeTakeFirstOrThrow();
    expect(row.retention_days).toBe(30);

    const edited = await admin.post(`/w/${ws}/settings/projects/${row.id}`, {
      csrf: view.csrf,
      title: 'Beta',
      retention_days: '',
    });
    expect(edited.status).toBe(303);
    view = await page(admin, edited.headers.get('location')!);
    expect(view.html).toContain('Project saved');
    const after = await t.store.db
      .selectFrom('projects')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect({ title: after.title, retention: after.retention_days }).toEqual({
      title: 'Beta',
      retention: null,
    });

    expect(view.html).toContain(`/projects/${row.id}/delete"`);
    const deleted = await admin.post(`/w/${ws}/settings/projects/${row.id}/delete`, { csrf: view.csrf });
    expect(deleted.status).toBe(303);
    view = await page(admin, deleted.headers.get('location')!);
    expect(view.html).toContain('Project deleted');
    expect(view.html).not.toContain('>Beta <');

    const forged = await admin.post(`/w/${ws}/settings/projects/${team.defaultProject.id}/delete`, {
      csrf: view.csrf,
    });
    expect(forged.status).toBe(403);
    const def = await t.store.db
      .selectFrom('projects')
      .select('deleted_at')
      .where('id', '=', team.defaultProject.id)
      .executeTakeFirstOrThrow();
    expect(def.deleted_at).toBeNull();
  });
});

describe('Projects: recording length limit', () => {
  /** The text of a project's "Recording limit" cell in the projects table. */
  function limitCell(html: string, title: string): string | undefined {
    const row = html.split('<tr>').find((r) => r.includes(`<td data-label="Title">${title} `));
    return row?.match(/<td data-label="Recording limit">([^<]*)<\/td>/)?.[1];
  }
  async function limitOf(id: string): Promise<number | null | undefined> {
    const row = await t.store.db
      .selectFrom('projects')
      .select('max_recording_seconds')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return row.max_recording_seconds;
  }

  it('an admin sets it on create and edit, sees it in the table; a bad value shows an error and changes nothing', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const admin = await signedIn(team.admin.email);
    let view = await page(admin, `/w/${ws}/settings/projects`);
    expect(limitCell(view.html, 'Default')).toBe('default (3 min)');
    expect(view.html).toContain('Longest recording in seconds (empty: 180)');
    expect(view.html).toContain(`name="max_recording_seconds"`);

    const count = async () =>
      (await t.store.db.selectFrom('projects').select('id').where('workspace_id', '=', ws).execute()).length;
    for (const bad of ['0', '3601', '1.5', 'abc']) {
      const res = await admin.post(`/w/${ws}/settings/projects`, {
        csrf: view.csrf,
        title: 'Short clips',
        retention_days: '7',
        max_recording_seconds: bad,
      });
      expect(res.status).toBe(400);
      const html = await res.text();
      // The message names the field, right after the field's input; the draft is kept.
      expect(html).toMatch(
        /id="new-project-max-seconds"[^>]*>\s*<p class="error" role="alert">MaxRecordingSeconds must /,
      );
      expect(html).toMatch(/id="new-project-title"[^>]*value="Short clips"/);
      expect(html).toMatch(/id="new-project-retention"[^>]*value="7"/);
      expect(html).toContain(`value="${bad}"`);
    }
    expect(await count()).toBe(1);

    const created = await admin.post(`/w/${ws}/settings/projects`, {
      csrf: view.csrf,
      title: 'Short clips',
      retention_days: '',
      max_recording_seconds: '300',
    });
    expect(created.status).toBe(303);
    view = await page(admin, created.headers.get('location')!);
    expect(view.html).toContain('Project created');
    expect(limitCell(view.html, 'Short clips')).toBe('5 min');
    expect(limitCell(view.html, 'Default')).toBe('default (3 min)');
    const row = await t.store.db
      .selectFrom('projects')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('title', '=', 'Short clips')
      .executeTakeFirstOrThrow();
    expect(await limitOf(row.id)).toBe(300);
    // The edit form starts from the saved value.
    expect(view.html).toMatch(new RegExp(`id="max-seconds-${row.id}"[^>]*value="300"`));

    const edited = await admin.post(`/w/${ws}/settings/projects/${row.id}`, {
      csrf: view.csrf,
      title: 'Short clips',
      retention_days: '',
      max_recording_seconds: '90',
    });
    expect(edited.status).toBe(303);
    view = await page(admin, edited.headers.get('location')!);
    expect(view.html).toContain('Project saved');
    expect(limitCell(view.html, 'Short clips')).toBe('1 min 30 s');
    expect(await limitOf(row.id)).toBe(90);

    const refused = await admin.post(`/w/${ws}/settings/projects/${row.id}`, {
      csrf: view.csrf,
      title: 'Renamed meanwhile',
      retention_days: '',
      max_recording_seconds: '3601',
    });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toMatch(
      new RegExp(
        `id="max-seconds-${row.id}"[^>]*>\\s*<p class="error" role="alert">MaxRecordingSeconds must `,
      ),
    );
    // The refused edit stays open with what was typed; nothing changed.
    expect(html).toMatch(new RegExp(`id="max-seconds-${row.id}"[^>]*value="3601"`));
    expect(html).toMatch(new RegExp(`id="title-${row.id}"[^>]*value="Renamed meanwhile"`));
    expect(html).toContain('<details class="menu" open="">');
    expect(limitCell(html, 'Short clips')).toBe('1 min 30 s');
    expect(await limitOf(row.id)).toBe(90);
    const title = await t.store.db
      .selectFrom('projects')
      .select('title')
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(title.title).toBe('Short clips');

    const cleared = await admin.post(`/w/${ws}/settings/projects/${row.id}`, {
      csrf: view.csrf,
      title: 'Short clips',
      retention_days: '',
      max_recording_seconds: '',
    });
    expect(cleared.status).toBe(303);
    view = await page(admin, cleared.headers.get('location')!);
    expect(limitCell(view.html, 'Short clips')).toBe('default (3 min)');
    expect(await limitOf(row.id)).toBeNull();
  });

  it('a member sees the limit but no field to change it, and a forged POST changes nothing', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const member = await signedIn(team.member.email);
    const view = await page(member, `/w/${ws}/settings/projects`);
    expect(limitCell(view.html, 'Default')).toBe('default (3 min)');
    expect(view.html).not.toContain('name="max_recording_seconds"');
    const forged = await member.post(`/w/${ws}/settings/projects/${team.defaultProject.id}`, {
      csrf: view.csrf,
      title: 'Default',
      retention_days: '',
      max_recording_seconds: '10',
    });
    expect(forged.status).toBe(403);
    expect(await limitOf(team.defaultProject.id)).toBeNull();
  });
});

describe('Domains', () => {
  it('shows the meta tag and file URL with the token, verifies through the service, and deletes', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    let view = await page(owner, `/w/${ws}/settings/domains`);
    expect(view.html).toContain('No domains yet.');
    const added = await owner.post(`/w/${ws}/settings/domains`, {
      csrf: view.csrf,
      url: 'https://App.Example.com/',
    });
    expect(added.status).toBe(303);
    view = await page(owner, added.headers.get('location')!);
    const domain = await t.store.db
      .selectFrom('domains')
      .selectAll()
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(domain.host).toBe('app.example.com');
    expect(view.html).toContain('Pending');
    expect(view.html).toContain(
      `&lt;meta name=&quot;userplane-verification&quot; content=&quot;${domain.verification_token}&quot;&gt;`,
    );
    expect(view.html).toContain('https://app.example.com/.well-known/userplane-verification.txt');

    const dup = await owner.post(`/w/${ws}/settings/domains`, { csrf: view.csrf, url: 'app.example.com' });
    expect(dup.status).toBe(409);
    expect(await dup.text()).toContain('already a domain of this workspace');

    verifyAnswer = { ok: false, reason: 'the token was not found' };
    const failed = await owner.post(`/w/${ws}/settings/domains/${domain.id}/verify`, { csrf: view.csrf });
    expect(failed.status).toBe(422);
    expect(await failed.text()).toContain('app.example.com could not be verified: the token was not found');

    verifyAnswer = { ok: true, method: 'meta' };
    const verified = await owner.post(`/w/${ws}/settings/domains/${domain.id}/verify`, { csrf: view.csrf });
    expect(verified.status).toBe(303);
    view = await page(owner, verified.headers.get('location')!);
    expect(view.html).toContain('Domain verified');
    expect(view.html).toContain('>Verified<');
    expect(view.html).not.toContain(`/domains/${domain.id}/verify"`);

    const deleted = await owner.post(`/w/${ws}/settings/domains/${domain.id}/delete`, { csrf: view.csrf });
    expect(deleted.status).toBe(303);
    view = await page(owner, deleted.headers.get('location')!);
    expect(view.html).toContain('Domain deleted');
    expect(view.html).toContain('No domains yet.');
  });

  it('a member sees the domains but neither the token instructions nor Verify', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const domain = await addDomain(t.deps, await ownerAccess(t.deps, ws), { url: 'shop.example.com' });
    const member = await signedIn(team.member.email);
    const view = await page(member, `/w/${ws}/settings/domains`);
    expect(view.html).toContain('shop.example.com');
    expect(view.html).not.toContain(domain.verificationToken);
    expect(view.html).not.toContain('/verify"');
    const forged = await member.post(`/w/${ws}/settings/domains/${domain.id}/verify`, { csrf: view.csrf });
    expect(forged.status).toBe(403);
  });
});

describe('Team and invitations', () => {
  it('invite → the link is shown once → accepted in a second browser → joined, role changed, removed', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const admin = await signedIn(team.admin.email);
    let view = await page(admin, `/w/${ws}/settings/team`);
    expect(view.html).toContain('No pending invitations.');

    const invitedEmail = `newcomer-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const invited = await admin.post(`/w/${ws}/settings/team/invite`, {
      csrf: view.csrf,
      email: invitedEmail,
      role: 'member',
    });
    expect(invited.status).toBe(200);
    const invitedHtml = await invited.text();
    const link = /value="(http:\/\/localhost:3000\/invite\/[A-Za-z0-9_-]+)"/.exec(invitedHtml)?.[1];
    expect(link).toBeTruthy();
    expect(invitedHtml).toContain(`data-copy="${link}"`);
    expect(invited.headers.get('cache-control')).toBe('no-store');
    const token = link!.split('/invite/')[1]!;

    // Shown once: the team page lists the pending invitation but never its link again.
    view = await page(admin, `/w/${ws}/settings/team`);
    expect(view.html).toContain(invitedEmail);
    expect(view.html).not.toContain(token);

    // A second browser, signed out: sign in or sign up, coming back here.
    const newcomer = browser();
    const landing = await newcomer.get(`/invite/${token}`);
    const landingHtml = await landing.text();
    expect(landing.status).toBe(200);
    expect(landingHtml).toContain('You are invited to Acme Support');
    const back = encodeURIComponent(`/invite/${token}`);
    expect(landingHtml).toContain(`href="/signup?return_to=${back}"`);
    expect(landingHtml).toContain(`href="/signin?return_to=${back}"`);

    const signupCsrf = await newcomer.csrfFrom(`/signup?return_to=${back}`);
    const signup = await newcomer.post('/signup', {
      csrf: signupCsrf,
      email: invitedEmail,
      password: PASSWORD,
      name: 'Newcomer',
      return_to: `/invite/${token}`,
    });
    expect(signup.status).toBe(303);
    expect(signup.headers.get('location')).toBe(`/invite/${token}`);
    const accept = await page(newcomer, `/invite/${token}`);
    expect(accept.html).toContain('Accept and join Acme Support');
    const joined = await newcomer.post(`/invite/${token}`, { csrf: accept.csrf });
    expect(joined.status).toBe(303);
    expect(joined.headers.get('location')).toBe(`/w/${ws}/recordings`);
    expect((await newcomer.get(`/w/${ws}/settings/team`)).status).toBe(200);

    // Used once: the link is dead now.
    expect((await newcomer.get(`/invite/${token}`)).status).toBe(404);

    view = await page(admin, `/w/${ws}/settings/team`);
    expect(view.html).toContain('Newcomer');
    expect(view.html).toContain('No pending invitations.');
    const membership = await t.store.db
      .selectFrom('members')
      .innerJoin('users', 'users.id', 'members.user_id')
      .select(['members.id', 'members.role'])
      .where('members.workspace_id', '=', ws)
      .where('users.email', '=', invitedEmail)
      .executeTakeFirstOrThrow();
    expect(membership.role).toBe('member');

    const promoted = await admin.post(`/w/${ws}/settings/team/members/${membership.id}/role`, {
      csrf: view.csrf,
      role: 'admin',
    });
    expect(promoted.status).toBe(303);
    expect((await page(admin, promoted.headers.get('location')!)).html).toContain('Role changed');
    expect(await memberRole(membership.id)).toBe('admin');
    // S40: the newcomer's next page load sees the new role (the invite form appears).
    expect((await page(newcomer, `/w/${ws}/settings/team`)).html).toContain('/settings/team/invite"');

    const removed = await admin.post(`/w/${ws}/settings/team/members/${membership.id}/remove`, {
      csrf: view.csrf,
    });
    expect(removed.status).toBe(303);
    expect(await memberRole(membership.id)).toBeNull();
    expect((await newcomer.get(`/w/${ws}/settings/team`)).status).toBe(404);

    // The audit log shows the membership changes, newest first.
    const audit = (await page(admin, `/w/${ws}/audit`)).html;
    const removedAt = audit.indexOf('member.removed');
    const changedAt = audit.indexOf('member.role_changed');
    const addedAt = audit.indexOf('member.added');
    expect(removedAt).toBeGreaterThan(-1);
    expect(changedAt).toBeGreaterThan(removedAt);
    expect(addedAt).toBeGreaterThan(changedAt);
    expect(audit).toContain(`changed ${invitedEmail}&#39;s role from member to admin`);
  });

  it('an invitation opened while signed in with another email says so and cannot be accepted', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    const { csrf } = await page(owner, `/w/${ws}/settings/team`);
    const invited = await owner.post(`/w/${ws}/settings/team/invite`, {
      csrf,
      email: 'someone-else@example.com',
      role: 'admin',
    });
    const token = /\/invite\/([A-Za-z0-9_-]+)"/.exec(await invited.text())![1]!;
    const outsider = await signedIn(team.outsider.email);
    const res = await outsider.get(`/invite/${token}`);
    const html = await res.text();
    expect(res.status).toBe(403);
    expect(html).toContain('This invitation was sent to someone-else@example.com');
    expect(html).not.toContain('Accept and join');
    const forced = await outsider.post(`/invite/${token}`, { csrf: hiddenValue(html, 'csrf') });
    expect(forced.status).toBe(403);
    expect(await forced.text()).toContain('sent to a different email address');
    const rows = await t.store.db
      .selectFrom('members')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('user_id', '=', team.outsider.user.id)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it('a revoked invitation link stops working', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    let view = await page(owner, `/w/${ws}/settings/team`);
    const invited = await owner.post(`/w/${ws}/settings/team/invite`, {
      csrf: view.csrf,
      email: team.outsider.email,
      role: 'member',
    });
    const token = /\/invite\/([A-Za-z0-9_-]+)"/.exec(await invited.text())![1]!;
    const invitation = await t.store.db
      .selectFrom('invitations')
      .select('id')
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    view = await page(owner, `/w/${ws}/settings/team`);
    expect(view.html).toContain(`/invitations/${invitation.id}/revoke"`);
    const revoked = await owner.post(`/w/${ws}/settings/team/invitations/${invitation.id}/revoke`, {
      csrf: view.csrf,
    });
    expect(revoked.status).toBe(303);
    const outsider = await signedIn(team.outsider.email);
    const res = await outsider.get(`/invite/${token}`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('This invitation is not valid');
  });

  it('inviting an existing member or a bad email is refused with a message', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    const { csrf } = await page(owner, `/w/${ws}/settings/team`);
    const existing = await owner.post(`/w/${ws}/settings/team/invite`, {
      csrf,
      email: team.member.email,
      role: 'member',
    });
    expect(existing.status).toBe(409);
    expect(await existing.text()).toContain('already a member');
    const bad = await owner.post(`/w/${ws}/settings/team/invite`, {
      csrf,
      email: 'not-an-email',
      role: 'member',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Email must be a valid email address');
  });

  it('the owner transfers ownership after confirming and becomes an admin', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    const owner = await signedIn(team.owner.email);
    const { csrf } = await page(owner, `/w/${ws}/settings/team`);
    const unconfirmed = await owner.post(`/w/${ws}/settings/team/transfer`, {
      csrf,
      member_id: team.memberIds.admin!,
    });
    expect(unconfirmed.status).toBe(400);
    expect(await memberRole(team.memberIds.owner!)).toBe('owner');
    const res = await owner.post(`/w/${ws}/settings/team/transfer`, {
      csrf,
      member_id: team.memberIds.admin!,
      confirm: 'yes',
    });
    expect(res.status).toBe(303);
    expect(await memberRole(team.memberIds.admin!)).toBe('owner');
    expect(await memberRole(team.memberIds.owner!)).toBe('admin');
    const after = (await page(owner, res.headers.get('location')!)).html;
    expect(after).toContain('Ownership transferred');
    expect(after).not.toContain('/settings/team/transfer"');
  });
});

describe('Audit log', () => {
  it('owners and admins see members’ sign-ins and this workspace’s changes; members are refused; other workspaces stay out', async () => {
    const team = await teamWorkspace(t.deps);
    const ws = team.workspace.id;
    // Another workspace of the outsider, with a membership change there.
    const other = await createWorkspace(t.deps, { name: 'Elsewhere', ownerUserId: team.outsider.user.id });
    const outsider = await signedIn(team.outsider.email);
    const otherView = await page(outsider, `/w/${other.workspace.id}/settings/team`);
    await outsider.post(`/w/${other.workspace.id}/settings/team/invite`, {
      csrf: otherView.csrf,
      email: 'elsewhere-friend@example.com',
      role: 'member',
    });

    const member = await signedIn(team.member.email);
    expect((await member.get(`/w/${ws}/audit`)).status).toBe(403);
    expect((await page(member, `/w/${ws}/settings`)).html).not.toContain(`href="/w/${ws}/audit"`);

    const admin = await signedIn(team.admin.email);
    const html = (await page(admin, `/w/${ws}/audit`)).html;
    expect(html).toContain('member signed in');
    expect(html).toContain('admin signed in');
    expect(html).not.toContain('outsider signed in');
    expect(html).not.toContain('elsewhere-friend');
    expect(html).toContain('198.51.100.');
  });
});
