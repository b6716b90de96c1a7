import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue, RETRY_SCHEDULE_MS } from '../../src/services/delivery/outbox.ts';
import { connectIntegration } from '../../src/services/integrations.ts';
import { prefKey, saveNotificationSettings } from '../../src/services/notification-prefs.ts';
import { listAttempts, listDeliveries } from '../../src/store/deliveries.ts';
import { teamWorkspace } from '../helpers/builders.ts';
import {
  type DeliveryApp,
  pageOf,
  providerLink,
  recordThrough,
  startDeliveryApp,
  submitConnect,
} from '../helpers/builders-integrations.ts';
import { accessOf } from '../helpers/builders-links.ts';
import { type FakeServer, type SlackMessage, startFakeSlack } from '../helpers/helpdesk-fakes.ts';
import { createTestApp, testDialect } from '../helpers/test-app.ts';

// Slack (issue 10 §5) end to end: an admin adds an incoming-webhook URL on Workspace Settings >
// Integrations, a customer records, the worker posts {text, blocks} to a local fake Slack hook.
// Customer text is escaped for mrkdwn (no <!channel>, no @here, no forged links); the link creator
// can turn it off; a 500 is retried; a dead hook (404 no_service) fails at once and asks for a new
// URL. The URL, itself the credential, never shows again.

const HOOK_PATH = '/services/T01ACME/B02HOOK/s3cr3tHookTokenValue9Zq';

let app: DeliveryApp;
let slack: FakeServer<SlackMessage> & { webhookUrl: string };

beforeAll(async () => {
  app = await startDeliveryApp();
  slack = await startFakeSlack(HOOK_PATH);
});

afterAll(async () => {
  await app?.close();
  await slack?.close();
});

async function slackWorkspace(webhookUrl = slack.webhookUrl) {
  const link = await providerLink(app, { title: 'Checkout & <Pay>' });
  const admin = await app.signIn(link.admin.email);
  const res = await submitConnect(admin, link.workspace.id, 'slack', { webhookUrl });
  expect(res.status, await res.clone().text()).toBe(303);
  return { link, admin };
}

function messageText(message: SlackMessage): string {
  return JSON.stringify(message.blocks);
}

