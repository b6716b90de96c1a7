import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDeliveryWorker } from '../../src/services/delivery/outbox.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  type DemoServer,
  launchBrowser,
  rowWith,
  screenshot,
  see,
  signIn,
  startDemoServer,
  watchedContext,
} from './helpers.ts';

// Issue 10 §2: the invitation link works when followed from the e-mail. An admin invites an
// address on the Team page; the delivery worker sends the e-mail over real SMTP to a real SMTP
// server; the invited person takes the link from the message's text, opens it in a browser of
// their own, creates an account with that address and accepts, landing in the workspace.

const INVITEE = { name: 'Mina Mailed', email: 'mina@example.com', password: 'mina reads her e-mail' };

describe('invitation by e-mail (Chromium)', () => {
  let smtp: TestSmtpServer;
  let s: DemoServer;
  let browser: Browser;
  let worker: { stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    s = await startDemoServer(3, {
      env: { SMTP_URL: smtp.url, MAIL_FROM: 'Userplane <team@userplane.test>' },
    });
    // What `userplane serve` runs: the outbox worker, woken after each commit.
    const deps = s.server.t.deps;
    const started = startDeliveryWorker(deps, {
      intervalMs: 500,
      onError: (error) => {
        throw error;
      },
    });
    deps.wakeDeliveries = started.wake;
    worker = started;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    s?.server.t.deps.mailer?.close();
    await s?.server.close();
    await smtp?.close();
  });

  it('an admin invites an address; the e-mailed link lets that person sign up and join', async () => {
    const admin = await watchedContext(browser, s.server.url);
    const page = await admin.context.newPage();
    await signIn(page, s.server.url, s.admin);
    await page.goto(`${s.ws}/settings/team`);
    await see(rowWith(page, s.member.email));

    await page.getByLabel('Email', { exact: true }).fill(INVITEE.email);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    await see(page.getByText(`An e-mail with this link is on its way to ${INVITEE.email}`));
    // The copyable link stays, for whoever prefers to send it themselves.
    const shown = await page.locator('#invitation-link').inputValue();
    await screenshot(page, 'team-invitation-emailed');

    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(INVITEE.email));
    expect(mail.subject).toBe(`${s.admin.name} invited you to ${s.demo.workspaceName} on Userplane`);
    const link = /Accept the invitation: (\S+)/.exec(mail.text)?.[1];
    expect(link).toBe(shown);

    // Mina opens the link from her e-mail in her own browser. The HTML part, shown as a mail client
    // would, loads nothing (the watch flags any request) and runs nothing.
    const invitee = await watchedContext(browser, s.server.url);
    const mina = await invitee.context.newPage();
    await mina.setContent(mail.html);
    await see(mina.getByRole('link', { name: 'Accept the invitation' }));
    expect(await mina.getByRole('link', { name: 'Accept the invitation' }).getAttribute('href')).toBe(shown);
    await screenshot(mina, 'email-invitation');
    await mina.goto(link!);
    await see(mina.getByRole('heading', { name: `You are invited to ${s.demo.workspaceName}` }));
    await mina.getByRole('link', { name: 'Create an account' }).click();
    await mina.getByLabel('Name (optional)').fill(INVITEE.name);
    await mina.getByLabel('Email').fill(INVITEE.email);
    await mina.getByLabel('Password').fill(INVITEE.password);
    await mina.getByRole('button', { name: /Create/ }).click();
    await see(mina.getByRole('heading', { name: `Join ${s.demo.workspaceName}` }));
    await mina.getByRole('button', { name: `Accept and join ${s.demo.workspaceName}` }).click();
    await see(mina.getByRole('heading', { name: 'Recordings', level: 1 }));
    expect(await mina.locator('#workspace-switcher option:checked').textContent()).toBe(s.demo.workspaceName);
    expect(new URL(mina.url()).pathname).toBe(`/w/${encodeURIComponent(s.demo.workspaceId)}/recordings`);

    // The admin who invited her hears that she joined.
    const joined = await smtp.waitFor(
      (m) => m.envelopeTo.includes(s.admin.email) && /joined/.test(m.subject),
    );
    expect(joined.subject).toBe(`${INVITEE.name} joined ${s.demo.workspaceName}`);

    // Where every notification says it can be turned off.
    await page.goto(`${s.server.url}/account/notifications`);
    await see(page.getByRole('heading', { name: s.demo.workspaceName, level: 2 }));
    expect(
      await page
        .getByLabel(/Recording received — e-mail me/)
        .first()
        .isChecked(),
    ).toBe(true);
    await screenshot(page, 'account-notifications');

    await invitee.context.close();
    await admin.context.close();
    admin.watch.assertClean();
    invitee.watch.assertClean();
  });
});
