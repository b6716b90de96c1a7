import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/lib/clock.ts';
import { newEventId } from '../../src/services/delivery/events.ts';
import { deliverDue, publish } from '../../src/services/delivery/outbox.ts';
import type { Deps } from '../../src/services/deps.ts';
import { inviteMember } from '../../src/services/invitations.ts';
import { findDelivery, listAttempts, type StoredDelivery } from '../../src/store/deliveries.ts';
import { teamWorkspace, userWithKey } from '../helpers/builders.ts';
import { accessOf } from '../helpers/builders-links.ts';
import { API, jsonInit, recorderLink, startBody, tusUpload } from '../helpers/builders-recorder.ts';
import { DEMO_VIDEO } from '../helpers/builders-recordings.ts';
import {
  followFormsBrowser,
  freePort,
  type ListeningApp,
  startListeningApp,
} from '../helpers/listening-app.ts';
import { authorizeParams, authorizePath, registerClient } from '../helpers/oauth-scenarios.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// E-mail (issue 10 §2, §3) through the real app and a real SMTP server: the invitation reaches the
// invitee with the link the Team page shows; "invitation accepted" reaches the inviter; "recording
// received" reaches the link's creator until they turn it off in Account Settings > Notifications;
// a new Connected App is reported to its user; hostile titles and notes arrive escaped; without
// SMTP_URL nothing is planned; a 451 is retried and then delivered once; a 550 fails at once; the
// Message-ID is the delivery id.

const PASSWORD = 'correct horse battery';
const HOSTILE = '<img src=x onerror=alert(1)>';
let ipCounter = 0;

/** The e-mail deliveries of an event, or of all events, oldest first. */
async function emailDeliveries(deps: Deps, eventType?: string): Promise<StoredDelivery[]> {
  let query = deps.db.selectFrom('deliveries').select('id').where('channel', '=', 'email');
  if (eventType) query = query.where('event_type', '=', eventType);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return Promise.all(rows.map(async (r) => (await findDelivery(deps.db, r.id))!));
}

async function signedIn(app: TestApp['app'], email: string): Promise<PageBrowser> {
  ipCounter += 1;
  const b = new PageBrowser(app, `198.51.100.${ipCounter}`);
  const csrf = await b.csrfFrom('/signin');
  const res = await b.post('/signin', { csrf, email, password: PASSWORD, return_to: '/' });
  expect(res.status).toBe(303);
  return b;
}

async function page(b: PageBrowser, path: string): Promise<string> {
  const res = await b.get(path);
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(200);
  return html;
}

/** Submits a page's form the way a browser does: hidden fields, and only the ticked checkboxes. */
function formOf(html: string, untick: (value: string) => boolean = () => false): URLSearchParams {
  const form = new URLSearchParams();
  for (const [input] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(input)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(input)?.[1] ?? '';
    if (!name) continue;
    if (/type="checkbox"/.test(input)) {
      if (/\bchecked(=|\s|>)/.test(input) && !untick(value)) form.append(name, value);
    } else if (/type="hidden"/.test(input)) form.append(name, value.replaceAll('&amp;', '&'));
  }
  return form;
}

/** A customer records through the link: start, the video with the real tus client, finish. */
async function record(server: ListeningApp, linkId: string, notes: string): Promise<string> {
  const res = await fetch(
    `${server.url}${API}/links/${linkId}/recordings`,
    jsonInit('POST', startBody(DEMO_VIDEO.length, { notes })),
  );
  const body = (await res.json()) as { data: { recordingId: string; uploadToken: string } };
  expect(res.status, JSON.stringify(body)).toBe(201);
  const { recordingId, uploadToken } = body.data;
  await tusUpload(server.url, uploadToken, DEMO_VIDEO);
  const finish = await fetch(`${server.url}${API}/recordings/${recordingId}/finish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${uploadToken}` },
  });
  expect(finish.status).toBe(200);
  return recordingId;
}

