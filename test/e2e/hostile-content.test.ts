import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDING_VIEWER_URI } from '../../src/mcp/apps/recording-viewer.ts';
import { API, jsonInit, recorderLink, startBody, tusUpload } from '../helpers/builders-recorder.ts';
import { DEMO_VIDEO } from '../helpers/builders-recordings.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { mcpClientFor } from '../helpers/mcp-client.ts';
import { launchBrowser, SEE_MS, signIn, watchedContext } from './helpers.ts';

// Captured customer data is hostile input: a console message, a URL, a selector and a note carrying
// markup must show as text on every surface — the dashboard list, the player's panels, the link page,
// the MCP Apps viewer and the recorder page — and no script of theirs may run (no dialog, no marker).

const IMG = '<img src=x onerror="window.__xss=1;alert(1)">';
const CLOSE = '</script><script>window.__xss=2;alert(2)</script>';
const HOSTILE = `${IMG} ${CLOSE}`;

describe('hostile captured text shows as text (Chromium)', () => {
  let server: ListeningApp;
  let browser: Browser;
  let link: Awaited<ReturnType<typeof recorderLink>>;
  let recordingId = '';

  beforeAll(async () => {
    server = await startListeningApp();
    const { deps } = server.t;
    link = await recorderLink(deps, { reusable: true, title: `Ticket ${HOSTILE}`, host: 'shop.example.com' });
    await deps.db
      .updateTable('workspaces')
      .set({ name: `Acme ${IMG}` })
      .where('id', '=', link.workspace.id)
      .execute();
    // Through the real upload API, as a recorder page and an embed script would send it.
    const res = await fetch(
      `${server.url}${API}/links/${link.linkId}/recordings`,
      jsonInit(
        'POST',
        startBody(DEMO_VIDEO.length, { notes: `Note ${HOSTILE}`, customMeta: { plan: HOSTILE } }),
      ),
    );
    const { data } = (await res.json()) as { data: { recordingId: string; uploadToken: string } };
    recordingId = data.recordingId;
    const fromSite = { authorization: `Bearer ${data.uploadToken}`, origin: link.origin };
    await tusUpload(server.url, data.uploadToken, DEMO_VIDEO);
    const put = async (kind: string, body: string, type: string) => {
      const r = await fetch(`${server.url}${API}/recordings/${recordingId}/${kind}`, {
        method: 'PUT',
        headers: { ...fromSite, 'content-type': type },
        body,
      });
      expect(r.status, kind).toBe(200);
    };
    await put(
      'console-log',
      `${JSON.stringify({ ts: 500, level: 'error', message: `Console ${HOSTILE}`, stack: `Error: ${HOSTILE}\n  at x` })}\n`,
      'application/x-ndjson',
    );
    await put(
      'network-log',
      JSON.stringify([
        {
          ts: 700,
          method: 'GET',
          url: `https://shop.example.com/search?q=${encodeURIComponent(HOSTILE)}`,
          status: 500,
          durationMs: 12,
        },
        { ts: 800, method: 'GET', url: `https://shop.example.com/${HOSTILE}`, status: 404, durationMs: 3 },
      ]),
      'application/json',
    );
    await put(
      'action',
      JSON.stringify([
        { ts: 900, type: 'click', selector: `button${HOSTILE}`, x: 10, y: 20 },
        { ts: 950, type: 'navigation', url: `https://shop.example.com/#${HOSTILE}` },
      ]),
      'application/json',
    );
    const finish = await fetch(`${server.url}${API}/recordings/${recordingId}/finish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${data.uploadToken}` },
    });
    expect(finish.status).toBe(200);
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Fails when a dialog opened or the page's marker was set by injected script. */
  async function expectNoScriptRan(page: Page, dialogs: string[]) {
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  }

  it('dashboard: the list, the player with every panel, and the link page', async () => {
    const { context, watch } = await watchedContext(browser, server.url);
    // The hostile <img src=x> is never created, so nothing requests "x"; the demo video is ours.
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await signIn(page, server.url, { email: link.owner.email, password: 'correct horse battery' });
    await page.goto(`${server.url}/w/${link.workspace.id}/recordings`);
    await page.locator('main table').waitFor({ timeout: SEE_MS });
    expect(await page.locator('main table').textContent()).toContain(`Ticket ${IMG}`);
    await page.goto(`${server.url}/w/${link.workspace.id}/recordings/${recordingId}`);
    for (const tab of ['Console', 'Network', 'Actions', 'Info']) {
      const control = page.getByRole('tab', { name: tab });
      if (await control.count()) await control.click();
    }
    const text = await page.locator('main').textContent();
    expect(text).toContain(`Console ${IMG}`);
    expect(text).toContain(`Note ${IMG}`);
    expect(await page.locator('main img[src="x"]').count()).toBe(0);
    await page.goto(`${server.url}/w/${link.workspace.id}/links/${link.linkId}/edit`);
    // The link's page lists its recording; its hostile title sits in the form as a value.
    expect(await page.locator(`main a[href$="/recordings/${recordingId}"]`).count()).toBe(1);
    expect(await page.getByLabel('Title (optional)').inputValue()).toBe(`Ticket ${HOSTILE}`);
    await expectNoScriptRan(page, dialogs);
    watch.assertClean();
    await context.close();
  }, 60_000);

  it('the MCP Apps viewer renders the entries as text', async () => {
    const member = await mcpClientFor(server.t.deps, link.owner.user.id);
    try {
      const result = await member.call('userplane_show_recording', {
        workspaceId: link.workspace.id,
        recordingId,
      });
      expect(result.isError).toBeFalsy();
      const read = await member.client.readResource({ uri: RECORDING_VIEWER_URI });
      const html = (read.contents[0] as { text: string }).text;
      const shown = JSON.parse(
        JSON.stringify(result).replaceAll(`${server.t.config.publicUrl}/files/`, `${server.url}/files/`),
      );
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.goto(`${server.url}/healthz`);
      await page.setContent(
        '<!DOCTYPE html><iframe id="view" sandbox="allow-scripts" style="width:1000px;height:800px"></iframe>',
      );
      await page.evaluate(
        ({ html, result }) => {
          const frame = document.getElementById('view') as HTMLIFrameElement;
          window.addEventListener('message', (event) => {
            const m = event.data;
            const reply = (message: unknown) => frame.contentWindow?.postMessage(message, '*');
            if (m.method === 'ui/initialize') {
              reply({
                jsonrpc: '2.0',
                id: m.id,
                result: {
                  protocolVersion: '2026-01-26',
                  hostInfo: { name: 't', version: '1' },
                  hostCapabilities: {},
                  hostContext: {},
                },
              });
            }
            if (m.method === 'ui/notifications/initialized') {
              reply({ jsonrpc: '2.0', method: 'ui/notifications/tool-result', params: result });
            }
          });
          frame.srcdoc = html;
        },
        { html, result: shown },
      );
      const view = page.frameLocator('#view');
      await expect.poll(() => view.locator('#panel-console li').count(), { timeout: SEE_MS }).toBe(1);
      expect(await view.locator('#panel-console').textContent()).toContain(`Console ${IMG}`);
      expect(await view.locator('#panel-network').textContent()).toContain('shop.example.com');
      expect(await view.locator('img').count()).toBe(0);
      expect(dialogs).toEqual([]);
      await page.close();
    } finally {
      await member.close();
    }
  }, 60_000);

  it('the recorder page shows the workspace name and link title as text', async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const res = await page.goto(`${server.url}/r/${link.linkId}`);
    expect(res?.status()).toBe(200);
    expect(await page.locator('body').textContent()).toContain(`Acme ${IMG}`);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await expectNoScriptRan(page, dialogs);
    await page.close();
  }, 60_000);
});
