import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/listening-app.ts';
import { fillSignIn, launchBrowser, screenshot, see, signOut, watchedContext } from './helpers.ts';

// Journey 1: an operator starts `userplane serve` on an empty data directory; it prints a one-time
// setup link; the first person opens it, creates their account and workspace, signs out and signs
// back in.

const BIN = join(import.meta.dirname, '../../bin/userplane.js');
const SETUP_LINE = /First run: create the first account and workspace at (\S+)/;

describe('first run (Chromium)', () => {
  let dataDir: string;
  let child: ChildProcess;
  let url: string;
  let setupLink: string;
  let output = '';
  let browser: Browser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'userplane-e2e-setup-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATA_DIR: dataDir,
      USERPLANE_SECRET: 'e2e-secret-e2e-secret-e2e-secret-0123456789',
      PUBLIC_URL: url,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
    };
    delete env.DATABASE_URL; // the SQLite default in DATA_DIR
    child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Should the worker exit without running afterAll, the server does not outlive it.
    process.once('exit', () => child.kill('SIGKILL'));
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 30_000;
    while (!SETUP_LINE.test(output)) {
      if (child.exitCode !== null) throw new Error(`userplane serve exited: ${output}`);
      if (Date.now() > deadline) throw new Error(`no setup link printed within 30 s: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    setupLink = SETUP_LINE.exec(output)![1]!;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the printed setup link creates the account and workspace; sign out; sign in again', async () => {
    expect(output).toContain(`Userplane is running at ${url}`);
    expect(setupLink.startsWith(`${url}/setup/`)).toBe(true);

    const { context, watch } = await watchedContext(browser, url);
    const page = await context.newPage();
    await page.goto(setupLink);
    await see(page.getByRole('heading', { name: 'Set up Userplane' }));
    await screenshot(page, 'setup');
    await page.getByLabel('Your name').fill('Olivia Operator');
    await page.getByLabel('Email').fill('olivia@example.com');
    await page.getByLabel('Password').fill('first run password');
    await page.getByLabel('Workspace name').fill('Olivia Support');
    await page.getByRole('button', { name: 'Create account and workspace' }).click();

    // Signed in, inside the new workspace: its (empty) recordings list, which says what to do next.
    await see(page.getByRole('heading', { name: 'Recordings', level: 1 }));
    expect(new URL(page.url()).pathname).toMatch(/^\/w\/[^/]+\/recordings$/);
    await see(page.getByRole('heading', { name: 'No recordings yet' }));
    expect(await page.locator('#workspace-switcher option:checked').textContent()).toBe('Olivia Support');
    await see(page.locator('details.account-menu summary', { hasText: 'Olivia Operator' }));
    await screenshot(page, 'recordings-empty');

    // The link worked once: opening it again says setup is complete.
    watch.expectProblem(/status of 410 .*\/setup\//);
    const again = await context.newPage();
    const res = await again.goto(setupLink);
    expect(res?.status()).toBe(410);
    await see(again.getByText('This server is already set up'));
    await again.close();

    await signOut(page);
    // Signed out: the dashboard sends the person to sign in.
    await page.goto(`${url}/`);
    await see(page.getByRole('heading', { name: 'Sign in to Userplane' }));
    await screenshot(page, 'signin');

    // A wrong password is refused with a message; the right one lands in the workspace.
    watch.expectProblem(/status of 401 .*\/signin\)$/);
    await fillSignIn(page, 'olivia@example.com', 'not the password');
    await see(page.getByRole('alert'));
    await fillSignIn(page, 'olivia@example.com', 'first run password');
    await see(page.getByRole('heading', { name: 'Recordings', level: 1 }));
    expect(await page.locator('#workspace-switcher option:checked').textContent()).toBe('Olivia Support');
    // The server logged no errors along the way.
    expect(output).not.toMatch(/"level":(50|60)/);
    await context.close();
    watch.assertClean();
  });
});
