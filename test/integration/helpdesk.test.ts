import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue, RETRY_SCHEDULE_MS } from '../../src/services/delivery/outbox.ts';
import { connectIntegration } from '../../src/services/integrations.ts';
import { listAttempts, listDeliveries } from '../../src/store/deliveries.ts';
import {
  type DeliveryApp,
  pageOf,
  providerLink,
  recordThrough,
  startDeliveryApp,
  submitConnect,
} from '../helpers/builders-integrations.ts';
import { accessOf } from '../helpers/builders-links.ts';
import {
  type FakeServer,
  type IntercomNote,
  startFakeIntercom,
  startFakeZendesk,
  type ZendeskComment,
} from '../helpers/helpdesk-fakes.ts';
import { testDialect } from '../helpers/test-app.ts';

// Help-desk notes (issue 10 §6) end to end: an admin connects Intercom / Zendesk on Workspace
// Settings > Integrations (the base URL pointing at a local fake that checks the documented request
// shape), a customer records through a link made for a conversation/ticket, the worker posts the
// internal note. A provider 500 is retried after the backoff and then lands once; a 401 fails at
// once and the page says "Reconnect Intercom" until credentials are saved again; a 404 names the
// conversation. Tokens never appear in pages or in the delivery log.

const INTERCOM_TOKEN = 'dG9rOmludGVyY29tLXNlY3JldC10b2tlbi0xMjM0NTY=';
const ZENDESK_TOKEN = 'zdTokenSecretValue0987654321abcd';
const AGENT = 'agent@acme.example';

let app: DeliveryApp;
let intercom: FakeServer<IntercomNote>;
let zendesk: FakeServer<ZendeskComment>;

beforeAll(async () => {
  app = await startDeliveryApp();
  intercom = await startFakeIntercom({
    token: INTERCOM_TOKEN,
    adminId: '814860',
    conversations: ['215469', '215470'],
  });
  zendesk = await startFakeZendesk({ email: AGENT, token: ZENDESK_TOKEN, tickets: ['4512', '4513'] });
});

afterAll(async () => {
  await app?.close();
  await intercom?.close();
  await zendesk?.close();
});

/** Moves the fake clock past the longest first backoff (10 s + 10% jitter). */
function pastFirstRetry() {
  app.clock.advance(RETRY_SCHEDULE_MS[0] * 1.2);
}

async function intercomWorkspace(token = INTERCOM_TOKEN) {
  const link = await providerLink(app, { providerType: 'intercom', providerId: '215469' });
  const admin = await app.signIn(link.admin.email);
  const res = await submitConnect(admin, link.workspace.id, 'intercom', {
    accessToken: token,
    adminId: '814860',
    baseUrl: intercom.url,
  });
  expect(res.status, await res.clone().text()).toBe(303);
  return { link, admin };
}

async function providerDeliveries(workspaceId: string, channel: 'intercom' | 'zendesk') {
  return listDeliveries(app.t.deps.db, workspaceId, { channel, limit: 50 });
}

