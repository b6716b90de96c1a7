import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listMyWorkspaces } from '../../src/services/workspace-admin.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import { makeRecording, recordingsWorkspace } from '../helpers/builders-recordings.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// The dashboard shell (PRODUCT.md §6): the start page, the header, navigation and switcher, the
// sign-in redirect, the one not-found answer for workspaces a user does not belong to (S39), the
// dashboard's CSP (S27) and our own scripts.

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

describe('dashboard shell', () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof recordingsWorkspace>>;

  beforeAll(async () => {
    t = await createTestApp();
    team = await recordingsWorkspace(t.deps);
  });
  afterAll(() => t.close());

  it('sends a signed-out browser from / to sign-in, and from a dashboard page with return_to', async () => {
    const browser = new PageBrowser(t.app);
    const home = await browser.get('/');
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/signin');
    const page = await browser.get(`/w/${team.workspace.id}/recordings?project=x`);
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(
      `/signin?return_to=${encodeURIComponent(`/w/${team.workspace.id}/recordings?project=x`)}`,
    );
  });

  it('offers a user without a workspace to create one, and then opens it', async () => {
    const { user, email } = (await teamWorkspace(t.deps)).outsider;
    const browser = await signIn(t, email);
    const home = await browser.get('/');
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain('Create your first workspace');
    expect(html).toContain('action="/w"');

    // Without the CSRF token nothing is created (S28).
    const forged = await browser.post('/w', { name: 'Forged' });
    expect(forged.status).toBe(403);
    // An empty name is refused with the form again.
    const csrf = hiddenValue(html, 'csrf');
    const empty = await browser.post('/w', { csrf, name: '   ' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('1 to 100 characters');
    expect((await listMyWorkspaces(t.deps, user.id, { page: 1, perPage: 10 })).total).toBe(0);

    const created = await browser.post('/w', { csrf, name: 'Globex Support' });
    expect(created.status).toBe(303);
    const mine = await listMyWorkspaces(t.deps, user.id, { page: 1, perPage: 10 });
    expect(mine.items.map((w) => w.workspace.name)).toEqual(['Globex Support']);
    const wsId = mine.items[0]!.workspace.id;
    expect(created.headers.get('location')).toBe(`/w/${wsId}/recordings?flash=workspace-created`);
    const list = await browser.get(created.headers.get('location')!);
    expect(list.status).toBe(200);
    const listHtml = await list.text();
    expect(listHtml).toContain('Workspace created.');
    expect(listHtml).toContain('No recordings yet');

    const again = await browser.get('/');
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toBe(`/w/${wsId}/recordings`);
  });

  it('shows navigation, the switcher and the account menu; the audit log only to owners and admins', async () => {
    const ws = team.workspace.id;
    const owner = await signIn(t, team.owner.email);
    const html = await (await owner.get(`/w/${ws}/links`)).text();
    for (const href of [
      `/w/${ws}/recordings`,
      `/w/${ws}/links`,
      `/w/${ws}/settings`,
      `/w/${ws}/audit`,
      '/account',
    ]) {
      expect(html).toContain(`href="${href}"`);
    }
    expect(html).toMatch(new RegExp(`href="/w/${ws}/links" aria-current="page"`));
    expect(html).toContain('action="/w/switch"');
    expect(html).toMatch(new RegExp(`<option value="${ws}" selected="">Acme Support</option>`));
    expect(html).toMatch(
      /<form method="post" action="\/signout"><input type="hidden" name="csrf" value="[^"]+"/,
    );

    const member = await signIn(t, team.member.email);
    const memberHtml = await (await member.get(`/w/${ws}/recordings`)).text();
    expect(memberHtml).toContain(`href="/w/${ws}/settings"`);
    expect(memberHtml).not.toContain(`/w/${ws}/audit`);
  });

  it('keeps the last opened workspace in the navigation on Account Settings, never a foreign one', async () => {
    const owner = await signIn(t, team.owner.email);
    const nav = async () =>
      /<nav class="dash-nav"[\s\S]*?<\/nav>/.exec(await (await owner.get('/account')).text())![0];
    expect(await nav()).not.toContain('/recordings');
    await owner.get(`/w/${team.workspace.id}/links`);
    const after = await nav();
    expect(after).toContain(`href="/w/${team.workspace.id}/recordings"`);
    expect(after).toContain(`href="/w/${team.workspace.id}/audit"`);
    // A cookie naming a workspace the user does not belong to changes nothing.
    const other = await teamWorkspace(t.deps);
    owner.cookies.set('up_ws', other.workspace.id);
    expect(await nav()).not.toContain('/w/');
  });

  it('switches workspace with a plain GET form, only to a workspace of the user', async () => {
    const owner = await signIn(t, team.owner.email);
    const ok = await owner.get(`/w/switch?ws=${team.workspace.id}`);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/w/${team.workspace.id}/recordings`);
    const other = await teamWorkspace(t.deps);
    const refused = await owner.get(`/w/switch?ws=${other.workspace.id}`);
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/');
  });

  it('answers a non-member the same whether or not the workspace or recording exists (S39)', async () => {
    const recording = await makeRecording(t.deps, team.links.owner);
    const outsider = await signIn(t, team.outsider.email);
    const paths = [
      [`/w/${team.workspace.id}/recordings`, '/w/ws_doesnotexist0000000000/recordings'],
      [`/w/${team.workspace.id}/links`, '/w/ws_doesnotexist0000000000/links'],
      [`/w/${team.workspace.id}/recordings/${recording.id}`, `/w/${team.workspace.id}/recordings/rec_nope`],
      [`/recordings/${recording.id}`, '/recordings/rec_doesnotexist000000000'],
    ];
    for (const [real, fake] of paths) {
      const a = await outsider.get(real!);
      const b = await outsider.get(fake!);
      expect(a.status).toBe(404);
      expect(b.status).toBe(404);
      const body = await a.text();
      expect(body).toBe(await b.text());
      expect(body).not.toContain('Acme Support');
      expect(body).not.toContain(recording.id);
    }
  });

  it('sends dashboard pages with a CSP that allows only our own scripts (S27)', async () => {
    const owner = await signIn(t, team.owner.email);
    const res = await owner.get(`/w/${team.workspace.id}/recordings`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name!, values.join(' ')] as const;
      }),
    );
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('media-src')).toBe("'self'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('http');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/assets\/[a-z]+\.js"/);
      expect(body).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+="/); // no inline event handlers either
  });

  it('serves our scripts as JavaScript; the player seeks the video to an entry and highlights it', async () => {
    const player = await t.request('/assets/player.js');
    expect(player.status).toBe(200);
    expect(player.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(player.headers.get('x-content-type-options')).toBe('nosniff');
    const js = await player.text();
    expect(js).toContain("getAttribute('data-ts')");
    expect(js).toContain('video.currentTime = ms / 1000');
    expect(js).toContain("classList.add('current')");
    expect(js).toContain("setAttribute('aria-current'");
    expect(js).toContain("addEventListener('timeupdate'");
    // It parses as a script.
    expect(() => new Function(js)).not.toThrow();

    const dashboard = await t.request('/assets/dashboard.js');
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get('content-type')).toMatch(/^text\/javascript/);
    const djs = await dashboard.text();
    expect(djs).toContain('data-copy');
    expect(djs).toContain('showModal');
    expect(() => new Function(djs)).not.toThrow();
  });
});
