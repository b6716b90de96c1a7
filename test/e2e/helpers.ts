import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type DemoSummary, type DemoUser, runDemo } from '../../src/services/demo.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';

// Shared pieces of the Chromium journeys (test/e2e): the browser, a watch on every page for console
// errors and requests to other origins, sign-in, screenshots, and a listening server with demo data.

// The same variable and default as scripts/test.js, which checks (or installs) the browser first;
// an empty CHROMIUM_PATH counts as unset in both.
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOTS = join(import.meta.dirname, '../../test-results/screenshots');

/** How long to wait for something a person would see (a page, a message, a row). */
export const SEE_MS = 10_000;

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Chromium's fake media: --use-fake-ui-for-media-stream accepts the picker (getDisplayMedia then
// shares a fake "screen"), --use-fake-device-for-media-stream supplies the video source and a fake
// microphone. Both are needed on Debian's chromium 156 headless; neither alone works.
const FAKE_MEDIA_ARGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

/**
 * Launches Debian's Chromium, headless, with a fresh temporary profile; `fakeMedia` for pages that
 * record the screen (the recorder).
 */
export async function launchBrowser(options: { fakeMedia?: boolean } = {}): Promise<Browser> {
  const args = options.fakeMedia ? [...ARGS, ...FAKE_MEDIA_ARGS] : ARGS;
  return await chromium.launch({ executablePath: CHROMIUM_PATH, args });
}

/** What went wrong in the pages of a context: console errors, uncaught exceptions, foreign requests. */
export interface Watch {
  problems: string[];
  /**
   * Expects one kind of problem the journey causes on purpose (e.g. a refused wrong password logs
   * "status of 401"); assertClean ignores problems matching it.
   */
  expectProblem(pattern: RegExp): void;
  /** Fails the test when anything unexpected was seen. */
  assertClean(): void;
}

/**
 * A new browser context whose pages are watched: every console error, uncaught page error and
 * request to an origin other than `origin` (or `allowedOrigins`) is recorded. Navigations to a
 * client's loopback redirect_uri are expected in the MCP journey, so that origin is allowed there.
 */
export async function watchedContext(
  browser: Browser,
  origin: string,
  options: { allowedOrigins?: string[]; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; watch: Watch }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  const allowed = new Set([origin, ...(options.allowedOrigins ?? [])]);
  const problems: string[] = [];
  context.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location().url;
      problems.push(`console error on ${message.page()?.url() ?? '?'}: ${message.text()} (${where})`);
    }
  });
  context.on('weberror', (error) => problems.push(`page error: ${error.error().message}`));
  context.on('request', (request) => {
    const url = request.url();
    if (/^(data|blob|about):/.test(url)) return;
    let requestOrigin: string;
    try {
      requestOrigin = new URL(url).origin;
    } catch {
      problems.push(`unparseable request URL: ${url}`);
      return;
    }
    if (!allowed.has(requestOrigin)) problems.push(`request to another origin: ${request.method()} ${url}`);
  });
  const expected: RegExp[] = [];
  return {
    context,
    watch: {
      problems,
      expectProblem: (pattern) => {
        expected.push(pattern);
      },
      assertClean: () => expect(problems.filter((p) => !expected.some((e) => e.test(p)))).toEqual([]),
    },
  };
}

/** Waits until the person can see `locator` (its first match); returns it. */
export async function see(locator: Locator): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout: SEE_MS });
  return locator;
}

/** Waits until the page has no element matching `locator` visible. */
export async function seeNo(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: 'hidden', timeout: SEE_MS });
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Fills the sign-in form the page shows and submits it. */
export async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await see(page.getByRole('heading', { name: 'Sign in to Userplane' }));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Opens /signin, signs in, and waits until the dashboard shows the person's account menu. */
export async function signIn(page: Page, origin: string, user: { email: string; password: string }) {
  await page.goto(`${origin}/signin`);
  await fillSignIn(page, user.email, user.password);
  await see(page.locator('details.account-menu summary'));
}

/** Signs out through the account menu in the header and waits for the sign-in page. */
export async function signOut(page: Page): Promise<void> {
  await page.locator('details.account-menu summary').click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await see(page.getByRole('heading', { name: 'Sign in to Userplane' }));
}

/** The table row (`tr`) that contains `text`. */
export function rowWith(page: Page, text: string) {
  return page.locator('tr', { hasText: text });
}

export interface DemoServer {
  server: ListeningApp;
  demo: DemoSummary;
  owner: DemoUser;
  admin: DemoUser;
  member: DemoUser;
  /** `/w/<workspaceId>` on the server. */
  ws: string;
}

/** The real app listening on a loopback port, with a demo workspace of `recordings` recordings. */
export async function startDemoServer(
  recordings = 12,
  options: { env?: Record<string, string> } = {},
): Promise<DemoServer> {
  const server = await startListeningApp(options.env ? { env: options.env } : {});
  try {
    const demo = await runDemo(server.t.deps, { recordings, seed: 'e2e-journeys' });
    const by = (role: DemoUser['role']) => demo.users.find((u) => u.role === role)!;
    return {
      server,
      demo,
      owner: by('owner'),
      admin: by('admin'),
      member: by('member'),
      ws: `${server.url}/w/${encodeURIComponent(demo.workspaceId)}`,
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
