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

// Journey 2: a member creates a link and finds it in the list; on links other people created they
// are offered Edit but never Delete (the server refuses anyway; here: the button is not there).

describe('links (Chromium)', () => {
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

  it('a member creates a link, copies it from the list, and cannot delete the owner’s link', async () => {
    const { context, watch } = await watchedContext(browser, s.server.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.server.url });
    const page = await context.newPage();
    await signIn(page, s.server.url, s.member);

    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Links' }).click();
    await see(page.getByRole('heading', { name: 'Links', level: 1 }));

    // Create a link in the Web App project.
    await page.getByLabel('Project').selectOption({ label: 'Web App' });
    await page.getByLabel('Title (optional)').fill('Refund form freezes for Globex');
    await page.getByLabel(/^Reusable/).check();
    await page.getByLabel(/^Metadata/).fill('{"ticket": "5120"}');
    await page.getByRole('button', { name: 'Create link' }).click();
    await see(page.getByRole('status').filter({ hasText: 'Link created' }));

    // It is in the list, newest first, with the member as creator and its URL ready to copy.
    const mine = rowWith(page, 'Refund form freezes for Globex');
    await see(mine);
    expect(await page.locator('tbody tr').first().getAttribute('data-link-id')).toBe(
      await mine.getAttribute('data-link-id'),
    );
    expect(await mine.locator('td[data-label="Project"]').textContent()).toBe('Web App');
    expect(await mine.locator('td[data-label="Creator"]').textContent()).toBe(s.member.name);
    expect(await mine.locator('td[data-label="Reusable"]').textContent()).toBe('Yes');
    const url = await mine.locator('input[readonly]').inputValue();
    expect(url).toMatch(new RegExp(`^${s.server.url}/`));
    await mine.getByRole('button', { name: 'Copy' }).click();
    await see(mine.getByRole('button', { name: 'Copied' }));
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    // Their own link: Edit and Delete.
    await see(mine.getByRole('link', { name: 'Delete Refund form freezes for Globex' }));
    await screenshot(page, 'links');

    // The owner's link: Edit only.
    const owners = rowWith(page, 'Checkout bug reports');
    await see(owners.getByRole('link', { name: 'Edit Checkout bug reports' }));
    expect(await owners.getByRole('link', { name: /Delete/ }).count()).toBe(0);
    expect(await owners.locator('dialog').count()).toBe(0);
    // Nor on the owner's link's edit page.
    await owners.getByRole('link', { name: 'Edit Checkout bug reports' }).click();
    await see(page.getByRole('heading', { name: 'Edit link' }));
    expect(await page.getByRole('link', { name: /Delete this link/ }).count()).toBe(0);

    // Deleting their own link goes through the confirmation dialog, which keeps focus inside it.
    await page.getByRole('link', { name: '← All links' }).click();
    await mine.getByRole('link', { name: 'Delete Refund form freezes for Globex' }).click();
    const dialog = page.getByRole('dialog', { name: /Delete “Refund form freezes for Globex”/ });
    await see(dialog);
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Cancel');
    await dialog.getByRole('button', { name: 'Delete link' }).click();
    await see(page.getByRole('status').filter({ hasText: 'Link deleted' }));
    expect(await rowWith(page, 'Refund form freezes for Globex').count()).toBe(0);

    await context.close();
    watch.assertClean();
  });
});