describe(`Slack [${testDialect}]`, () => {
  it('posts the title, notes, duration, error count and player URL; hostile notes stay text', async () => {
    const { link, admin } = await slackWorkspace();
    const ws = link.workspace.id;
    const page = (await pageOf(admin, `/w/${ws}/settings/integrations`)).html;
    expect(page).toContain('127.0.0.1');
    expect(page).toContain(`…${HOOK_PATH.slice(-4)}`);
    expect(page).not.toContain(HOOK_PATH);

    const before = slack.accepted.length;
    const recordingId = await recordThrough(app, link, {
      notes: 'Hey <!channel> and @here, see <https://evil.example|your invoice> & <@U123>\n*urgent*',
      consoleErrors: 1,
      durationMs: 65_000,
    });
    await deliverDue(app.t.deps);
    expect(slack.accepted.length).toBe(before + 1);
    const message = slack.accepted.at(-1)!;
    const blocks = messageText(message);
    expect(message.text).toContain('Checkout &amp; &lt;Pay&gt;');
    expect(blocks).toContain('Checkout &amp; &lt;Pay&gt;');
    expect(blocks).toContain('1 min 5 s');
    expect(blocks).toContain('1 console error');
    expect(blocks).toContain(
      `<${app.url}/w/${ws}/recordings/${recordingId}|Open the recording in Userplane>`,
    );
    expect(message.text).toContain(`${app.url}/w/${ws}/recordings/${recordingId}`);
    // Escaped as Slack asks: no special mention, user mention or link can come from the customer.
    expect(blocks).toContain('&lt;!channel&gt;');
    expect(blocks).toContain('&lt;https://evil.example|your invoice&gt; &amp; &lt;@U123&gt;');
    expect(blocks).toContain('@\u200bhere');
    for (const forged of ['<!channel>', '<https://evil', '<@U123>', ' @here'])
      expect(blocks).not.toContain(forged);
    expect(message.text).not.toContain('<!');

    const [delivery] = await listDeliveries(app.t.deps.db, ws, { channel: 'slack', limit: 5 });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(delivery!.summary).toBe(`Slack (${new URL(slack.url).host}): recording ${recordingId}`);
    expect(slack.received.at(-1)!.headers['idempotency-key']).toBe(delivery!.id);
  });

  it('the link creator can turn Slack off for their recordings (Account Settings > Notifications)', async () => {
    const { link } = await slackWorkspace();
    const ws = link.workspace.id;
    // The member created the link; they keep e-mail and switch Slack off.
    await saveNotificationSettings(app.t.deps, link.member.user.id, {
      shownWorkspaceIds: [ws],
      accountShown: false,
      checked: new Set([
        prefKey(ws, 'recording_received', 'email'),
        prefKey(ws, 'invitation_accepted', 'email'),
      ]),
    });
    const received = slack.received.length;
    await recordThrough(app, link);
    await deliverDue(app.t.deps);
    expect(slack.received.length).toBe(received);
    expect(await listDeliveries(app.t.deps.db, ws, { channel: 'slack', limit: 5 })).toEqual([]);
  });

  it('a 500 is retried after the backoff; a dead hook (404 no_service) fails at once and the page asks for a new URL', async () => {
    const { link, admin } = await slackWorkspace();
    const ws = link.workspace.id;
    slack.failNext(500);
    await recordThrough(app, link);
    expect((await deliverDue(app.t.deps)).retried).toBe(1);
    app.clock.advance(RETRY_SCHEDULE_MS[0] * 1.2);
    expect((await deliverDue(app.t.deps)).delivered).toBe(1);
    const [retried] = await listDeliveries(app.t.deps.db, ws, { channel: 'slack', limit: 5 });
    expect((await listAttempts(app.t.deps.db, retried!.id)).map((a) => a.statusCode)).toEqual([500, 200]);

    // The hook is removed in Slack: the same URL now answers 404 no_service.
    const gone = await slackWorkspace(`${slack.url}/services/T01ACME/B02HOOK/removedHookValue1234`);
    const received = slack.received.length;
    await recordThrough(app, gone.link);
    expect((await deliverDue(app.t.deps)).failed).toBe(1);
    app.clock.advance(RETRY_SCHEDULE_MS[0] * 1.2);
    await deliverDue(app.t.deps);
    expect(slack.received.length).toBe(received + 1);
    const [failed] = await listDeliveries(app.t.deps.db, gone.link.workspace.id, {
      channel: 'slack',
      limit: 5,
    });
    expect(failed).toMatchObject({ status: 'failed', lastStatusCode: 404 });
    expect(failed!.lastError).toContain('Slack refused the webhook URL (404 no_service)');
    const warned = (await pageOf(gone.admin, `/w/${gone.link.workspace.id}/settings/integrations`)).html;
    expect(warned).toContain('Reconnect Slack');
    // The first workspace is unaffected.
    expect((await pageOf(admin, `/w/${ws}/settings/integrations`)).html).not.toContain('Reconnect Slack');
    // A new URL reconnects.
    const res = await submitConnect(gone.admin, gone.link.workspace.id, 'slack', {
      webhookUrl: slack.webhookUrl,
    });
    expect(res.status).toBe(303);
    expect(
      (await pageOf(gone.admin, `/w/${gone.link.workspace.id}/settings/integrations`)).html,
    ).not.toContain('Reconnect Slack');
  });

  it('the webhook URL is sealed at rest and never in the delivery log, the pages or the logs (S37)', async () => {
    const rows = await app.t.deps.db.selectFrom('workspace_integrations').selectAll().execute();
    const deliveries = await app.t.deps.db.selectFrom('deliveries').selectAll().execute();
    const attempts = await app.t.deps.db.selectFrom('delivery_attempts').selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify([rows, deliveries, attempts])).not.toContain('s3cr3tHookTokenValue');
    expect(JSON.stringify([rows, deliveries, attempts])).not.toContain('removedHookValue');
    // S37: nor in any log line.
    const logs = app.logLines.join('');
    expect(logs).toContain('integration credentials refused');
    expect(logs).not.toContain('s3cr3tHookTokenValue');
    expect(logs).not.toContain('removedHookValue');
    const ws = deliveries.find((d) => d.channel === 'slack')!.workspace_id!;
    const team = await app.t.deps.db
      .selectFrom('members')
      .innerJoin('users', 'users.id', 'members.user_id')
      .select('users.email')
      .where('members.workspace_id', '=', ws)
      .where('members.role', '=', 'owner')
      .executeTakeFirstOrThrow();
    const owner = await app.signIn(team.email);
    for (const path of [`/w/${ws}/settings/integrations`, `/w/${ws}/settings/deliveries`]) {
      expect((await pageOf(owner, path)).html).not.toContain('s3cr3tHookTokenValue');
    }
  });

  it('members get 403 on the page and on a forged connect', async () => {
    const link = await providerLink(app);
    const ws = link.workspace.id;
    const member = await app.signIn(link.member.email);
    expect((await member.get(`/w/${ws}/settings/integrations`)).status).toBe(403);
    const { csrf } = await pageOf(member, `/w/${ws}/settings`);
    const forged = await member.post(`/w/${ws}/settings/integrations/slack`, {
      csrf,
      webhookUrl: slack.webhookUrl,
    });
    expect(forged.status).toBe(403);
    const disconnect = await member.post(`/w/${ws}/settings/integrations/slack/disconnect`, { csrf });
    expect(disconnect.status).toBe(403);
    expect(
      await app.t.deps.db
        .selectFrom('workspace_integrations')
        .where('workspace_id', '=', ws)
        .selectAll()
        .execute(),
    ).toEqual([]);
  });
});

describe(`Slack webhook URLs without the development setting [${testDialect}]`, () => {
  it('refuses http, loopback and private addresses (400 naming webhookUrl; S25)', async () => {
    const t = await createTestApp();
    try {
      const team = await teamWorkspace(t.deps);
      const access = await accessOf(t.deps, team.admin, team.workspace.id);
      for (const url of [
        'http://127.0.0.1:9/services/x',
        'http://hooks.slack.com/services/x',
        'https://127.0.0.1/services/x',
        'https://10.1.2.3/services/x',
        'https://[::1]/services/x',
        'https://user:pw@hooks.slack.com/services/x',
      ]) {
        await expect(
          connectIntegration(t.deps, access, 'slack', { webhookUrl: url }),
          url,
        ).rejects.toMatchObject({
          status: 400,
          field: 'webhookUrl',
        });
      }
      expect(await t.deps.db.selectFrom('workspace_integrations').selectAll().execute()).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