describe(`help-desk notes [${testDialect}]`, () => {
  it('Intercom: connected on the page, a recording through a conversation link becomes an admin note with the summary and player URL', async () => {
    const { link, admin } = await intercomWorkspace();
    const ws = link.workspace.id;
    const settings = (await pageOf(admin, `/w/${ws}/settings/integrations?done=intercom-connected`)).html;
    expect(settings).toContain('Intercom connected');
    expect(settings).toContain(`…${INTERCOM_TOKEN.slice(-4)}`);
    expect(settings).not.toContain(INTERCOM_TOKEN);

    const before = intercom.accepted.length;
    const recordingId = await recordThrough(app, link, {
      notes: 'Pay does nothing <script>alert(1)</script> & "quotes"\nsecond line',
      consoleErrors: 2,
    });
    const run = await deliverDue(app.t.deps);
    expect(run.delivered).toBeGreaterThanOrEqual(1);
    expect(intercom.accepted.length).toBe(before + 1);
    const note = intercom.accepted.at(-1)!;
    expect(note.conversationId).toBe('215469');
    expect(note.adminId).toBe('814860');
    expect(note.body).toContain('Checkout fails on Pay');
    expect(note.body).toContain('3 s');
    expect(note.body).toContain('2 console errors');
    expect(note.body).toContain(`${app.url}/w/${ws}/recordings/${recordingId}`);
    // The customer's text is escaped, never markup; line breaks become <br>.
    expect(note.body).toContain(
      'Pay does nothing &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;<br>second line',
    );
    expect(note.body).not.toContain('<script>');

    const [delivery] = await providerDeliveries(ws, 'intercom');
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    // The delivery id is the idempotency key the provider sees.
    expect(note.idempotencyKey).toBe(delivery!.id);
    expect(delivery!.summary).toContain('Intercom conversation 215469');
    const page = (await pageOf(admin, `/w/${ws}/settings/integrations`)).html;
    expect(page).toContain('Intercom conversation 215469');
    expect(page).toContain('delivered');
    const auditLog = (await pageOf(admin, `/w/${ws}/audit`)).html;
    expect(auditLog).toContain('connected Intercom');
    expect(auditLog).not.toContain(INTERCOM_TOKEN);
  });

  it('Zendesk: a private comment in plain text on the ticket, Basic auth with "<email>/token:<api token>"', async () => {
    const link = await providerLink(app, {
      providerType: 'zendesk',
      providerId: '4512',
      title: 'Refund page',
    });
    const ws = link.workspace.id;
    const owner = await app.signIn(link.owner.email);
    const res = await submitConnect(owner, ws, 'zendesk', {
      baseUrl: zendesk.url,
      email: AGENT,
      apiToken: ZENDESK_TOKEN,
    });
    expect(res.status, await res.clone().text()).toBe(303);
    const before = zendesk.accepted.length;
    const recordingId = await recordThrough(app, link, { notes: 'The <b>refund</b> button & more' });
    await deliverDue(app.t.deps);
    expect(zendesk.accepted.length).toBe(before + 1);
    const comment = zendesk.accepted.at(-1)!;
    expect(comment.ticketId).toBe('4512');
    expect(comment.body).toContain('Refund page');
    // Plain text: shown by Zendesk as typed.
    expect(comment.body).toContain('The <b>refund</b> button & more');
    expect(comment.body).toContain('no console errors');
    expect(comment.body).toContain(`${app.url}/w/${ws}/recordings/${recordingId}`);
    const [delivery] = await providerDeliveries(ws, 'zendesk');
    expect(delivery).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
    expect(comment.idempotencyKey).toBe(delivery!.id);
    const page = (await pageOf(owner, `/w/${ws}/settings/integrations`)).html;
    expect(page).toContain(`…${ZENDESK_TOKEN.slice(-4)}`);
    expect(page).not.toContain(ZENDESK_TOKEN);
    expect(page).toContain(AGENT);
  });

  it('a provider 500 is retried after the backoff and then lands exactly once; the log shows both tries', async () => {
    const { link } = await intercomWorkspace();
    const before = intercom.accepted.length;
    const received = intercom.received.length;
    intercom.failNext(500);
    await recordThrough(app, link);
    const first = await deliverDue(app.t.deps);
    expect(first.retried).toBe(1);
    expect(intercom.received.length).toBe(received + 1);
    // Not due yet: nothing is sent again before the backoff ran out.
    await deliverDue(app.t.deps);
    expect(intercom.received.length).toBe(received + 1);
    pastFirstRetry();
    const second = await deliverDue(app.t.deps);
    expect(second.delivered).toBe(1);
    expect(intercom.accepted.length).toBe(before + 1);
    const [delivery] = await providerDeliveries(link.workspace.id, 'intercom');
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2 });
    const attempts = await listAttempts(app.t.deps.db, delivery!.id);
    expect(attempts.map((a) => [a.ok, a.statusCode])).toEqual([
      [false, 500],
      [true, 200],
    ]);
    expect(attempts[0]!.error).toContain('Intercom answered 500');
  });

  it('a 401 fails without a retry and the page says "Reconnect Intercom" until new credentials are saved', async () => {
    const { link, admin } = await intercomWorkspace('wrong-token-value-9876');
    const ws = link.workspace.id;
    const received = intercom.received.length;
    await recordThrough(app, link);
    const run = await deliverDue(app.t.deps);
    expect(run.failed).toBe(1);
    expect(intercom.received.length).toBe(received + 1);
    expect(intercom.received.at(-1)!.status).toBe(401);
    pastFirstRetry();
    await deliverDue(app.t.deps);
    expect(intercom.received.length).toBe(received + 1);
    const [delivery] = await providerDeliveries(ws, 'intercom');
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 401 });
    expect(delivery!.lastError).toContain('Intercom refused the access token (401: Access Token Invalid)');

    const warned = (await pageOf(admin, `/w/${ws}/settings/integrations`)).html;
    expect(warned).toContain('Reconnect Intercom');
    expect(warned).toContain('needs reconnecting');
    expect(warned).not.toContain('wrong-token-value-9876');
    // The deliveries log shows the failure too.
    const log = (await pageOf(admin, `/w/${ws}/settings/deliveries?channel=intercom`)).html;
    expect(log).toContain('failed');

    // Saving a token again (the rest of the settings kept) reconnects.
    const res = await submitConnect(admin, ws, 'intercom', {
      accessToken: INTERCOM_TOKEN,
      adminId: '814860',
      baseUrl: intercom.url,
    });
    expect(res.status).toBe(303);
    const fixed = (await pageOf(admin, `/w/${ws}/settings/integrations`)).html;
    expect(fixed).not.toContain('Reconnect Intercom');
    const before = intercom.accepted.length;
    await recordThrough(app, await providerLinkIn(link, '215470'));
    await deliverDue(app.t.deps);
    expect(intercom.accepted.length).toBe(before + 1);
    expect(intercom.accepted.at(-1)!.conversationId).toBe('215470');
  });

  it('a 404 fails without a retry and names the conversation', async () => {
    const link = await providerLink(app, { providerType: 'intercom', providerId: '999999' });
    await connectIntegration(
      app.t.deps,
      await accessOf(app.t.deps, link.owner, link.workspace.id),
      'intercom',
      {
        accessToken: INTERCOM_TOKEN,
        adminId: '814860',
        baseUrl: intercom.url,
      },
    );
    await recordThrough(app, link);
    expect((await deliverDue(app.t.deps)).failed).toBe(1);
    const [delivery] = await providerDeliveries(link.workspace.id, 'intercom');
    expect(delivery).toMatchObject({ status: 'failed', lastStatusCode: 404 });
    expect(delivery!.lastError).toContain('Intercom conversation 999999 was not found (404)');
  });

  it('a link without a provider, or for a provider the workspace has not connected, gets no note', async () => {
    const plain = await providerLink(app);
    await connectIntegration(
      app.t.deps,
      await accessOf(app.t.deps, plain.owner, plain.workspace.id),
      'intercom',
      {
        accessToken: INTERCOM_TOKEN,
        adminId: '814860',
        baseUrl: intercom.url,
      },
    );
    const received = intercom.received.length + zendesk.received.length;
    await recordThrough(app, plain);
    // Zendesk ticket link, but only Intercom is connected in that workspace.
    const zendeskLink = await providerLink(app, { providerType: 'zendesk', providerId: '4512' });
    await recordThrough(app, zendeskLink);
    await deliverDue(app.t.deps);
    expect(intercom.received.length + zendesk.received.length).toBe(received);
    expect(await providerDeliveries(plain.workspace.id, 'intercom')).toEqual([]);
    expect(await providerDeliveries(zendeskLink.workspace.id, 'zendesk')).toEqual([]);
  });

  it('the fakes are strict: a request off the documented shape is refused (so the passing tests mean the shape is right)', async () => {
    const intercomNote = (
      headers: Record<string, string>,
      body: unknown,
      path = '/conversations/215469/reply',
    ) =>
      fetch(`${intercom.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const good = { authorization: `Bearer ${INTERCOM_TOKEN}`, 'intercom-version': '2.11' };
    const note = { message_type: 'note', type: 'admin', admin_id: '814860', body: '<p>x</p>' };
    expect((await intercomNote(good, note)).status).toBe(200);
    expect((await intercomNote({ ...good, 'intercom-version': '2.10' }, note)).status).toBe(400);
    expect((await intercomNote({ ...good, authorization: 'Bearer nope' }, note)).status).toBe(401);
    expect((await intercomNote(good, { ...note, message_type: 'comment' })).status).toBe(400);
    expect((await intercomNote(good, { ...note, type: 'user' })).status).toBe(400);
    expect((await intercomNote(good, note, '/conversations/215469/parts')).status).toBe(400);
    const zendeskPut = (method: string, body: unknown, email = AGENT) =>
      fetch(`${zendesk.url}/api/v2/tickets/4512.json`, {
        method,
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${email}/token:${ZENDESK_TOKEN}`).toString('base64')}`,
        },
        body: JSON.stringify(body),
      });
    expect((await zendeskPut('PUT', { ticket: { comment: { body: 'x', public: false } } })).status).toBe(200);
    expect((await zendeskPut('PUT', { ticket: { comment: { body: 'x', public: true } } })).status).toBe(400);
    expect((await zendeskPut('PUT', { ticket: { comment: { body: 'x' } } })).status).toBe(400);
    expect((await zendeskPut('POST', { ticket: { comment: { body: 'x', public: false } } })).status).toBe(
      400,
    );
    expect(
      (await zendeskPut('PUT', { ticket: { comment: { body: 'x', public: false } } }, 'other@x.example'))
        .status,
    ).toBe(401);
  });

  it('tokens are sealed at rest and never in the delivery log or the logs (S37)', async () => {
    const rows = await app.t.deps.db.selectFrom('workspace_integrations').selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    const deliveries = await app.t.deps.db.selectFrom('deliveries').selectAll().execute();
    const attempts = await app.t.deps.db.selectFrom('delivery_attempts').selectAll().execute();
    const everything = JSON.stringify([rows, deliveries, attempts]);
    // S37: nor in any log line (the refusal is logged, without the token).
    const logs = app.logLines.join('');
    expect(logs).toContain('integration credentials refused');
    for (const secret of [INTERCOM_TOKEN, ZENDESK_TOKEN, 'wrong-token-value-9876']) {
      expect(everything).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });

  it('members are refused the page and the forms (403, nothing changes); outsiders see not-found', async () => {
    const link = await providerLink(app);
    const ws = link.workspace.id;
    const member = await app.signIn(link.member.email);
    const res = await member.get(`/w/${ws}/settings/integrations`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('admin or owner');
    // A forged POST with a valid CSRF token from another page is refused too.
    const { csrf } = await pageOf(member, `/w/${ws}/settings`);
    const forged = await member.post(`/w/${ws}/settings/integrations/intercom`, {
      csrf,
      accessToken: INTERCOM_TOKEN,
      adminId: '1',
      baseUrl: intercom.url,
    });
    expect(forged.status).toBe(403);
    expect(
      await app.t.deps.db
        .selectFrom('workspace_integrations')
        .where('workspace_id', '=', ws)
        .selectAll()
        .execute(),
    ).toEqual([]);
    const outsider = await app.signIn(link.outsider.email);
    expect((await outsider.get(`/w/${ws}/settings/integrations`)).status).toBe(404);
  });

  it('bad input is 400 naming the field and saves nothing; disconnect deletes the credentials', async () => {
    const link = await providerLink(app);
    const ws = link.workspace.id;
    const admin = await app.signIn(link.admin.email);
    const cases: Array<[string, Record<string, string>, string]> = [
      ['intercom', { accessToken: '', adminId: '1', baseUrl: '' }, 'AccessToken is required'],
      ['intercom', { accessToken: 'tok', adminId: 'not an id', baseUrl: '' }, 'AdminId must be'],
      [
        'intercom',
        { accessToken: 'tok', adminId: '1', baseUrl: 'http://example.com' },
        'BaseUrl must start with https://',
      ],
      ['zendesk', { subdomain: 'Not A Subdomain!', email: AGENT, apiToken: 'tok' }, 'Subdomain must be'],
      ['zendesk', { subdomain: 'acme', email: 'nope', apiToken: 'tok' }, 'Email must be'],
      ['slack', { webhookUrl: 'ftp://hooks.slack.com/x' }, 'WebhookUrl must start with https://'],
    ];
    for (const [provider, fields, message] of cases) {
      const res = await submitConnect(admin, ws, provider as 'slack', fields);
      const html = await res.text();
      expect(res.status, `${provider} ${JSON.stringify(fields)}`).toBe(400);
      expect(html).toContain(message);
    }
    expect(
      await app.t.deps.db
        .selectFrom('workspace_integrations')
        .where('workspace_id', '=', ws)
        .selectAll()
        .execute(),
    ).toEqual([]);

    const ok = await submitConnect(admin, ws, 'zendesk', {
      subdomain: 'acme',
      email: AGENT,
      apiToken: ZENDESK_TOKEN,
    });
    expect(ok.status).toBe(303);
    const connected = (await pageOf(admin, `/w/${ws}/settings/integrations`)).html;
    expect(connected).toContain('https://acme.zendesk.com');
    const { csrf } = await pageOf(admin, `/w/${ws}/settings/integrations`);
    const off = await admin.post(`/w/${ws}/settings/integrations/zendesk/disconnect`, { csrf });
    expect(off.status).toBe(303);
    expect(
      await app.t.deps.db
        .selectFrom('workspace_integrations')
        .where('workspace_id', '=', ws)
        .selectAll()
        .execute(),
    ).toEqual([]);
  });

  it('REST: PUT connects (no credential in any answer), GET lists, members get 403, stray fields 400, DELETE disconnects', async () => {
    const link = await providerLink(app);
    const ws = link.workspace.id;
    const base = `${app.url}/api/v1/public/workspace/${ws}/integrations`;
    const call = (who: { headers: Record<string, string> }, method: string, path = '', body?: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: { ...who.headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const put = await call(link.admin, 'PUT', '/zendesk', {
      baseUrl: zendesk.url,
      email: AGENT,
      apiToken: ZENDESK_TOKEN,
    });
    const putText = await put.text();
    expect(put.status, putText).toBe(200);
    expect(putText).not.toContain(ZENDESK_TOKEN);
    expect(JSON.parse(putText).data).toMatchObject({
      provider: 'zendesk',
      status: 'connected',
      secretHint: `…${ZENDESK_TOKEN.slice(-4)}`,
      baseUrl: zendesk.url,
      agentEmail: AGENT,
    });
    const listed = await call(link.owner, 'GET');
    const listedText = await listed.text();
    expect(listed.status).toBe(200);
    expect(listedText).not.toContain(ZENDESK_TOKEN);
    expect((JSON.parse(listedText) as { data: { integrations: unknown[] } }).data.integrations).toHaveLength(
      1,
    );

    expect((await call(link.member, 'GET')).status).toBe(403);
    expect(
      (await call(link.member, 'PUT', '/slack', { webhookUrl: 'https://hooks.slack.com/services/x' })).status,
    ).toBe(403);
    expect((await call(link.outsider, 'GET')).status).toBe(403);
    const stray = await call(link.admin, 'PUT', '/slack', {
      webhookUrl: 'https://hooks.slack.com/services/x',
      apiToken: 'x',
    });
    expect(stray.status).toBe(400);
    expect(await stray.json()).toMatchObject({
      error: 'VALIDATION_FAILED',
      message: 'apiToken: is not a setting of Slack',
    });
    expect((await call(link.admin, 'PUT', '/teams', {})).status).toBe(400);

    expect((await call(link.admin, 'DELETE', '/zendesk')).status).toBe(200);
    expect((await call(link.admin, 'DELETE', '/zendesk')).status).toBe(404);
  });
});

/** Another link in the same workspace for `conversationId`. */
async function providerLinkIn(
  link: Awaited<ReturnType<typeof providerLink>>,
  conversationId: string,
): Promise<{ linkId: string; origin: string }> {
  const res = await fetch(`${app.url}/api/v1/public/workspace/${link.workspace.id}/links`, {
    method: 'POST',
    headers: { ...link.member.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ domainId: link.domainId }),
  });
  const created = (await res.json()) as { data: { linkId: string } };
  expect(res.status, JSON.stringify(created)).toBe(201);
  const put = await fetch(
    `${app.url}/api/v1/public/workspace/${link.workspace.id}/links/${created.data.linkId}`,
    {
      method: 'PUT',
      headers: { ...link.member.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ linkProviderType: 'intercom', linkProviderId: conversationId }),
    },
  );
  expect(put.status).toBe(200);
  return { linkId: created.data.linkId, origin: link.origin };
}