describe(`e-mail over SMTP [${testDialect}]`, () => {
  let smtp: TestSmtpServer;
  let server: ListeningApp;
  let host: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startListeningApp({
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'Userplane <support@userplane.test>' },
    });
    host = new URL(server.url).hostname;
  });

  afterAll(async () => {
    server?.t.deps.mailer?.close();
    await server?.close();
    await smtp?.close();
  });

  const deliver = () => deliverDue(server.t.deps);

  it('an invitation made on the Team page is e-mailed to the invitee with the link the page shows; accepting it e-mails the inviter', async () => {
    const { deps, app } = server.t;
    const team = await teamWorkspace(deps);
    const owner = await signedIn(app, team.owner.email);
    const teamPath = `/w/${team.workspace.id}/settings/team`;
    const csrf = hiddenValue(await page(owner, teamPath), 'csrf');
    const invitee = `invitee-${Date.now()}@example.com`;
    const res = await owner.post(`${teamPath}/invite`, { csrf, email: invitee, role: 'member' });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain(`An e-mail with this link is on its way to ${invitee}`);
    const shownLink = /id="invitation-link" type="text" readonly="" value="([^"]+)"/.exec(html)?.[1];
    expect(shownLink).toMatch(new RegExp(`^${server.url}/invite/`));

    const [delivery] = await emailDeliveries(deps, 'invitation.created');
    expect(delivery?.summary).toBe(`Invitation to ${invitee}`);
    // The payload holds the token: it is sealed at rest.
    expect(delivery?.sealedPayload).not.toContain(shownLink!.split('/invite/')[1]);
    await deliver();
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(invitee));
    expect(mail.to).toEqual([invitee]);
    expect(mail.from).toBe('support@userplane.test');
    expect(mail.subject).toBe(`${team.owner.user.name} invited you to Acme Support on Userplane`);
    expect(mail.messageId).toBe(`<${delivery!.id}@${host}>`);
    expect(mail.text).toContain(`Accept the invitation: ${shownLink}`);
    expect(mail.text).toContain('If you did not expect it, ignore it');
    expect(mail.html).toContain(`href="${shownLink}"`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    // An invitation is not a notification of the invitee's: nothing to unsubscribe from.
    expect(mail.raw).not.toMatch(/^List-Unsubscribe:/im);
    expect((await findDelivery(deps.db, delivery!.id))?.status).toBe('delivered');

    // The link in the e-mail works: the invitee signs up with that address and accepts.
    const path = new URL(/Accept the invitation: (\S+)/.exec(mail.text)![1]!).pathname;
    ipCounter += 1;
    const browser = new PageBrowser(app, `198.51.100.${ipCounter}`);
    expect(await page(browser, path)).toContain('You are invited to Acme Support');
    const signupCsrf = await browser.csrfFrom(`/signup?return_to=${encodeURIComponent(path)}`);
    const signup = await browser.post('/signup', {
      csrf: signupCsrf,
      name: 'Ines Invitee',
      email: invitee,
      password: PASSWORD,
      return_to: path,
    });
    expect(signup.status).toBe(303);
    const acceptCsrf = hiddenValue(await page(browser, path), 'csrf');
    const accepted = await browser.post(path, { csrf: acceptCsrf });
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe(`/w/${encodeURIComponent(team.workspace.id)}/recordings`);

    await deliver();
    const joined = await smtp.waitFor(
      (m) => m.envelopeTo.includes(team.owner.email) && m.subject.includes('joined'),
    );
    expect(joined.subject).toBe('Ines Invitee joined Acme Support');
    expect(joined.text).toContain(
      `Ines Invitee (${invitee}) accepted your invitation and joined Acme Support as member.`,
    );
    expect(joined.text).toContain(`Turn these e-mails off: ${server.url}/account/notifications`);
    expect(joined.raw).toContain(`List-Unsubscribe: <${server.url}/account/notifications>`);
  });

  it('"recording received" goes to the link creator, escaped; turning it off in Notifications stops it', async () => {
    const { deps, app } = server.t;
    const link = await recorderLink(deps, { reusable: true, title: `Checkout ${HOSTILE}` });
    const notes = `It breaks <script>alert("x")</script> when I press Pay\nsecond line ${HOSTILE}`;
    const recordingId = await record(server, link.linkId, notes);
    const [planned] = await emailDeliveries(deps, 'recording.ready').then((all) =>
      all.filter((d) => d.workspaceId === link.workspace.id),
    );
    expect(planned?.targetId).toBe(link.member.user.id);
    await deliver();
    const mail = await smtp.waitFor(
      (m) => m.envelopeTo.includes(link.member.email) && m.subject.startsWith('New recording'),
    );
    expect(mail.messageId).toBe(`<${planned!.id}@${host}>`);
    // Plain text carries the words as typed; the HTML only as text.
    expect(mail.subject).toBe(`New recording: Checkout ${HOSTILE}`);
    expect(mail.text).toContain(`A customer sent a recording through your link “Checkout ${HOSTILE}”.`);
    expect(mail.text).toContain('> It breaks <script>alert("x")</script> when I press Pay');
    expect(mail.text).toContain(`Watch the recording: ${server.url}/w/`);
    expect(mail.text).toContain(recordingId);
    expect(mail.html).toContain('Checkout &lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(mail.html).not.toMatch(/<img|<script|onerror=alert\(1\)>/i);
    // No remote anything: the only URLs are links to our own pages.
    expect(mail.html).not.toMatch(/<[^>]*\ssrc=/i);
    for (const [, href] of mail.html.matchAll(/href="([^"]+)"/g))
      expect(href!.startsWith(server.url)).toBe(true);
    expect(mail.text).toContain(`Turn these e-mails off: ${server.url}/account/notifications`);

    // The creator turns "recording received by e-mail" off for this workspace (and only that).
    const member = await signedIn(app, link.member.email);
    const html = await page(member, '/account/notifications');
    expect(html).toContain('Recording received — e-mail me');
    const section = html.slice(html.indexOf(`data-workspace="${link.workspace.id}"`));
    const index = /value="(\d+)\.re"/.exec(section)![1];
    const form = formOf(html, (value) => value === `${index}.re`);
    expect(form.getAll('p')).toContain(`${index}.rs`);
    const saved = await member.request('/account/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(saved.status).toBe(303);
    const after = await page(member, saved.headers.get('location')!);
    expect(after).toContain('Notification settings saved');
    expect(after).not.toMatch(new RegExp(`value="${index}\\.re" checked`));
    expect(after).toMatch(new RegExp(`value="${index}\\.rs" checked`));
    // Only the changed choice is stored; the others keep following the default.
    const rows = await deps.db
      .selectFrom('notification_preferences')
      .selectAll()
      .where('user_id', '=', link.member.user.id)
      .execute();
    expect(rows.map((r) => [r.workspace_id, r.topic, r.channel, Number(r.enabled)])).toEqual([
      [link.workspace.id, 'recording_received', 'email', 0],
    ]);

    const before = smtp.messages.length;
    await record(server, link.linkId, 'again');
    const ready = (await emailDeliveries(deps, 'recording.ready')).filter(
      (d) => d.workspaceId === link.workspace.id,
    );
    expect(ready).toHaveLength(1); // nothing planned for the second recording
    await deliver();
    expect(smtp.messages.slice(before).filter((m) => m.envelopeTo.includes(link.member.email))).toEqual([]);
  });

  it('a newly connected app is e-mailed to its user, who can turn that off', async () => {
    const { deps, app } = server.t;
    const who = await userWithKey(deps, 'Connector');
    const connect = async (name: string) => {
      const reg = await registerClient(app, {
        client_name: name,
        redirect_uris: ['http://127.0.0.1/callback'],
      });
      expect(reg.status).toBe(201);
      const client = (await reg.json()) as { client_id: string };
      const { params } = authorizeParams(client.client_id, 'http://127.0.0.1/callback');
      const callback = await followFormsBrowser(`${server.url}${authorizePath(params)}`, {
        email: who.email,
        password: PASSWORD,
      });
      expect(callback.searchParams.get('code')).toBeTruthy();
    };
    await connect(`Evil ${HOSTILE} Agent`);
    await deliver();
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(who.email));
    expect(mail.subject).toBe(`New app connected to your Userplane account: Evil ${HOSTILE} Agent`);
    expect(mail.text).toContain(`An application calling itself “Evil ${HOSTILE} Agent”`);
    expect(mail.text).toContain(`${server.url}/account/connections`);
    expect(mail.html).toContain('Evil &lt;img src=x onerror=alert(1)&gt; Agent');
    expect(mail.html).not.toMatch(/<img/i);
    const [delivery] = (await emailDeliveries(deps, 'connected_app.authorized')).filter(
      (d) => d.targetId === who.user.id,
    );
    expect(delivery?.workspaceId).toBeNull(); // account-wide: in no workspace's delivery log
    expect(mail.messageId).toBe(`<${delivery!.id}@${host}>`);

    // Off (account-wide), then a second app: no e-mail.
    const b = await signedIn(app, who.email);
    const html = await page(b, '/account/notifications');
    expect(html).toContain('You are not a member of any workspace yet.');
    const saved = await b.request('/account/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formOf(html, (v) => v === 'a.ce').toString(),
    });
    expect(saved.status).toBe(303);
    await connect('Second Agent');
    const mine = (await emailDeliveries(deps, 'connected_app.authorized')).filter(
      (d) => d.targetId === who.user.id,
    );
    expect(mine).toHaveLength(1);
  });

  it('a name with line breaks cannot add a header or a recipient', async () => {
    const { deps } = server.t;
    const who = await userWithKey(deps, 'Target');
    // Published directly: the registration endpoint's own checks are not what this test is about.
    await publish(deps, deps.db, {
      type: 'connected_app.authorized',
      id: newEventId(deps),
      at: deps.clock.now(),
      workspaceId: null,
      userId: who.user.id,
      clientId: 'client-x',
      clientName: 'Agent\r\nBcc: victim@example.com\r\n\r\n<b>body</b>\u202Egnp.exe',
      ip: '203.0.113.9',
      userAgent: 'UA\r\nX-Injected: yes',
    });
    await deliver();
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(who.email));
    expect(mail.envelopeTo).toEqual([who.email]);
    expect(mail.raw).not.toMatch(/^(Bcc|X-Injected):/im);
    expect(mail.subject).toBe(
      'New app connected to your Userplane account: Agent Bcc: victim@example.com <b>body</b> gnp.exe',
    );
    expect(mail.html).toContain('&lt;b&gt;body&lt;/b&gt;');
    expect(mail.text).not.toContain('\u202E');
  });

  it('the Notifications form refuses a POST without its CSRF token and changes nothing', async () => {
    const { deps, app } = server.t;
    const team = await teamWorkspace(deps);
    const b = await signedIn(app, team.admin.email);
    const html = await page(b, '/account/notifications');
    const form = formOf(html, () => true);
    form.set('csrf', 'forged');
    const res = await b.request('/account/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(res.status).toBe(403);
    const rows = await deps.db
      .selectFrom('notification_preferences')
      .selectAll()
      .where('user_id', '=', team.admin.user.id)
      .execute();
    expect(rows).toEqual([]);
  });
});

