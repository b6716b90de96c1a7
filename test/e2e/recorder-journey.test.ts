import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording } from '../../src/services/recordings.ts';
import { recorderLink } from '../helpers/builders-recorder.ts';
import { insertLinkRow, sampleResources } from '../helpers/builders-recordings.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { mcpClientFor } from '../helpers/mcp-client.ts';
import { launchBrowser, SEE_MS, screenshot, signIn, watchedContext } from './helpers.ts';

// The product's core loop in a real browser: a customer's site on another origin embeds our script,
// logs an error, makes a failing fetch carrying an Authorization header and types a password; the
// customer opens the recorder from the site, records ~3 s of (fake) screen and sends it. Then the
// team sees it through every surface: the dashboard plays it, the MCP tools return the error with
// its stack, the failing request with the header redacted and the input without its value, and REST
// lists it newest first. A second visit of the single-use link says it was already used.

function siteHtml(server: string, linkId: string): string {
  return `<!DOCTYPE html><html><head><title>Shop</title>
<script src="${server}/sdk/v1/userplane.js"></script></head><body>
<h1>Checkout</h1>
<label for="password">Password</label><input id="password" name="password" type="password">
<button id="pay" type="button">Pay</button>
<button id="record" type="button">Record my screen for support</button>
<script>
  document.getElementById('record').addEventListener('click', () => Userplane.open('${linkId}'));
  document.getElementById('pay').addEventListener('click', async () => {
    console.error(new Error('Checkout exploded'));
    await fetch('/api/pay?session=s3cr3t-session&item=7', {
      method: 'POST',
      headers: { Authorization: 'Bearer sk_live_customer_secret', 'content-type': 'application/json' },
      body: '{"card":"4242424242424242"}',
    }).catch(() => {});
  });
</script></body></html>`;
}

