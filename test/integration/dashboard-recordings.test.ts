import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { requireMember } from '../../src/services/access.ts';
import { getRecording, setRecordingExpiry } from '../../src/services/recordings.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { addMember } from '../helpers/builders.ts';
import {
  insertDomainRow,
  insertLinkRow,
  makeRecording,
  recordingsWorkspace,
} from '../helpers/builders-recordings.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// Recordings list and player pages (PRODUCT.md §6) over real services and a real database.

const PASSWORD = 'correct horse battery';
const START = Date.UTC(2026, 2, 10, 12, 0, 0);
let ipCounter = 0;

async function signIn(t: TestApp, email: string): Promise<PageBrowser> {
  ipCounter += 1;
  const browser = new PageBrowser(t.app, `198.51.100.${ipCounter}`);
  const csrf = await browser.csrfFrom('/signin');
  const res = await browser.post('/signin', { csrf, email, password: PASSWORD, return_to: '/' });
  expect(res.status).toBe(303);
  return browser;
}

/** The recording ids linked from a list page, in page order. */
function listedIds(html: string, ws: string): string[] {
  return [...html.matchAll(new RegExp(`href="/w/${ws}/recordings/(rec_[A-Za-z0-9_-]+)"`, 'g'))].map(
    (m) => m[1]!,
  );
}

