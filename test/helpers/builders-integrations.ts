import { Writable } from 'node:stream';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { expect } from 'vitest';
import type { LinkProviderType } from '../../src/domain/types.ts';
import { fakeClock } from '../../src/lib/clock.ts';
import { API, jsonInit, recorderLink, startBody, tusUpload } from './builders-recorder.ts';
import { DEMO_VIDEO } from './builders-recordings.ts';
import { freePort } from './listening-app.ts';
import { hiddenValue, PageBrowser } from './page-browser.ts';
import { createTestApp, type TestApp } from './test-app.ts';

// For the Slack and help-desk tests: the real app listening on a loopback port (the recorder's tus
// upload needs real HTTP) with a fake clock to move past retry delays and outbound requests to
// loopback allowed (ALLOW_PRIVATE_NETWORK_FETCH, the development setting) so the fake providers
// can be reached; a link for a provider's conversation/ticket, set through the REST API; and a
// recording made through the recorder API exactly as a customer's browser does.

export const PASSWORD = 'correct horse battery';

export interface DeliveryApp {
  url: string;
  t: TestApp;
  clock: ReturnType<typeof fakeClock>;
  /** Every line the app logged (trace level), to check that no credential reaches the logs. */
  logLines: string[];
  /** A cookie-keeping browser for the dashboard pages, signed in as `email`. */
  signIn(email: string): Promise<PageBrowser>;
  close(): Promise<void>;
}

let ipCounter = 0;

/** The app on a real port with a fake clock (starting now) and loopback fetches allowed. */
export async function startDeliveryApp(env: Record<string, string> = {}): Promise<DeliveryApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const clock = fakeClock(Date.now());
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const t = await createTestApp({
    clock,
    log: pino({ level: 'trace' }, sink),
    env: {
      PUBLIC_URL: url,
      ALLOW_PRIVATE_NETWORK_FETCH: 'true',
      SIGNIN_RATE_LIMIT_PER_MINUTE: '100000',
      ...env,
    },
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: t.app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  return {
    url,
    t,
    clock,
    logLines,
    signIn: async (email) => {
      ipCounter += 1;
      const b = new PageBrowser(t.app, `198.51.100.${ipCounter % 250}`);
      const csrf = await b.csrfFrom('/signin');
      const res = await b.post('/signin', { csrf, email, password: PASSWORD, return_to: '/' });
      expect(res.status).toBe(303);
      return b;
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
}

/** GETs a page, insists on 200, and returns its HTML and CSRF token. */
export async function pageOf(b: PageBrowser, path: string): Promise<{ html: string; csrf: string }> {
  const res = await b.get(path);
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(200);
  return { html, csrf: hiddenValue(html, 'csrf') };
}

/** Submits an integration's connect form on Workspace Settings > Integrations; returns the answer. */
export async function submitConnect(
  b: PageBrowser,
  workspaceId: string,
  provider: 'slack' | 'intercom' | 'zendesk',
  fields: Record<string, string>,
): Promise<Response> {
  const path = `/w/${workspaceId}/settings/integrations`;
  const { csrf } = await pageOf(b, path);
  return b.post(`${path}/${provider}`, { csrf, ...fields });
}

/**
 * A team workspace with a verified domain and a single-use link created by the member `member`,
 * pointed at a provider's conversation/ticket through REST (PUT …/links/{id}) when given.
 */
export async function providerLink(
  app: DeliveryApp,
  options: { title?: string; providerType?: LinkProviderType; providerId?: string } = {},
) {
  const link = await recorderLink(app.t.deps, { title: options.title ?? 'Checkout fails on Pay' });
  if (options.providerType) {
    const res = await fetch(
      `${app.url}/api/v1/public/workspace/${link.workspace.id}/links/${link.linkId}`,
      jsonInit(
        'PUT',
        { linkProviderType: options.providerType, linkProviderId: options.providerId ?? null },
        link.member.headers,
      ),
    );
    expect(res.status, await res.clone().text()).toBe(200);
  }
  return link;
}

/**
 * Records through the recorder API as a customer's browser does: start (with `notes`), the video
 * by tus, a console log with `consoleErrors` error entries from the site's origin, finish.
 * Finishing publishes recording.ready. Returns the recording id.
 */
export async function recordThrough(
  app: DeliveryApp,
  link: { linkId: string; origin: string },
  options: { notes?: string; consoleErrors?: number; durationMs?: number } = {},
): Promise<string> {
  const start = await fetch(
    `${app.url}${API}/links/${link.linkId}/recordings`,
    jsonInit(
      'POST',
      startBody(DEMO_VIDEO.length, {
        notes: options.notes ?? 'It breaks when I press Pay',
        durationMs: options.durationMs ?? 3_000,
      }),
    ),
  );
  const started = (await start.json()) as { data: { recordingId: string; uploadToken: string } };
  expect(start.status, JSON.stringify(started)).toBe(201);
  const { recordingId, uploadToken } = started.data;
  const auth = { authorization: `Bearer ${uploadToken}` };
  await tusUpload(app.url, uploadToken, DEMO_VIDEO);
  const lines = [
    ...Array.from({ length: options.consoleErrors ?? 0 }, (_, i) =>
      JSON.stringify({ ts: 100 + i, level: 'error', message: `TypeError #${i}` }),
    ),
    JSON.stringify({ ts: 500, level: 'log', message: 'clicked Pay' }),
  ];
  const logged = await fetch(`${app.url}${API}/recordings/${recordingId}/console-log`, {
    method: 'PUT',
    headers: { ...auth, origin: link.origin, 'content-type': 'application/x-ndjson' },
    body: lines.join('\n'),
  });
  expect(logged.status).toBe(200);
  const finish = await fetch(`${app.url}${API}/recordings/${recordingId}/finish`, {
    method: 'POST',
    headers: auth,
  });
  expect(finish.status, await finish.clone().text()).toBe(200);
  return recordingId;
}
