import type { Browser, Page } from 'playwright-core';
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

// Journey 5: create an API key (shown once), use it against the REST API, rotate it (the old key
// stops working), revoke it by typing REVOKE (the new key stops working).

const KEY_NAME = 'Nightly export';

describe('API keys (Chromium)', () => {
  let s: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    s = await startDemoServer(0);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.server.close();
  });

  /** GET /api/v1/public/me with the key, as a program would. */
  const me = (key: string) =>
    fetch(`${s.server.url}/api/v1/public/me`, { headers: { authorization: `Bearer ${key}` } });

  /** Opens the ⋯ menu of the key's row. */
  const openMenu = async (page: Page) => {
    await rowWith(page, KEY_NAME)
      .locator('summary', { hasText: `Actions for ${KEY_NAME}` })
      .click();
  };

  it('create (shown once), use, rotate, revoke by typing REVOKE', async () => {
    const { context, watch } = await watchedContext(browser, s.server.url);
    const page = await context.newPage();
    await signIn(page, s.server.url, s.admin);

    await page
      .getByRole('navigation', { name: 'Dashboard' })
      .getByRole('link', { name: 'Account Settings' })
      .click();
    await see(page.getByRole('heading', { name: 'Profile' }));
    await see(page.locator('main').getByText(s.admin.email));
    await screenshot(page, 'account-profile');
    await page
      .getByRole('navigation', { name: 'Account Settings' })
      .getByRole('link', { name: 'Developers' })
      .click();
    await see(page.getByText('You have no API keys.'));

    // Create: the key is shown once, in full, with a copy button; the table shows it masked.
    await page.getByLabel('Name (optional)').fill(KEY_NAME);
    await page.getByLabel('Expires after').selectOption({ label: '30 days' });
    await page.getByRole('button', { name: 'Create API key' }).click();
    await see(page.getByText(`Your new API key “${KEY_NAME}”`));
    const secret = await page.locator('#new-api-key').inputValue();
    expect(secret).toMatch(/^uspl_/);
    await see(page.locator('.one-time').getByRole('button', { name: 'Copy' }));
    const row = rowWith(page, KEY_NAME);
    const masked = (await row.locator('td[data-label="API Key"]').textContent()) ?? '';
    expect(masked.endsWith(secret.slice(-4))).toBe(true);
    expect(masked).not.toContain(secret);
    expect(await row.locator('td[data-label="Status"]').textContent()).toBe('Active');
    await screenshot(page, 'account-developers');

    // Open the page again: the key is gone from it for good.
    await page.goto(`${s.server.url}/account/developers`);
    await see(rowWith(page, KEY_NAME));
    expect(await page.locator('#new-api-key').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // A program uses it against the REST API.
    const res = await me(secret);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { user: { email: string } } };
    expect(body.data.user.email).toBe(s.admin.email);

    // Rotate: a new key is shown once; the old one stops working at once.
    await openMenu(page);
    await page.getByRole('button', { name: `Rotate ${KEY_NAME}` }).click();
    await see(page.getByText(`Your rotated API key “${KEY_NAME}”`));
    const rotated = await page.locator('#new-api-key').inputValue();
    expect(rotated).toMatch(/^uspl_/);
    expect(rotated).not.toBe(secret);
    expect((await me(secret)).status).toBe(401);
    expect((await me(rotated)).status).toBe(200);

    // Revoke: anything but REVOKE is refused with a message and the key keeps working.
    watch.expectProblem(/status of 400 .*\/account\/developers\/[^/]+\/revoke\)$/);
    await openMenu(page);
    await page.getByLabel('Type REVOKE to revoke this key').fill('revoke');
    await page.getByRole('button', { name: `Revoke ${KEY_NAME}` }).click();
    await see(page.getByRole('alert').filter({ hasText: 'Type REVOKE in capitals' }));
    expect((await me(rotated)).status).toBe(200);
    // The menu stayed open with the error; type it properly.
    await page.getByLabel('Type REVOKE to revoke this key').fill('REVOKE');
    await page.getByRole('button', { name: `Revoke ${KEY_NAME}` }).click();
    await see(page.getByRole('status').filter({ hasText: 'API key revoked' }));
    expect(await rowWith(page, KEY_NAME).count()).toBe(0);
    expect((await me(rotated)).status).toBe(401);

    await context.close();
    watch.assertClean();
  });
});