describe(`e-mail retries [${testDialect}]`, () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  const clock = fakeClock(Date.now());

  beforeAll(async () => {
    smtp = await startSmtpServer();
    t = await createTestApp({
      clock,
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'support@userplane.test' },
    });
  });

  afterAll(async () => {
    t?.deps.mailer?.close();
    await t?.close();
    await smtp?.close();
  });

  async function invite(email: string): Promise<StoredDelivery> {
    const team = await teamWorkspace(t.deps);
    await inviteMember(t.deps, await accessOf(t.deps, team.owner, team.workspace.id), {
      email,
      role: 'member',
    });
    const found = (await emailDeliveries(t.deps, 'invitation.created')).find((d) =>
      d.summary.endsWith(email),
    );
    expect(found).toBeDefined();
    return found!;
  }

  it('a 451 is tried again after the backoff and then delivered exactly once', async () => {
    const email = 'retry-451@example.com';
    const delivery = await invite(email);
    smtp.rejectNext(1);
    const first = await deliverDue(t.deps);
    expect(first).toMatchObject({ delivered: 0, retried: 1, failed: 0 });
    expect(smtp.rejected).toBe(1);
    const waiting = await findDelivery(t.deps.db, delivery.id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 451 });
    expect(waiting!.lastError).toContain('451');
    // Not due yet: nothing is sent before the backoff (10 s ± 10 %).
    expect(await deliverDue(t.deps)).toMatchObject({ delivered: 0, retried: 0 });
    clock.advance(12_000);
    expect(await deliverDue(t.deps)).toMatchObject({ delivered: 1, retried: 0 });
    const got = smtp.messages.filter((m) => m.envelopeTo.includes(email));
    expect(got).toHaveLength(1);
    expect(got[0]!.messageId).toBe(`<${delivery.id}@localhost>`);
    const attempts = await listAttempts(t.deps.db, delivery.id);
    expect(attempts.map((a) => [a.ok, a.statusCode])).toEqual([
      [false, 451],
      [true, null],
    ]);
  });

  it('a 550 fails at once, with the refusal in the log', async () => {
    const email = 'refused-550@example.com';
    const delivery = await invite(email);
    smtp.rejectNext(1, 550);
    expect(await deliverDue(t.deps)).toMatchObject({ delivered: 0, retried: 0, failed: 1 });
    const row = await findDelivery(t.deps.db, delivery.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 550 });
    clock.advance(60 * 60_000);
    await deliverDue(t.deps);
    expect(smtp.messages.filter((m) => m.envelopeTo.includes(email))).toEqual([]);
  });

  it('an SMTP server that cannot be reached is tried again later', async () => {
    const port = await freePort(); // nothing listens there
    const down = await createTestApp({
      clock,
      env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'support@userplane.test' },
    });
    try {
      const team = await teamWorkspace(down.deps);
      await inviteMember(down.deps, await accessOf(down.deps, team.owner, team.workspace.id), {
        email: 'unreachable@example.com',
        role: 'member',
      });
      expect(await deliverDue(down.deps)).toMatchObject({ delivered: 0, retried: 1, failed: 0 });
      const [row] = await emailDeliveries(down.deps);
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row!.lastError).toMatch(/ECONNECTION|ESOCKET|ECONNREFUSED/);
    } finally {
      down.deps.mailer?.close();
      await down.close();
    }
  });
});

describe(`without SMTP_URL [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('plans no e-mail, the Team page keeps the link to copy, and Notifications says no e-mail is sent', async () => {
    expect(t.deps.mailer).toBeNull();
    const team = await teamWorkspace(t.deps);
    const owner = await signedIn(t.app, team.owner.email);
    const teamPath = `/w/${team.workspace.id}/settings/team`;
    const csrf = hiddenValue(await page(owner, teamPath), 'csrf');
    const res = await owner.post(`${teamPath}/invite`, { csrf, email: 'nomail@example.com', role: 'member' });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('Send this link to them yourself');
    expect(html).not.toContain('on its way');
    expect(html).toMatch(/value="http:\/\/localhost:3000\/invite\//);
    expect(await emailDeliveries(t.deps)).toEqual([]);
    const settings = await page(owner, '/account/notifications');
    expect(settings).toContain('This server sends no e-mail: SMTP_URL is not set.');
  });
});
