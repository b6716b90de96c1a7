import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// Journey 4: the owner invites someone and copies the invitation link; the invited person opens it
// in their own browser, creates an account and joins; the owner changes their role and both see it.
// Along the way: screenshots of every Workspace Settings tab and the audit log.

const INVITEE = { name: 'Priya Newcomer', email: 'priya@example.com', password: 'priya joins the team' };

describe('team (Chromium)', () => {
  let s: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    s = await startDemoServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.server.close();
  });

  it('invite by email, accept in a second browser, change the role', async () => {
    const owner = await watchedContext(browser, s.server.url);
    await owner.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.server.url });
    const page = await owner.context.newPage();
    await signIn(page, s.server.url, s.owner);

    // Workspace Settings: General, Projects, Domains, then Team.
    await page
      .getByRole('navigation', { name: 'Dashboard' })
      .getByRole('link', { name: 'Workspace Settings' })
      .click();
    await see(page.getByLabel('Workspace name', { exact: true }));
    expect(await page.getByLabel('Workspace name', { exact: true }).inputValue()).toBe(s.demo.workspaceName);
    await screenshot(page, 'settings-general');
    const tabs = page.getByRole('navigation', { name: 'Workspace Settings' });
    await tabs.getByRole('link', { name: 'Projects' }).click();
    await see(page.getByText('Mobile Beta').first());
    await screenshot(page, 'settings-projects');
    await tabs.getByRole('link', { name: 'Domains' }).click();
    await see(page.getByText('app.example.com').first());
    await screenshot(page, 'settings-domains');
    await tabs.getByRole('link', { name: 'Team' }).click();
    await see(rowWith(page, s.member.email));

    // Invite Priya as a member; the page shows the invitation link once, with a copy button.
    await page.getByLabel('Email', { exact: true }).fill(INVITEE.email);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    const linkField = page.locator('#invitation-link');
    await see(linkField);
    await see(page.getByText(`Invitation link for ${INVITEE.email} (member)`));
    await page.locator('.one-time').getByRole('button', { name: 'Copy' }).click();
    await see(page.locator('.one-time').getByRole('button', { name: 'Copied' }));
    const invitation = await page.evaluate(() => navigator.clipboard.readText());
    expect(invitation).toBe(await linkField.inputValue());
    expect(invitation).toMatch(new RegExp(`^${s.server.url}/invite/`));
    await see(rowWith(page, INVITEE.email).getByRole('button', { name: /Revoke/ }));

    // Priya, in a browser of her own, opens the link, creates her account and joins.
    const invitee = await watchedContext(browser, s.server.url);
    const priya = await invitee.context.newPage();
    await priya.goto(invitation);
    await see(priya.getByRole('heading', { name: `You are invited to ${s.demo.workspaceName}` }));
    await priya.getByRole('link', { name: 'Create an account' }).click();
    await priya.getByLabel('Name (optional)').fill(INVITEE.name);
    await priya.getByLabel('Email').fill(INVITEE.email);
    await priya.getByLabel('Password').fill(INVITEE.password);
    await priya.getByRole('button', { name: /Create/ }).click();
    await see(priya.getByRole('heading', { name: `Join ${s.demo.workspaceName}` }));
    await priya.getByRole('button', { name: `Accept and join ${s.demo.workspaceName}` }).click();
    await see(priya.getByRole('heading', { name: 'Recordings', level: 1 }));
    expect(await priya.locator('#workspace-switcher option:checked').textContent()).toBe(
      s.demo.workspaceName,
    );
    // As a member she is not offered the audit log.
    const priyaNav = priya.getByRole('navigation', { name: 'Dashboard' });
    expect(await priyaNav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);

    // The owner opens Team again: Priya is a member now and her invitation is no longer pending.
    await tabs.getByRole('link', { name: 'Team' }).click();
    const row = rowWith(page, INVITEE.email);
    await see(row);
    expect(await row.locator('td[data-label="Name"]').textContent()).toBe(INVITEE.name);
    expect(await row.getByLabel(`Role of ${INVITEE.name}`).inputValue()).toBe('member');
    expect(
      await page.getByRole('button', { name: `Revoke the invitation for ${INVITEE.email}` }).count(),
    ).toBe(0);

    // Make her an admin.
    await row.getByLabel(`Role of ${INVITEE.name}`).selectOption('admin');
    await row.getByRole('button', { name: `Change role of ${INVITEE.name}` }).click();
    await see(page.getByRole('status').filter({ hasText: 'Role changed' }));
    expect(await rowWith(page, INVITEE.email).getByLabel(`Role of ${INVITEE.name}`).inputValue()).toBe(
      'admin',
    );
    await screenshot(page, 'settings-team');

    // Priya sees it at her next page: admins get the audit log.
    await priya.reload();
    await see(priyaNav.getByRole('link', { name: 'Audit log' }));

    // The owner's audit log records the invitation, the join and the role change.
    await page
      .getByRole('navigation', { name: 'Dashboard' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    await see(page.getByRole('heading', { name: /Audit log/, level: 1 }));
    const audit = (await page.locator('main').textContent()) ?? '';
    expect(audit).toContain(INVITEE.email);
    await screenshot(page, 'audit');

    await invitee.context.close();
    await owner.context.close();
    owner.watch.assertClean();
    invitee.watch.assertClean();
  });
});
