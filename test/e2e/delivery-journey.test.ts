import type { Browser } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeliveryWorker } from '../../src/services/delivery/outbox.ts';
import { recorderLink } from '../helpers/builders-recorder.ts';
import { type FakeServer, startFakeZendesk, type ZendeskComment } from '../helpers/helpdesk-fakes.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { mcpClientFor } from '../helpers/mcp-client.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { launchBrowser, SEE_MS, screenshot, see, signIn, watchedContext } from './helpers.ts';

// Issue 10, the whole chain in one Chromium journey: an agent working a Zendesk ticket has their AI
// client create a recording link for ticket 4242 (MCP userplane_create_link with providerType
// zendesk); an admin has connected Zendesk and added a webhook endpoint in Workspace Settings; the
// customer records through the link in the recorder page. Then, through the server's own delivery
// worker: the fake Zendesk receives the internal note on ticket 4242 in its documented shape, the
// agent receives the "recording received" e-mail over real SMTP, and the webhook receiver gets a
// recording.ready whose Standard Webhooks signature verifies. The Deliveries page shows all three.

const ZENDESK = { email: 'agent@acme.example', token: 'zd-api-token-0123456789' };

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('recording → ticket note, e-mail and webhook (Chromium)', () => {
  let server: ListeningApp;
  let smtp: TestSmtpServer;
  let receiver: WebhookReceiver;
  let zendesk: FakeServer<ZendeskComment>;
  let browser: Browser;
  let worker: ReturnType<typeof startDeliveryWorker>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    receiver = await startWebhookReceiver();
    zendesk = await startFakeZendesk({ ...ZENDESK, tickets: ['4242'] });
    server = await startListeningApp({
      env: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Userplane <noreply@userplane.example>',
        // The receivers are on loopback.
        ALLOW_PRIVATE_NETWORK_FETCH: 'true',
      },
    });
    // The worker as `serve` runs it (src/main.ts), woken by each commit.
    const { deps } = server.t;
    worker = startDeliveryWorker(deps, { intervalMs: 250, onError: (error) => console.error(error) });
    deps.wakeDeliveries = worker.wake;
    browser = await launchBrowser({ fakeMedia: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.close();
    await Promise.all([smtp?.close(), receiver?.close(), zendesk?.close()]);
  });

  it('a recording through a Zendesk link lands in the ticket, the inbox and the webhook', async () => {
    const { deps } = server.t;
    const team = await recorderLink(deps);
    const ws = team.workspace.id;

    // The admin connects Zendesk and adds a webhook endpoint, in the dashboard.
    const { context: adminContext, watch } = await watchedContext(browser, server.url);
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, { email: team.admin.email, password: 'correct horse battery' });
    await admin.goto(`${server.url}/w/${ws}/settings/integrations`);
    await admin.locator('#zendesk-baseUrl').fill(zendesk.url);
    await admin.locator('#zendesk-email').fill(ZENDESK.email);
    await admin.locator('#zendesk-apiToken').fill(ZENDESK.token);
    await admin.getByRole('button', { name: 'Connect Zendesk' }).click();
    await see(admin.getByRole('button', { name: 'Save Zendesk settings' }));
    expect(await admin.content()).not.toContain(ZENDESK.token);

    await admin.goto(`${server.url}/w/${ws}/settings/webhooks`);
    await admin.locator('#new-url').fill(receiver.url('/userplane'));
    await admin.locator('#new-recording-ready').check();
    await admin.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await (await see(admin.locator('#webhook-secret'))).inputValue();
    expect(secret).toMatch(/^whsec_/);

    // The agent's AI client creates the link for ticket 4242.
    const mcp = await mcpClientFor(deps, team.member.user.id);
    let linkId: string;
    try {
      const created = await mcp.call('userplane_create_link', {
        workspaceId: ws,
        domainId: team.domainId,
        title: 'Ticket 4242: checkout freezes',
        providerType: 'zendesk',
        providerId: '4242',
      });
      linkId = (created.structuredContent as { linkId: string }).linkId;
    } finally {
      await mcp.close();
    }

    // The customer records through it.
    const customerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const recorder = await customerContext.newPage();
    await recorder.goto(`${server.url}/r/${linkId}`);
    await recorder.locator('#rec-consent').check();
    await recorder.locator('#rec-start').click();
    await recorder.locator('#rec-stop').waitFor({ state: 'visible', timeout: SEE_MS });
    await recorder.waitForTimeout(2_500);
    await recorder.locator('#rec-stop').click();
    await recorder.locator('#rec-notes').fill('Pay does nothing <b>at all</b>');
    await recorder.locator('#rec-submit').click();
    await recorder.locator('#rec-done').waitFor({ state: 'visible', timeout: 30_000 });
    const [recording] = await deps.db
      .selectFrom('recordings')
      .select(['id', 'status'])
      .where('link_id', '=', linkId)
      .execute();
    expect(recording?.status).toBe('ready');
    const playerUrl = `${server.url}/w/${ws}/recordings/${recording!.id}`;

    // The ticket gets its internal note.
    await waitFor(() => zendesk.accepted.length > 0, 'the Zendesk note');
    expect(zendesk.accepted).toHaveLength(1);
    const note = zendesk.accepted[0]!;
    expect(note.ticketId).toBe('4242');
    expect(note.body).toContain(playerUrl);
    expect(note.body).toContain('Pay does nothing <b>at all</b>');
    expect(note.body).toContain('Ticket 4242: checkout freezes');

    // The agent (the link's creator) gets the e-mail.
    const mail = await smtp.waitFor(
      (m) => m.envelopeTo.includes(team.member.email.toLowerCase()) || m.to.includes(team.member.email),
    );
    expect(mail.text).toContain(playerUrl);
    expect(mail.html).not.toContain('<b>at all</b>');
    expect(mail.html).toContain('&lt;b&gt;at all&lt;/b&gt;');

    // The webhook receiver gets recording.ready, signed.
    await waitFor(() => receiver.requests.some((r) => r.body.includes('recording.ready')), 'the webhook');
    const hook = receiver.requests.find((r) => r.body.includes('recording.ready'))!;
    const verified = new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>) as {
      type: string;
      data: { recording: { recordingId: string; playerUrl: string; linkProviderId: string } };
    };
    expect(verified.type).toBe('recording.ready');
    expect(verified.data.recording).toMatchObject({
      recordingId: recording!.id,
      playerUrl,
      linkProviderId: '4242',
    });

    // The admin sees all three delivered.
    await admin.goto(`${server.url}/w/${ws}/settings/deliveries`);
    await see(admin.getByRole('heading', { name: 'Deliveries' }).first());
    const pageText = (await admin.locator('main').textContent()) ?? '';
    for (const channel of [/zendesk/i, /e-?mail/i, /webhook/i]) expect(pageText).toMatch(channel);
    await screenshot(admin, 'deliveries');
    const statuses = await deps.db
      .selectFrom('deliveries')
      .select(['channel', 'status'])
      .where('event_type', '=', 'recording.ready')
      .execute();
    expect(statuses.map((s) => `${s.channel}:${s.status}`).sort()).toEqual([
      'email:delivered',
      'webhook:delivered',
      'zendesk:delivered',
    ]);
    watch.assertClean();
  }, 120_000);
});