describe('the recorder journey (Chromium)', () => {
  let server: ListeningApp;
  let site: Server;
  let siteOrigin = '';
  let browser: Browser;

  beforeAll(async () => {
    server = await startListeningApp();
    site = createServer();
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    // "localhost" and "127.0.0.1" are different origins: the site is not the Userplane server.
    siteOrigin = `http://localhost:${(site.address() as AddressInfo).port}`;
    browser = await launchBrowser({ fakeMedia: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    site?.close();
    await server?.close();
  });

  it('a customer records through a link from the embedding site; the team sees it everywhere', async () => {
    const { deps } = server.t;
    const link = await recorderLink(deps, { host: new URL(siteOrigin).host, title: 'Checkout freezes' });
    // An older recording in the same workspace, so "newest first" is a real order.
    const olderLink = await insertLinkRow(deps, {
      workspaceId: link.workspace.id,
      projectId: link.defaultProject.id,
      domainId: link.domainId,
      creatorMemberId: link.memberIds.member!,
    });
    const older = await createRecording(deps, {
      linkId: olderLink,
      durationMs: 15_000,
      startedAt: null,
      systemMeta: {},
      customMeta: {},
      notes: null,
      createdAt: Date.now() - 60_000,
      resources: sampleResources(['video']),
    });
    site.on('request', (req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(siteHtml(server.url, link.linkId));
      } else if (req.url?.startsWith('/api/pay')) {
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"payment backend down"}');
      } else {
        res.writeHead(204).end();
      }
    });

    const { context, watch } = await watchedContext(browser, siteOrigin, { allowedOrigins: [server.url] });
    // The site's own failing request is the point of the journey.
    watch.expectProblem(/status of 500|Checkout exploded/);
    const shop = await context.newPage();
    await shop.goto(siteOrigin);
    const popupOpened = context.waitForEvent('page');
    await shop.getByRole('button', { name: 'Record my screen for support' }).click();
    const recorder = await popupOpened;
    await recorder.waitForLoadState();
    expect(recorder.url()).toContain(`${server.url}/r/${link.linkId}`);
    await recorder.locator('#rec-consent').check();
    await recorder.locator('#rec-start').click();
    await recorder.locator('#rec-stop').waitFor({ state: 'visible', timeout: SEE_MS });

    // While it records, the customer reproduces the problem on the site.
    await shop.bringToFront();
    await shop.locator('#password').fill('hunter2-very-secret');
    await shop.locator('#pay').click();
    await shop.waitForTimeout(3_000);

    await recorder.bringToFront();
    await recorder.locator('#rec-stop').click();
    await recorder.locator('#rec-notes').fill('Pay does nothing');
    await recorder.locator('#rec-submit').click();
    await recorder.locator('#rec-done').waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot(recorder, 'recorder-done');

    // The recording landed, ready.
    const rows = await deps.db
      .selectFrom('recordings')
      .select(['id', 'status'])
      .where('link_id', '=', link.linkId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('ready');
    const recordingId = rows[0]!.id;

    // REST: newest first.
    const list = (await (
      await fetch(`${server.url}/api/v1/public/workspace/${link.workspace.id}/recordings`, {
        headers: link.member.headers,
      })
    ).json()) as { data: { recordings: Array<{ recordingId: string; notes: string | null }> } };
    expect(list.data.recordings.map((r) => r.recordingId)).toEqual([recordingId, older.id]);

    // The site's script attached what it knows: the page the customer was on, masked.
    const detail = (await (
      await fetch(`${server.url}/api/v1/public/workspace/${link.workspace.id}/recordings/${recordingId}`, {
        headers: link.member.headers,
      })
    ).json()) as { data: { recording: { systemMeta: Record<string, unknown>; notes: string } } };
    expect(String(detail.data.recording.systemMeta.url)).toContain(siteOrigin);
    expect(detail.data.recording.notes).toBe('Pay does nothing');

    // MCP: the error with its stack, the failing request with the header redacted, the input without its value.
    const mcp = await mcpClientFor(deps, link.member.user.id);
    try {
      const args = { workspaceId: link.workspace.id, recordingId };
      const consoleResult = (await mcp.call('userplane_get_rec_console', args)).structuredContent as {
        entries: Array<{ level: string; message: string; stack?: string }>;
      };
      const error = consoleResult.entries.find((e) => e.message.includes('Checkout exploded'));
      expect(error?.level).toBe('error');
      expect(error?.stack).toMatch(/Checkout exploded[\s\S]*at /);
      const networkResult = (await mcp.call('userplane_get_rec_network', args)).structuredContent as {
        entries: Array<{
          url: string;
          status: number;
          method: string;
          requestHeaders?: Record<string, string>;
        }>;
      };
      const pay = networkResult.entries.find((e) => e.url.includes('/api/pay'));
      expect(pay).toMatchObject({ method: 'POST', status: 500 });
      const authorization = Object.entries(pay!.requestHeaders ?? {}).find(
        ([name]) => name.toLowerCase() === 'authorization',
      );
      expect(authorization?.[1]).toBe('[redacted]');
      expect(pay!.url).not.toContain('s3cr3t-session');
      expect(JSON.stringify(networkResult)).not.toContain('sk_live_customer_secret');
      const actionsResult = (await mcp.call('userplane_get_rec_actions', args)).structuredContent as {
        entries: Array<{ type: string; selector?: string; value?: string }>;
      };
      const input = actionsResult.entries.find((e) => e.type === 'input' && e.selector?.includes('password'));
      expect(input).toBeDefined();
      expect(input!.value).toBeUndefined();
      expect(JSON.stringify(actionsResult)).not.toContain('hunter2');
    } finally {
      await mcp.close();
    }

    // The dashboard lists it and plays it; the link's page lists it.
    const team = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const dash = await team.newPage();
    await signIn(dash, server.url, { email: link.member.email, password: 'correct horse battery' });
    await dash.goto(`${server.url}/w/${link.workspace.id}/recordings/${recordingId}`);
    const duration = await dash.locator('video[data-player]').evaluate(
      (v: HTMLVideoElement) =>
        new Promise<number>((resolve) => {
          const done = () => resolve(v.duration);
          if (v.readyState >= 1) done();
          v.addEventListener('loadedmetadata', done);
          v.addEventListener('error', () => resolve(-1));
        }),
    );
    expect(duration).toBeGreaterThan(0);
    await dash.goto(`${server.url}/w/${link.workspace.id}/links/${link.linkId}/edit`);
    expect(await dash.locator(`main a[href$="/recordings/${recordingId}"]`).count()).toBe(1);
    await team.close();

    // The single-use link is used up: a second visit says so.
    watch.expectProblem(/status of 409/);
    const again = await context.newPage();
    const res = await again.goto(`${server.url}/r/${link.linkId}`);
    expect(res?.status()).toBe(409);
    expect(await again.locator('body').textContent()).toMatch(/already/i);
    watch.assertClean();
    await context.close();
  }, 120_000);
});
