import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Domain, Link } from '../../src/domain/types.ts';
import { createRecorderPage } from '../../src/http/recorder/page.tsx';
import type { Access } from '../../src/services/access.ts';
import { requireMember } from '../../src/services/access.ts';
import { addDomain, deleteDomain } from '../../src/services/domains.ts';
import { createLink, deleteLink } from '../../src/services/links.ts';
import { startRecording } from '../../src/services/recorder.ts';
import { createUser } from '../../src/services/users.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { freePort, type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { launchBrowser, SEE_MS, screenshot, see, watchedContext } from './helpers.ts';

// The public recorder page (docs/recorder.md): what it tells the customer, its states and headers
// (S27), hostile workspace and link names shown as text, and a real screen recording in headless
// Chromium sent through the upload API: start → tus upload → thumbnail → finish, a reload in the
// middle of the upload resumed, and the embed protocol spoken by a "customer site" on another origin.

// The submit tests need the lead's upload API (mounted by src/app.ts at /api/v1/recorder).
const API_EXISTS = existsSync(new URL('../../src/http/recorder/api.ts', import.meta.url));
const DEMO_VIDEO_PATH = fileURLToPath(new URL('../../assets/demo/demo-recording.webm', import.meta.url));

const HOSTILE = '<img src=x onerror=alert(1)> </script><script>alert(2)</script>';
const AGENT = 'Dana Agent';

interface Fixture {
  server: ListeningApp;
  access: Access;
  domain: Domain;
  /** The customer's site (another origin, a verified domain of the workspace). */
  siteOrigin: string;
  site: Server;
}

/** A fresh link on the fixture's verified domain. */
async function newLink(f: Fixture, input: { title?: string; reusable?: boolean } = {}): Promise<Link> {
  return createLink(f.server.t.deps, f.access, {
    domainId: f.domain.id,
    title: 'Checkout freezes',
    ...input,
  });
}