describe('dashboard recordings', () => {
  const clock = fakeClock(START);
  let t: TestApp;
  let team: Awaited<ReturnType<typeof recordingsWorkspace>>;
  let ws: string;
  // Recording ids by who created the link, oldest first.
  const made: Record<'owner' | 'admin' | 'member' | 'member2', string[]> = {
    owner: [],
    admin: [],
    member: [],
    member2: [],
  };

  beforeAll(async () => {
    t = await createTestApp({ clock });
    team = await recordingsWorkspace(t.deps);
    ws = team.workspace.id;
    let at = START - 40 * 60_000;
    for (const who of ['owner', 'admin', 'member', 'member2'] as const) {
      for (let i = 0; i < (who === 'owner' ? 24 : 2); i += 1) {
        at += 60_000;
        made[who].push((await makeRecording(t.deps, team.links[who], { createdAt: at })).id);
      }
    }
  });
  afterAll(() => t.close());

  it('lists recordings newest first, 25 a page, with previous and next links', async () => {
    const owner = await signIn(t, team.owner.email);
    const first = await owner.get(`/w/${ws}/recordings`);
    expect(first.status).toBe(200);
    const html = await first.text();
    const all = [...made.owner, ...made.admin, ...made.member, ...made.member2].reverse();
    expect(listedIds(html, ws)).toEqual(all.slice(0, 25));
    expect(html).toContain(`href="/w/${ws}/recordings?page=2" rel="next"`);
    expect(html).toContain('Page 1 of 2');
    expect(html).toContain('member2&#39;s link');
    expect(html).toContain('0:15'); // duration

    const second = await (await owner.get(`/w/${ws}/recordings?page=2`)).text();
    expect(listedIds(second, ws)).toEqual(all.slice(25));
    expect(second).toContain(`href="/w/${ws}/recordings" rel="prev"`);
    expect(second).not.toContain('rel="next"');
  });

  it('filters by project, link and creator with a GET form', async () => {
    const member = await signIn(t, team.member.email);
    const byProject = await (await member.get(`/w/${ws}/recordings?project=${team.otherProjectId}`)).text();
    expect(listedIds(byProject, ws)).toEqual([...made.member2].reverse());
    expect(byProject).toMatch(
      new RegExp(`<option value="${team.otherProjectId}" selected="">Mobile</option>`),
    );
    expect(byProject).toContain('Clear filters');

    const byLink = await (await member.get(`/w/${ws}/recordings?link=${team.links.admin}`)).text();
    expect(listedIds(byLink, ws)).toEqual([...made.admin].reverse());

    const byCreator = await (await member.get(`/w/${ws}/recordings?creator=${team.memberIds.member}`)).text();
    expect(listedIds(byCreator, ws)).toEqual([...made.member].reverse());
    for (const name of ['project', 'link', 'creator']) expect(byCreator).toContain(`name="${name}"`);

    const none = await (
      await member.get(`/w/${ws}/recordings?link=${team.links.admin}&creator=${team.memberIds.member}`)
    ).text();
    expect(listedIds(none, ws)).toEqual([]);
    expect(none).toContain('No recordings match these filters');
  });

  it('explains how recordings arrive when there are none', async () => {
    const owner = team.owner;
    const { workspace } = await createWorkspace(t.deps, { name: 'Empty', ownerUserId: owner.user.id });
    const browser = await signIn(t, owner.email);
    const html = await (await browser.get(`/w/${workspace.id}/recordings`)).text();
    expect(html).toContain('No recordings yet');
    expect(html).toContain('send it to a customer');
    expect(html).toContain(`href="/w/${workspace.id}/links"`);
  });

  it('plays a recording: same-origin signed video, log entries with data-ts, and the Info panel', async () => {
    const member = await signIn(t, team.member.email);
    const id = made.admin[0]!;
    const res = await member.get(`/w/${ws}/recordings/${id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const video = /<video data-player="" controls="" preload="metadata" src="([^"]+)"/.exec(html);
    expect(video).not.toBeNull();
    const src = video![1]!.replace(/&amp;/g, '&');
    expect(src.startsWith('/files/')).toBe(true);
    expect(src).toMatch(/[?&]sig=/);
    const file = await member.get(src);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('video/webm');
    expect(html).toContain('src="/assets/player.js"');

    // Console error (ts 10), network 500 (ts 5), click (ts 1): buttons that seek.
    expect(html).toMatch(/<button type="button" class="entry level-error" data-ts="10">[\s\S]*?boom/);
    expect(html).toContain('Error</span>');
    expect(html).toMatch(
      /<button type="button" class="entry failed" data-ts="5">[\s\S]*?GET https:\/\/app\.example\.com\/api/,
    );
    expect(html).toMatch(/<button type="button" class="entry" data-ts="1">[\s\S]*?Clicked #submit/);
    for (const tab of ['Console', 'Network', 'Actions', 'Info']) expect(html).toContain(`>${tab}</a>`);

    // Info: link, project, domain, creator, notes, system and custom metadata.
    const info = html.slice(html.indexOf('id="panel-info"'));
    expect(info).toContain('admin&#39;s link');
    expect(info).toContain('Default');
    expect(info).toContain('app.example.com');
    expect(info).toContain('It broke');
    expect(info).toContain('Chrome 126');
    expect(info).toContain('macOS 14.5');
    expect(info).toContain('ticketId');
    expect(info).toContain('42');
  });

  it('says an expired recording expired and does not play it', async () => {
    const recording = await makeRecording(t.deps, team.links.member);
    const access = await requireMember(t.deps, team.member.user.id, ws);
    await setRecordingExpiry(t.deps, access, recording.id, clock.now() + 60_000);
    clock.advance(120_000);
    try {
      const member = await signIn(t, team.member.email);
      const html = await (await member.get(`/w/${ws}/recordings/${recording.id}`)).text();
      expect(html).toContain('This recording has expired');
      expect(html).not.toContain('<video');
      expect(html).not.toContain('/files/');
      expect(html).not.toContain('data-ts=');
      expect(html).not.toContain('/assets/player.js');
      expect(html).toContain('It broke'); // details stay readable
      const list = await (await member.get(`/w/${ws}/recordings?link=${team.links.member}`)).text();
      expect(list).toContain('Expired');
    } finally {
      clock.advance(-120_000);
    }
  });

  it('changes and clears the expiry (any member, at most a year ahead)', async () => {
    const id = made.owner[0]!;
    const member = await signIn(t, team.member.email);
    const page = `/w/${ws}/recordings/${id}`;
    const csrf = hiddenValue(await (await member.get(page)).text(), 'csrf');
    const access = await requireMember(t.deps, team.member.user.id, ws);

    const set = await member.post(`${page}/expiry`, { csrf, expires_on: '2026-04-01' });
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe(`${page}?flash=expiry-set`);
    expect((await getRecording(t.deps, access, id)).expiresAt).toBe(Date.UTC(2026, 3, 1) + DAY_MS - 1);
    expect(await (await member.get(set.headers.get('location')!)).text()).toContain('Expiry date saved.');

    const tooFar = await member.post(`${page}/expiry`, { csrf, expires_on: '2027-06-01' });
    expect(tooFar.status).toBe(400);
    expect(await tooFar.text()).toContain('at most one year from today');
    const past = await member.post(`${page}/expiry`, { csrf, expires_on: '2026-01-01' });
    expect(past.status).toBe(400);
    expect(await past.text()).toContain('Choose a date after today.');
    expect((await getRecording(t.deps, access, id)).expiresAt).toBe(Date.UTC(2026, 3, 1) + DAY_MS - 1);

    // The last allowed day counts: clamped to exactly one year from now.
    const lastDay = new Date(START + 365 * DAY_MS).toISOString().slice(0, 10);
    expect((await member.post(`${page}/expiry`, { csrf, expires_on: lastDay })).status).toBe(303);
    expect((await getRecording(t.deps, access, id)).expiresAt).toBe(START + 365 * DAY_MS);

    const forged = await member.post(`${page}/expiry`, { clear: '1' });
    expect(forged.status).toBe(403);
    expect((await getRecording(t.deps, access, id)).expiresAt).not.toBeNull();

    const cleared = await member.post(`${page}/expiry`, { csrf, clear: '1' });
    expect(cleared.status).toBe(303);
    expect((await getRecording(t.deps, access, id)).expiresAt).toBeNull();
  });

  it('offers delete only to owners, admins and the link creator; the server refuses anyone else', async () => {
    const id = made.admin[1]!;
    const page = `/w/${ws}/recordings/${id}`;
    const member = await signIn(t, team.member.email);
    const memberHtml = await (await member.get(page)).text();
    expect(memberHtml).not.toContain(`${page}/delete`);
    const csrf = hiddenValue(memberHtml, 'csrf');
    const forged = await member.post(`${page}/delete`, { csrf });
    expect(forged.status).toBe(403);
    const access = await requireMember(t.deps, team.member.user.id, ws);
    expect((await getRecording(t.deps, access, id)).deletedAt).toBeNull();
    // Without JS the confirmation page is not offered to them either.
    expect((await member.get(`${page}/delete`)).status).toBe(303);

    // The link's creator (a member) may delete recordings of their own link.
    const own = made.member[0]!;
    const ownHtml = await (await member.get(`/w/${ws}/recordings/${own}`)).text();
    expect(ownHtml).toContain(`href="/w/${ws}/recordings/${own}/delete" data-confirm="delete-dialog"`);
    expect(ownHtml).toContain('<dialog id="delete-dialog"');

    const admin = await signIn(t, team.admin.email);
    const confirm = await admin.get(`${page}/delete`);
    expect(confirm.status).toBe(200);
    const confirmHtml = await confirm.text();
    expect(confirmHtml).toContain('Delete this recording?');
    const done = await admin.post(`${page}/delete`, { csrf: hiddenValue(confirmHtml, 'csrf') });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/w/${ws}/recordings?flash=recording-deleted`);
    const gone = await admin.get(page);
    expect(gone.status).toBe(410);
    const goneHtml = await gone.text();
    expect(goneHtml).toContain('This recording has been deleted');
    expect(goneHtml).not.toContain('<video');
  });

  it('redirects /recordings/:id to the workspace that holds it, for members only', async () => {
    const id = made.member2[0]!;
    const member = await signIn(t, team.member.email);
    const res = await member.get(`/recordings/${id}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/w/${ws}/recordings/${id}`);

    // A user in two workspaces who opens it under the wrong one is sent to the right one.
    const { workspace: other } = await createWorkspace(t.deps, {
      name: 'Second',
      ownerUserId: team.admin.user.id,
    });
    await addMember(t.deps, other.id, team.member.user.id, 'member');
    const domainId = await insertDomainRow(t.deps, other.id);
    const otherAccess = await requireMember(t.deps, team.admin.user.id, other.id);
    const linkId = await insertLinkRow(t.deps, {
      workspaceId: other.id,
      projectId: (
        await t.deps.db
          .selectFrom('projects')
          .select('id')
          .where('workspace_id', '=', other.id)
          .executeTakeFirstOrThrow()
      ).id,
      domainId,
      creatorMemberId: otherAccess.member.id,
    });
    const elsewhere = await makeRecording(t.deps, linkId);
    const wrong = await member.get(`/w/${ws}/recordings/${elsewhere.id}`);
    expect(wrong.status).toBe(302);
    expect(wrong.headers.get('location')).toBe(`/w/${other.id}/recordings/${elsewhere.id}`);
    const short = await member.get(`/recordings/${elsewhere.id}`);
    expect(short.headers.get('location')).toBe(`/w/${other.id}/recordings/${elsewhere.id}`);

    // Someone in neither workspace gets the same not-found page as for an unknown id.
    const outsider = await signIn(t, team.outsider.email);
    const a = await outsider.get(`/recordings/${elsewhere.id}`);
    const b = await outsider.get('/recordings/rec_unknown');
    expect(a.status).toBe(404);
    expect(await a.text()).toBe(await b.text());
  });
});

describe('dashboard player with STORAGE=s3', () => {
  let s3: TestS3Server;
  let t: TestApp;
  beforeAll(async () => {
    s3 = await startS3Server();
    t = await createTestApp({ env: s3.env });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
  });

  it('plays the video from a presigned URL of the bucket, whose origin the page CSP allows for media', async () => {
    const team = await recordingsWorkspace(t.deps);
    const recording = await makeRecording(t.deps, team.links.admin);
    const member = await signIn(t, team.member.email);
    const res = await member.get(`/w/${team.workspace.id}/recordings/${recording.id}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const video = /<video data-player="" controls="" preload="metadata" src="([^"]+)"/.exec(html);
    const src = video![1]!.replace(/&amp;/g, '&');
    expect(new URL(src).origin).toBe(s3.endpoint);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain(`media-src 'self' ${s3.endpoint}`);
    expect(csp).toContain(`img-src 'self' data: ${s3.endpoint}`);
    const file = await fetch(src);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/webm');
  });
});