/** The customer's page for the embed test: opens the recorder in an iframe and speaks the protocol. */
function sitePage(recorderUrl: string, apiOrigin: string): string {
  // Test-only page on the customer's origin; the real embed script lives elsewhere.
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Customer site</title></head><body>
<h1>Customer site</h1>
<iframe id="rec" title="Recorder" allow="display-capture; microphone" width="900" height="800"
  src="${recorderUrl}"></iframe>
<script>
window.__messages = [];
const frame = document.getElementById('rec');
window.addEventListener('message', async (event) => {
  if (event.source !== frame.contentWindow) return;
  window.__messages.push({ origin: event.origin, data: event.data });
  const type = event.data && event.data.type;
  if (type === 'userplane:ready') {
    frame.contentWindow.postMessage({ type: 'userplane:hello', sdkVersion: 1 }, ${JSON.stringify(apiOrigin)});
  }
  if (type === 'userplane:attach') {
    const m = event.data;
    const line = JSON.stringify({ ts: 0, level: 'error', message: 'from the customer site' }) + '\\n';
    const res = await fetch(m.apiBase + '/recordings/' + m.recordingId + '/console-log', {
      method: 'PUT',
      headers: { Authorization: 'Bearer ' + m.uploadToken, 'Content-Type': 'application/x-ndjson' },
      body: line,
    });
    frame.contentWindow.postMessage(
      { type: 'userplane:attached', recordingId: m.recordingId, ok: res.ok },
      ${JSON.stringify(apiOrigin)},
    );
  }
});
</script></body></html>`;
}

async function recordingRow(f: Fixture, linkId: string) {
  return f.server.t.deps.db
    .selectFrom('recordings')
    .select(['id', 'status', 'duration_ms', 'notes', 'system_meta'])
    .where('link_id', '=', linkId)
    .executeTakeFirst();
}

async function resourceKinds(f: Fixture, recordingId: string): Promise<string[]> {
  const rows = await f.server.t.deps.db
    .selectFrom('recording_resources')
    .select('kind')
    .where('recording_id', '=', recordingId)
    .execute();
  return rows.map((r) => r.kind).sort();
}

/** Watches for dialogs: a rendered `onerror=alert(1)` would open one. */
function noDialogs(page: Page): string[] {
  const dialogs: string[] = [];
  page.on('dialog', async (dialog) => {
    // The page's own "leave while uploading?" guard is expected when a test reloads mid-upload.
    if (dialog.type() === 'beforeunload') {
      await dialog.accept();
      return;
    }
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  return dialogs;
}

/** Consents, records for `ms`, stops, and waits for the preview. */
async function record(page: Page, ms: number): Promise<void> {
  await page.getByLabel(/^I agree to record and send this/).check();
  await page.getByRole('button', { name: 'Start recording' }).click();
  await see(page.getByRole('heading', { name: 'Recording…' }));
  await page.waitForTimeout(ms);
  await page.getByRole('button', { name: 'Stop recording' }).click();
  await see(page.getByRole('heading', { name: 'Check your recording' }));
}

describe('the recorder page (Chromium)', () => {
  let f: Fixture;
  let browser: Browser;
  let hostileLink: Link;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // The lead mounts the page in src/app.ts; until then the test server mounts it in front.
    let page: ReturnType<typeof createRecorderPage> | undefined;
    const forward = (c: { req: { raw: Request } }) => page!.fetch(c.req.raw);
    const server = await startListeningApp({
      extraRoutes: (front) => {
        front.get('/r/:linkId', forward);
        front.get('/assets/recorder.js', forward);
        front.get('/assets/recorder.css', forward);
        front.get('/assets/vendor/tus.min.js', forward);
      },
    });
    page = createRecorderPage(server.t.deps);
    const deps = server.t.deps;

    const sitePort = await freePort();
    const siteOrigin = `http://localhost:${sitePort}`;
    const user = await createUser(deps, {
      email: `agent-${Date.now()}@example.com`,
      password: 'correct horse battery',
      name: AGENT,
    });
    const { workspace } = await createWorkspace(deps, { name: `Acme ${HOSTILE}`, ownerUserId: user.id });
    const access = await requireMember(deps, user.id, workspace.id);
    const domain = await addDomain(deps, access, { url: siteOrigin, verified: true });
    f = { server, access, domain, siteOrigin, site: createServer() };
    hostileLink = await newLink(f, { title: `Refund ${HOSTILE}` });

    f.site.on('request', (req, res) => {
      const linkId = new URL(req.url ?? '/', siteOrigin).searchParams.get('link') ?? '';
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(sitePage(`${server.url}/r/${encodeURIComponent(linkId)}?embed=1`, server.url));
    });
    await new Promise<void>((resolve) => f.site.listen(sitePort, '127.0.0.1', resolve));

    browser = await launchBrowser({ fakeMedia: true });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await new Promise((resolve) => f?.site.close(resolve));
    await f?.server.close();
  });

  async function open(options: { allowedOrigins?: string[] } = {}) {
    const { context, watch } = await watchedContext(browser, f.server.url, options);
    contexts.push(context);
    const page = await context.newPage();
    return { context, watch, page, dialogs: noDialogs(page) };
  }

  it('S27: an open link names workspace and agent, lists what is captured, and needs consent to start', async () => {
    const { page, watch, dialogs } = await open();
    const response = await page.goto(`${f.server.url}/r/${hostileLink.id}`);
    expect(response?.status()).toBe(200);

    const headers = response!.headers();
    expect(headers['content-security-policy']).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
        "media-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['permissions-policy']).toContain('display-capture=(self)');
    expect(headers['permissions-policy']).toContain('microphone=(self)');

    await see(page.getByRole('heading', { name: 'Record your screen' }));
    // The hostile names are shown as the text they are; nothing of them became markup.
    const workspaceName = `Acme ${HOSTILE}`;
    await see(
      page.getByText(`${AGENT} at ${workspaceName} asked you to record your screen.`, { exact: true }),
    );
    await see(page.getByText(`About: Refund ${HOSTILE}`, { exact: true }));
    expect(await page.title()).toBe(`Record your screen for ${workspaceName} · Userplane`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    expect(await page.locator('script').evaluateAll((s) => s.map((e) => e.getAttribute('src')))).toEqual([
      expect.stringMatching(/^\/assets\/vendor\/tus\.min\.js\?v=/),
      expect.stringMatching(/^\/assets\/recorder\.js\?v=/),
    ]);

    const captured = page.locator('ul.captured li');
    await expect.poll(() => captured.count()).toBe(4);
    const items = (await captured.allTextContents()).join('\n');
    expect(items).toMatch(/Your screen, or only the window or browser tab you pick/);
    expect(items).toMatch(/Your microphone, only if you turn it on/);
    expect(items).toMatch(/only where that site runs our script: its console messages, its network requests/);
    expect(items).toMatch(
      /passwords, the values you type into fields, and secrets such as tokens and keys are not captured/,
    );

    // The script's data comes from attributes, the verified hosts as JSON.
    const root = page.locator('#recorder');
    expect(await root.getAttribute('data-link-id')).toBe(hostileLink.id);
    expect(await root.getAttribute('data-api-base')).toBe('/api/v1/recorder');
    expect(JSON.parse((await root.getAttribute('data-verified-hosts')) ?? '')).toEqual([f.domain.host]);

    const start = page.getByRole('button', { name: 'Start recording' });
    expect(await start.isDisabled()).toBe(true);
    await page.getByLabel(/^I agree to record and send this to Dana Agent at Acme/).check();
    expect(await start.isEnabled()).toBe(true);
    await page.getByLabel(/^I agree to record/).uncheck();
    expect(await start.isDisabled()).toBe(true);
    await expect.poll(() => page.getByLabel('Include my microphone').isVisible()).toBe(true);

    await screenshot(page, 'recorder-open');
    expect(dialogs).toEqual([]);
    watch.assertClean();
  });

  it('S27: with ?embed=1 only the verified sites may frame the page', async () => {
    const res = await fetch(`${f.server.url}/r/${hostileLink.id}?embed=1`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors https://${f.domain.host} http://${f.domain.host}`);
    expect(csp).not.toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBeNull();
    await res.body?.cancel();
  });

  it('serves its script, stylesheet and the tus bundle with types, nosniff and cache headers', async () => {
    const page = await fetch(`${f.server.url}/r/${hostileLink.id}`).then((r) => r.text());
    for (const [path, type] of [
      ['/assets/recorder.js', 'text/javascript; charset=utf-8'],
      ['/assets/vendor/tus.min.js', 'text/javascript; charset=utf-8'],
      ['/assets/recorder.css', 'text/css; charset=utf-8'],
    ] as const) {
      const versioned = new RegExp(`${path.replace(/[./]/g, '\\$&')}\\?v=[A-Za-z0-9_-]+`).exec(page)?.[0];
      expect(versioned, path).toBeTruthy();
      const res = await fetch(`${f.server.url}${versioned}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const etag = res.headers.get('etag');
      expect(etag).toBeTruthy();
      const body = await res.text();
      expect(body.length).toBeGreaterThan(100);
      expect(body).not.toContain('sourceMappingURL');
      // Unversioned: revalidated, and answered 304 when unchanged.
      const plain = await fetch(`${f.server.url}${path}`, { headers: { 'if-none-match': etag! } });
      expect(plain.status).toBe(304);
      expect(plain.headers.get('cache-control')).toBe('public, no-cache');
    }
  });

  it('recorded (409), gone (410), domain_unverified (403) and unknown (404) links each get a clear page', async () => {
    const deps = f.server.t.deps;
    const recorded = await newLink(f);
    await startRecording(deps, recorded.id, { durationMs: 5_000, video: { type: 'video/webm', size: 1000 } });
    const gone = await newLink(f);
    await deleteLink(deps, f.access, gone.id);
    const otherDomain = await addDomain(deps, f.access, { url: 'other-site.example.com', verified: true });
    const unverified = await createLink(deps, f.access, { domainId: otherDomain.id, title: HOSTILE });
    await deleteDomain(deps, f.access, otherDomain.id);

    const { page, watch, dialogs } = await open();
    watch.expectProblem(/Failed to load resource: the server responded with a status of (409|410|403|404)/);
    const cases = [
      [
        recorded.id,
        409,
        'This link was already used',
        /already used to send a recording.*ask Dana Agent at Acme .* for a new link/,
      ],
      [
        gone.id,
        410,
        'This link is no longer available',
        /has been deleted.*ask the team that sent it for a new link/,
      ],
      [
        unverified.id,
        403,
        'This link cannot be used right now',
        /no longer verified by Acme .*Ask Dana Agent/,
      ],
      ['lnk_does_not_exist', 404, 'Recording link not found', /does not exist/],
    ] as const;
    for (const [id, status, title, message] of cases) {
      const response = await page.goto(`${f.server.url}/r/${id}`);
      expect(response?.status(), title).toBe(status);
      expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response?.headers()['cache-control']).toBe('no-store');
      await see(page.getByRole('heading', { name: title, level: 1 }));
      expect(await page.locator('#rec-state p').textContent()).toMatch(message);
      // No recorder on these pages: nothing to start.
      expect(await page.getByRole('button', { name: 'Start recording' }).count()).toBe(0);
      expect(await page.locator('img').count()).toBe(0);
    }
    await screenshot(page, 'recorder-recorded');
    expect(dialogs).toEqual([]);
    watch.assertClean();
  });

  it('a recording shorter than the minimum cannot be sent', async () => {
    const link = await newLink(f);
    const { page, watch } = await open();
    await page.goto(`${f.server.url}/r/${link.id}`);
    // 400 ms, not less: a busy machine's fake capture may not have encoded one frame after 100 ms,
    // and an empty recording is (rightly) "Nothing was recorded", not a preview.
    await record(page, 400);
    await see(page.getByText(/shorter than 1 second, too short to send/));
    expect(await page.getByRole('button', { name: 'Send recording' }).isDisabled()).toBe(true);
    watch.assertClean();
  });

  it.skipIf(!API_EXISTS)(
    'records the screen, previews it, and sends it with notes and a thumbnail',
    async () => {
      const link = await newLink(f);
      const { page, watch, dialogs } = await open();
      await page.goto(`${f.server.url}/r/${link.id}`);
      // With the (fake) microphone mixed in.
      await page.getByLabel('Include my microphone').check();
      await record(page, 2_500);
      expect(await page.locator('#rec-error').isHidden()).toBe(true);

      // The preview plays the recorded blob.
      const video = page.locator('#rec-video');
      expect(await video.getAttribute('src')).toMatch(/^blob:/);
      await expect
        .poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: SEE_MS })
        .toBeGreaterThanOrEqual(1);
      expect(await page.locator('#rec-length').textContent()).toMatch(/^Length: 00:0[2-3]$/);
      await screenshot(page, 'recorder-preview');

      await page.getByLabel('Notes for the team (optional)').fill(`The button does nothing ${HOSTILE}`);
      await page.getByRole('button', { name: 'Send recording' }).click();
      await see(page.getByRole('heading', { name: 'Sent' }));
      await see(
        page.getByText(`Sent. ${AGENT} at Acme ${HOSTILE} can watch it now. You can close this window.`, {
          exact: true,
        }),
      );
      await screenshot(page, 'recorder-done');

      const row = await recordingRow(f, link.id);
      expect(row?.status).toBe('ready');
      expect(row?.duration_ms).toBeGreaterThanOrEqual(2_000);
      expect(row?.duration_ms).toBeLessThan(6_000);
      expect(row?.notes).toBe(`The button does nothing ${HOSTILE}`);
      const meta = JSON.parse(row!.system_meta);
      expect(meta.browser).toMatch(/^Chrome \d+$/);
      expect(meta.os).toBe('Linux');
      expect(meta.url).toBe(`${f.server.url}/r/${link.id}`);
      expect(meta.screen.width).toBeGreaterThan(0);
      expect(await resourceKinds(f, row!.id)).toEqual(['thumbnail', 'video']);

      // The finished upload is no longer kept in the browser.
      expect(
        await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tus::'))),
      ).toEqual([]);
      expect(dialogs).toEqual([]);
      watch.assertClean();
    },
  );

  it.skipIf(!API_EXISTS)(
    'an API refusal is shown as its message (a single-use link sent from another tab)',
    async () => {
      const link = await newLink(f);
      const { page, watch, context } = await open();
      watch.expectProblem(/status of 409/);
      const other = await context.newPage();
      noDialogs(other);
      await page.goto(`${f.server.url}/r/${link.id}`);
      await other.goto(`${f.server.url}/r/${link.id}`);
      await record(page, 1_200);
      await record(other, 1_200);
      await other.getByRole('button', { name: 'Send recording' }).click();
      await see(other.getByRole('heading', { name: 'Sent' }));
      await page.getByRole('button', { name: 'Send recording' }).click();
      await see(
        page
          .getByRole('alert')
          .filter({ hasText: 'This recording link is single-use and already has a recording' }),
      );
      // Still on the preview; nothing was started for this tab.
      await see(page.getByRole('heading', { name: 'Check your recording' }));
      expect(await page.getByRole('button', { name: 'Send recording' }).isEnabled()).toBe(true);
      watch.assertClean();
    },
  );

  it.skipIf(!API_EXISTS)('without screen capture (phones) it sends a video file picked instead', async () => {
    const link = await newLink(f);
    const { page, watch, context } = await open();
    await context.addInitScript(() => {
      // What a phone's browser offers: no getDisplayMedia.
      delete (MediaDevices.prototype as { getDisplayMedia?: unknown }).getDisplayMedia;
    });
    await page.goto(`${f.server.url}/r/${link.id}`);
    await see(page.getByText(/This browser cannot record the screen/));
    expect(await page.getByRole('button', { name: 'Start recording' }).isVisible()).toBe(false);
    const picker = page.getByLabel('Video to send');
    expect(await picker.isDisabled()).toBe(true);
    await page.getByLabel(/^I agree to record and send this/).check();
    expect(await picker.isEnabled()).toBe(true);
    await picker.setInputFiles(DEMO_VIDEO_PATH);
    await see(page.getByRole('heading', { name: 'Check your recording' }));
    expect(await page.locator('#rec-length').textContent()).toMatch(/^Length: \d\d:\d\d/);
    expect(await page.getByRole('button', { name: 'Choose another video' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Send recording' }).click();
    await see(page.getByRole('heading', { name: 'Sent' }));
    const row = await recordingRow(f, link.id);
    expect(row?.status).toBe('ready');
    expect(await resourceKinds(f, row!.id)).toEqual(['thumbnail', 'video']);
    watch.assertClean();
  });

  it.skipIf(!API_EXISTS)(
    'a reload in the middle of the upload offers to resume it, and resuming sends it',
    async () => {
      const link = await newLink(f);
      const { page, watch, context } = await open();
      watch.expectProblem(/ERR_FAILED|ERR_ABORTED|Failed to load resource/);
      await page.goto(`${f.server.url}/r/${link.id}`);
      await record(page, 1_500);

      // The upload is created, but no byte of it arrives: the connection "drops".
      let patches = 0;
      await context.route('**/api/v1/recorder/uploads/**', async (route) => {
        if (route.request().method() === 'PATCH') {
          patches += 1;
          await route.abort('connectionreset');
        } else await route.continue();
      });
      await page.getByRole('button', { name: 'Send recording' }).click();
      await see(page.getByRole('heading', { name: 'Sending your recording…' }));
      await expect.poll(() => patches, { timeout: SEE_MS }).toBeGreaterThan(0);

      // A single-use link is taken as soon as the recording starts: the reload shows the "already
      // used" page, which offers this browser's unfinished upload.
      await context.unroute('**/api/v1/recorder/uploads/**');
      const response = await page.reload();
      expect(response?.status()).toBe(409);
      await see(page.getByRole('heading', { name: 'Your upload was not finished' }));
      expect(await page.locator('#rec-state').isHidden()).toBe(true);
      await screenshot(page, 'recorder-resume');
      await page.getByRole('button', { name: 'Resume your upload' }).click();
      // Sending waits out the upload client's retry delays after the dropped connection, so it may
      // take longer than a page takes to show on a busy machine.
      await page
        .getByRole('heading', { name: 'Sent' })
        .first()
        .waitFor({ state: 'visible', timeout: 30_000 });

      const row = await recordingRow(f, link.id);
      expect(row?.status).toBe('ready');
      expect(await resourceKinds(f, row!.id)).toEqual(['thumbnail', 'video']);
      // Nothing left to resume.
      await page.reload();
      await see(page.getByRole('heading', { name: 'This link was already used' }));
      expect(await page.locator('#rec-resume').isHidden()).toBe(true);
    },
  );

  it.skipIf(!API_EXISTS)('after the retries run out, Try again continues the upload', async () => {
    const link = await newLink(f);
    const { page, watch, context } = await open();
    watch.expectProblem(/ERR_FAILED|ERR_ABORTED|ERR_CONNECTION_RESET|Failed to load resource/);
    await page.goto(`${f.server.url}/r/${link.id}`);
    await record(page, 1_500);
    await context.route('**/api/v1/recorder/uploads/**', async (route) => {
      if (route.request().method() === 'PATCH') await route.abort('connectionreset');
      else await route.continue();
    });
    await page.getByRole('button', { name: 'Send recording' }).click();
    // tus retries after 0, 1, 3, 5 and 10 s before giving up.
    const retry = page.getByRole('button', { name: 'Try again' });
    await retry.waitFor({ state: 'visible', timeout: 40_000 });
    await see(page.getByRole('alert').filter({ hasText: /upload was interrupted/ }));
    await context.unroute('**/api/v1/recorder/uploads/**');
    await retry.click();
    await see(page.getByRole('heading', { name: 'Sent' }));
    expect((await recordingRow(f, link.id))?.status).toBe('ready');
  });

  it.skipIf(!API_EXISTS)(
    'in an iframe on a verified site it speaks the embed protocol: hello, started/stopped, attach, attached',
    async () => {
      const link = await newLink(f);
      const { page, watch, dialogs } = await open({ allowedOrigins: [f.siteOrigin] });
      // Chromium's fake capture device goes through the camera path, which the iframe's `allow`
      // (display-capture; microphone, as the embed script sets it) does not grant; a real screen
      // share does not ask for the camera. The capture itself works.
      watch.expectProblem(/Permissions policy violation: camera is not allowed in this document/);
      await page.goto(`${f.siteOrigin}/?link=${encodeURIComponent(link.id)}`);
      const frame = page.frameLocator('#rec');
      await see(frame.getByRole('heading', { name: 'Record your screen' }));
      await frame.getByLabel(/^I agree to record and send this/).check();
      await frame.getByRole('button', { name: 'Start recording' }).click();
      await see(frame.getByRole('heading', { name: 'Recording…' }));
      await page.waitForTimeout(1_500);
      await frame.getByRole('button', { name: 'Stop recording' }).click();
      await frame.getByRole('button', { name: 'Send recording' }).click();
      await see(frame.getByRole('heading', { name: 'Sent' }));

      const messages = (await page.evaluate(
        () => (window as unknown as { __messages: unknown[] }).__messages,
      )) as {
        origin: string;
        data: Record<string, unknown>;
      }[];
      expect(messages.every((m) => m.origin === f.server.url)).toBe(true);
      const types = messages.map((m) => m.data.type);
      expect(types).toEqual([
        'userplane:ready',
        'userplane:recording-started',
        'userplane:recording-stopped',
        'userplane:attach',
      ]);
      const [, started, stopped, attach] = messages.map((m) => m.data);
      expect(attach).toMatchObject({
        recordingId: expect.stringMatching(/^rec_/),
        uploadToken: expect.any(String),
        apiBase: `${f.server.url}/api/v1/recorder`,
        startedAt: started!.startedAt,
        stoppedAt: stopped!.stoppedAt,
      });
      const row = await recordingRow(f, link.id);
      expect(row?.status).toBe('ready');
      expect(row?.id).toBe(attach!.recordingId);
      // The customer site's log, attached from its own (verified) origin before the finish.
      expect(await resourceKinds(f, row!.id)).toEqual(['console-log', 'thumbnail', 'video']);
      expect(dialogs).toEqual([]);
      watch.assertClean();
    },
  );

  it('a page of another origin that is not a verified site gets no answer but ready', async () => {
    // The page posts `ready` to anyone (it carries nothing) and ignores a hello from an unverified
    // origin: here the hello comes from the page's own origin, which is not one of the workspace's sites.
    const link = await newLink(f);
    const { page, watch } = await open();
    await page.goto(`${f.server.url}/r/${link.id}`);
    const popupPromise = page.waitForEvent('popup');
    await page.evaluate((url) => {
      (window as unknown as { __got: unknown[] }).__got = [];
      window.addEventListener('message', (e) =>
        (window as unknown as { __got: unknown[] }).__got.push(e.data),
      );
      const w = window.open(url, '_blank');
      setTimeout(() => w?.postMessage({ type: 'userplane:hello', sdkVersion: 1 }, '*'), 1_000);
    }, `${f.server.url}/r/${link.id}`);
    const popup = await popupPromise;
    await see(popup.getByRole('heading', { name: 'Record your screen' }));
    await popup.getByLabel(/^I agree to record and send this/).check();
    await popup.getByRole('button', { name: 'Start recording' }).click();
    await see(popup.getByRole('heading', { name: 'Recording…' }));
    await popup.waitForTimeout(1_200);
    await popup.getByRole('button', { name: 'Stop recording' }).click();
    await see(popup.getByRole('heading', { name: 'Check your recording' }));
    const got = await page.evaluate(() => (window as unknown as { __got: { type: string }[] }).__got);
    expect(got.map((m) => m.type)).toEqual(['userplane:ready']);
    watch.assertClean();
  });
});
