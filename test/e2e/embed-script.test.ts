import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdkRoutes } from '../../src/http/sdk/route.ts';
import { launchBrowser, SEE_MS } from './helpers.ts';

// The embed script (src/http/sdk/userplane.js) in real Chromium. Two loopback servers stand in for
// the two origins of docs/recorder.md:
// - the customer's site, http://127.0.0.1:<port>: serves the script (createSdkRoutes), test pages
//   and a small API the pages call;
// - a fake Userplane server, http://localhost:<port>: a recorder page that plays the page's side of
//   the postMessage protocol (driven by the test) and an upload API that records what it receives.
// What the script buffered is read through Userplane._snapshot() (its test and debugging accessor).

interface ConsoleEntry {
  ts: number;
  level: string;
  message: string;
  args?: unknown[];
  stack?: string;
}
interface NetworkEntry {
  ts: number;
  method: string;
  url: string;
  status: number;
  durationMs: number;
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
}
interface ActionEntry {
  ts: number;
  type: 'click' | 'input' | 'navigation';
  selector?: string;
  x?: number;
  y?: number;
  value?: string;
  url?: string;
}
interface Snapshot {
  console: ConsoleEntry[];
  network: NetworkEntry[];
  action: ActionEntry[];
  systemMeta: Record<string, unknown> & { url: string };
  customMeta: Record<string, unknown> | null;
}
interface UserplaneApi {
  sdkVersion: number;
  init(options: Record<string, unknown>): UserplaneApi;
  open(target: string, options?: { mode?: string }): { close(): void; mode: string };
  setMetadata(meta: unknown): void;
  _snapshot(): Snapshot;
}
interface RecorderMessage {
  origin: string;
  data: { type?: string; [key: string]: unknown };
}
interface Upload {
  recordingId: string;
  kind: string;
  authorization: string | undefined;
  origin: string | undefined;
  contentType: string | undefined;
  body: string;
}

declare global {
  interface Window {
    Userplane: UserplaneApi;
    /** Fake recorder page: every message it received. */
    received: RecorderMessage[];
    /** Fake recorder page: posts to the site origin that said hello. */
    send(message: Record<string, unknown>): void;
    moduleCheck: { same: boolean; types: string[] };
    first: { api: UserplaneApi; log: unknown; fetch: unknown };
  }
}

interface Listening {
  url: string;
  close(): Promise<void>;
}

async function listen(app: Hono, host: '127.0.0.1' | 'localhost'): Promise<Listening> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    // `localhost` and `127.0.0.1` are different origins to the browser, on the same socket.
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const page = (body: string, head = '<script src="/sdk/v1/userplane.js"></script>') =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Site</title>${head}</head><body>${body}</body></html>`;

// Markers of other session tools the script honours (a representative set of its list).
const MASKS = [
  'data-private',
  'data-sentry-mask',
  'data-sentry-block',
  'class="sentry-mask"',
  'data-hj-suppress',
  'data-openreplay-masked',
  'class="fs-mask"',
  'class="fs-exclude"',
  'data-dd-privacy="mask"',
  'class="rr-mask"',
  'class="ph-no-capture"',
  'data-clarity-mask="true"',
];

const LONG_CLASSES = Array.from({ length: 40 }, (_, i) => `generated-class-name-${i}`).join(' ');

const SITE_BODY = `
  <button id="buy" class="btn primary" data-testid="buy-button">Buy now</button>
  <div data-userplane-blur>
    <button id="reveal" class="secret-btn">Reveal SSN 123-45-6789</button>
  </div>
  <div data-userplane-capture>
    <input id="blurred-input" name="notes" data-userplane-blur>
  </div>
  <form onsubmit="return false">
    <input id="name" name="fullName">
    <div data-userplane-capture>
      <input id="nickname" name="nickname">
      <input id="pw" name="pw" type="password">
      <input id="otp" name="verify" autocomplete="one-time-code">
      <select id="plan" name="plan"><option>free</option><option>pro</option></select>
      ${MASKS.map((m, i) => `<div ${m}><span><input id="masked-${i}" name="field${i}"></span></div>`).join('\n')}
    </div>
  </form>
  <div><div><div><div><div><div><span class="${LONG_CLASSES}" id="long-classes">Deep text</span></div></div></div></div></div></div>
  <section><ul><li><a class="nav-link">Plain text link</a></li></ul></section>
`;

describe('embed script (Chromium)', () => {
  let site: Listening;
  let recorder: Listening;
  let browser: Browser;
  let context: BrowserContext;
  const uploads: Upload[] = [];
  // Console lines Chromium itself saw: proves the page's console methods still run.
  const pageConsole: string[] = [];
  // Uncaught errors in the pages: only the ones the tests throw on purpose.
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The fake Userplane server.
    const fake = new Hono();
    const cors = (c: Context) => ({
      'Access-Control-Allow-Origin': c.req.header('origin') ?? '*',
      'Access-Control-Allow-Methods': 'PUT',
      'Access-Control-Allow-Headers': 'authorization, content-type',
      Vary: 'Origin',
    });
    fake.get('/r/:linkId', (c) =>
      c.html(`<!doctype html><title>Fake recorder</title><p>Recorder for ${c.req.param('linkId')}</p>
        <script>
          window.received = [];
          const site = window.opener || window.parent;
          let siteOrigin = null;
          window.addEventListener('message', (event) => {
            window.received.push({ origin: event.origin, data: event.data });
            if (event.data && event.data.type === 'userplane:hello') siteOrigin = event.origin;
          });
          window.send = (message) => site.postMessage(message, siteOrigin);
          site.postMessage({ type: 'userplane:ready' }, '*');
        </script>`),
    );
    // A page of the right origin that the script did not open: it must not be able to drive it.
    fake.get('/evil.html', (c) =>
      c.html(`<!doctype html><title>Other page</title><script>
        window.received = [];
        window.addEventListener('message', (event) => window.received.push({ origin: event.origin, data: event.data }));
        parent.postMessage({ type: 'userplane:ready' }, '*');
        parent.postMessage({ type: 'userplane:attach', recordingId: 'rec_evil', uploadToken: 'evil',
          apiBase: location.origin + '/api/v1/recorder', startedAt: Date.now() - 60000, stoppedAt: Date.now() }, '*');
      </script>`),
    );
    fake.options('/api/v1/recorder/*', (c) => new Response(null, { status: 204, headers: cors(c) }));
    fake.put('/api/v1/recorder/recordings/:id/:kind', async (c) => {
      const recordingId = c.req.param('id');
      const kind = c.req.param('kind');
      uploads.push({
        recordingId,
        kind,
        authorization: c.req.header('authorization'),
        origin: c.req.header('origin'),
        contentType: c.req.header('content-type'),
        body: await c.req.text(),
      });
      if (recordingId === 'rec_fail' && kind === 'network-log') {
        return c.json({ error: 'INTERNAL', message: 'disk full' }, 500, cors(c));
      }
      return c.json({ data: { kind, accepted: 1, dropped: 0 } }, 200, cors(c));
    });
    recorder = await listen(fake, 'localhost');

    // The customer's site.
    const app = new Hono();
    app.route('/', createSdkRoutes());
    // Included twice on purpose: the second copy must change nothing (what the first one set up is
    // kept aside in between, to compare).
    app.get('/site.html', (c) =>
      c.html(
        page(
          SITE_BODY,
          `<script src="/sdk/v1/userplane.js"></script>
           <script>window.first = { api: window.Userplane, log: console.log, fetch: window.fetch };</script>
           <script src="/sdk/v1/userplane.js"></script>`,
        ),
      ),
    );
    app.get('/site-bodies.html', (c) =>
      c.html(page(SITE_BODY, '<script src="/sdk/v1/userplane.js" data-capture-bodies="true"></script>')),
    );
    app.get('/module.html', (c) =>
      c.html(
        page(
          '<p>Module page</p>',
          `<script type="module">
            import Userplane, { init, open, setMetadata, _snapshot } from '/sdk/v1/userplane.mjs';
            window.moduleCheck = {
              same: Userplane === window.Userplane,
              types: [typeof init, typeof open, typeof setMetadata, typeof _snapshot],
            };
            console.log('from the module page');
          </script>`,
        ),
      ),
    );
    app.get('/protocol.html', (c) =>
      c.html(
        page(
          `<button id="record" onclick="Userplane.open('${recorder.url}/r/lnk_e2epopup')">Record my screen</button>
           <button id="during" data-testid="during-button">Do something</button>
           <input id="field" name="comment">`,
          '<script src="/sdk/v1/userplane.js" data-look-back-seconds="1"></script>',
        ),
      ),
    );
    app.all('/api/echo', async (c) => {
      const received = c.req.method === 'GET' ? '' : await c.req.text();
      c.header('X-Request-Id', 'server-rid-1');
      c.header('X-Internal', 'internal-value');
      return c.json({
        ok: true,
        receivedBytes: received.length,
        sessionId: 'sess-response-secret',
        refresh_token: 'rt-response-secret',
        data: { name: 'Widget', apiKey: 'ak-response-secret', list: [{ password: 'pw-in-list' }] },
      });
    });
    app.get('/api/big', (c) => c.text('z'.repeat(50_000)));
    site = await listen(app, '127.0.0.1');

    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.on('console', (message) => pageConsole.push(message.text()));
    context.on('weberror', (error) => pageErrors.push(error.error().message));
  });

  afterAll(async () => {
    // Nothing from the script itself: no uncaught error, no warning of ours.
    expect(pageErrors.filter((m) => !/uncaught boom|rejected boom/.test(m))).toEqual([]);
    expect(pageConsole.filter((line) => line.startsWith('[Userplane]'))).toEqual([]);
    await browser?.close();
    await site?.close();
    await recorder?.close();
  });

  async function open(path: string): Promise<Page> {
    const p = await context.newPage();
    await p.goto(`${site.url}${path}`);
    await p.waitForFunction(() => typeof window.Userplane === 'object');
    return p;
  }

  const snapshot = (p: Page) => p.evaluate(() => window.Userplane._snapshot());

  it('serves the classic script and the module with cache, CORS and ETag headers', async () => {
    for (const path of ['/sdk/v1/userplane.js', '/sdk/v1/userplane.mjs']) {
      const res = await fetch(`${site.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = res.headers.get('etag');
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      const body = await res.text();
      expect(body).toContain('window.Userplane');
      if (path.endsWith('.mjs')) {
        expect(body).toContain('export default Userplane;');
        expect(body).toContain('import.meta.url');
      }
      const again = await fetch(`${site.url}${path}`, { headers: { 'If-None-Match': `W/${etag}, "other"` } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);
      expect(await again.text()).toBe('');
      const changed = await fetch(`${site.url}${path}`, { headers: { 'If-None-Match': '"stale"' } });
      expect(changed.status).toBe(200);
    }
  });

  it('captures console calls, uncaught errors and rejections, masked and capped, once', async () => {
    const p = await open('/site.html');
    await p.evaluate(() => {
      const cycle: Record<string, unknown> = { name: 'loop' };
      cycle.self = cycle;
      console.log('hello %s!', 'world', {
        password: 'hunter2',
        nested: { apiToken: 'tok-console', keep: 'visible' },
        list: [1, 2],
      });
      console.info('cycle', cycle);
      console.warn('long arg', { text: 'x'.repeat(5_000) });
      console.debug(`huge message ${'y'.repeat(20_000)}`);
      console.error(new Error('boom'));
      console.log('a jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln here');
      setTimeout(() => {
        throw new Error('uncaught boom');
      });
      void Promise.reject(new Error('rejected boom'));
    });
    await expect
      .poll(async () => (await snapshot(p)).console.map((e) => e.message).join('\n'), { timeout: SEE_MS })
      .toContain('Unhandled promise rejection');
    await expect
      .poll(async () => (await snapshot(p)).console.some((e) => e.message.includes('uncaught boom')), {
        timeout: SEE_MS,
      })
      .toBe(true);
    const entries = (await snapshot(p)).console;
    const byMessage = (start: string) => entries.filter((e) => e.message.startsWith(start));

    // Included twice, hooked once.
    expect(
      await p.evaluate(
        () =>
          window.first.api === window.Userplane &&
          window.first.log === console.log &&
          window.first.fetch === window.fetch,
      ),
    ).toBe(true);
    const hello = byMessage('hello world!');
    expect(hello).toHaveLength(1);
    expect(hello[0]).toMatchObject({
      level: 'log',
      message:
        'hello world! {"password":"[redacted]","nested":{"apiToken":"[redacted]","keep":"visible"},"list":[1,2]}',
      args: [
        'hello %s!',
        'world',
        { password: '[redacted]', nested: { apiToken: '[redacted]', keep: 'visible' }, list: [1, 2] },
      ],
    });
    expect(hello[0]!.ts).toBeGreaterThan(Date.now() - 60_000);

    const [cycle] = byMessage('cycle');
    expect(cycle!.level).toBe('info');
    expect(cycle!.args![1]).toEqual({ name: 'loop', self: '[Circular]' });

    const [long] = byMessage('long arg');
    expect(long!.level).toBe('warn');
    expect(JSON.stringify(long!.args![1]).length).toBeLessThanOrEqual(2_100);

    const [huge] = byMessage('huge message');
    expect(huge!.level).toBe('debug');
    expect(huge!.message.length).toBeLessThanOrEqual(10_000);
    expect(huge!.message.endsWith('…[truncated]')).toBe(true);

    const [boom] = byMessage('Error: boom');
    expect(boom!.level).toBe('error');
    expect(boom!.stack).toContain('boom');
    expect(boom!.args![0]).toMatchObject({ name: 'Error', message: 'boom' });

    const [jwt] = byMessage('a jwt');
    expect(jwt!.message).toBe('a jwt [redacted] here');

    const uncaught = entries.find((e) => e.message.includes('uncaught boom'));
    expect(uncaught).toMatchObject({ level: 'error' });
    expect(uncaught!.stack).toContain('uncaught boom');
    const rejection = entries.find((e) => e.message.startsWith('Unhandled promise rejection'));
    expect(rejection).toMatchObject({
      level: 'error',
      message: 'Unhandled promise rejection: Error: rejected boom',
    });
    expect(rejection!.stack).toContain('rejected boom');

    const all = JSON.stringify(entries);
    for (const secret of ['hunter2', 'tok-console', 'eyJzdWIi']) expect(all).not.toContain(secret);
    // The page's own console still printed everything (Chromium saw the calls).
    expect(pageConsole.some((line) => line.includes('hello'))).toBe(true);
    expect(pageConsole.some((line) => line.startsWith('huge message'))).toBe(true);
    await p.close();
  });

  it('records fetch and XHR with masked URLs, allow-listed headers, no bodies by default, status 0 on failure', async () => {
    const p = await open('/site.html');
    const closed = await listen(new Hono(), '127.0.0.1');
    await closed.close();
    const result = await p.evaluate(async (unreachable) => {
      const response = await fetch(
        '/api/echo?token=abc123&q=hello%20world&apiKey=k-secret-1&code=777&page=2',
        {
          headers: {
            Authorization: 'Bearer sekrit-token-value',
            'X-Request-Id': 'rid-7',
            'X-Custom': 'custom-value',
            Accept: 'application/json',
          },
        },
      );
      const json = await response.json();
      const body = JSON.stringify({ password: 'hunter2', user: 'bob' });
      const post = await fetch('/api/echo', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      const postJson = await post.json();
      let failure = '';
      try {
        await fetch(`${unreachable}/nowhere?session=sess-zzz`);
      } catch (error) {
        failure = (error as Error).name;
      }
      const xhr = await new Promise<{ status: number; json: { ok: boolean } }>((resolve) => {
        const x = new XMLHttpRequest();
        x.open('GET', '/api/echo?password=pw-in-url&sort=asc');
        x.setRequestHeader('Authorization', 'Basic dXNlcjpwYXNzd29yZA==');
        x.setRequestHeader('X-Correlation-Id', 'corr-1');
        x.onload = () => resolve({ status: x.status, json: JSON.parse(x.responseText) });
        x.send();
      });
      return {
        isResponse: response instanceof Response,
        status: response.status,
        json,
        sentBytes: body.length,
        postJson,
        failure,
        xhr,
      };
    }, closed.url);

    // The page's fetch and XHR behaved as without the script.
    expect(result.isResponse).toBe(true);
    expect(result.status).toBe(200);
    expect(result.json.ok).toBe(true);
    expect(result.postJson.receivedBytes).toBe(result.sentBytes);
    expect(result.failure).toBe('TypeError');
    expect(result.xhr).toMatchObject({ status: 200, json: { ok: true } });

    const { network } = await snapshot(p);
    expect(network).toHaveLength(4);
    const get = network.find((e) => e.url.includes('q=hello'));
    expect(get).toMatchObject({
      method: 'GET',
      url: `${site.url}/api/echo?token=[redacted]&q=hello%20world&apiKey=[redacted]&code=[redacted]&page=2`,
      status: 200,
      requestHeaders: { authorization: '[redacted]', 'x-request-id': 'rid-7', accept: 'application/json' },
    });
    expect(get!.requestHeaders).not.toHaveProperty('x-custom');
    expect(get!.responseHeaders).toMatchObject({
      'content-type': 'application/json',
      'x-request-id': 'server-rid-1',
    });
    expect(get!.responseHeaders).not.toHaveProperty('x-internal');
    expect(get!.durationMs).toBeGreaterThanOrEqual(0);
    expect(get).not.toHaveProperty('requestBody');
    expect(get).not.toHaveProperty('responseBody');

    const post = network.find((e) => e.method === 'POST');
    expect(post).toMatchObject({ url: `${site.url}/api/echo`, status: 200 });
    expect(post).not.toHaveProperty('requestBody');
    expect(post).not.toHaveProperty('responseBody');

    const failed = network.find((e) => e.url.includes('/nowhere'));
    expect(failed).toMatchObject({ status: 0, url: `${closed.url}/nowhere?session=[redacted]` });

    const xhr = network.find((e) => e.url.includes('sort=asc'));
    expect(xhr).toMatchObject({
      method: 'GET',
      url: `${site.url}/api/echo?password=[redacted]&sort=asc`,
      status: 200,
      requestHeaders: { authorization: '[redacted]', 'x-correlation-id': 'corr-1' },
    });
    expect(xhr!.responseHeaders!['x-request-id']).toBe('server-rid-1');

    const all = JSON.stringify(network);
    for (const secret of [
      'sekrit',
      'abc123',
      'k-secret-1',
      '777',
      'hunter2',
      'pw-in-url',
      'dXNlcjpw',
      'sess-',
    ]) {
      expect(all).not.toContain(secret);
    }

    // Credential headers stay redacted even when the site allow-lists them.
    await p.evaluate(async () => {
      window.Userplane.init({ headerAllowList: ['authorization', 'x-custom'] });
      await fetch('/api/echo?again=1', {
        headers: { Authorization: 'Bearer still-secret', 'X-Custom': 'shown' },
      });
    });
    const again = (await snapshot(p)).network.find((e) => e.url.includes('again=1'));
    expect(again!.requestHeaders).toEqual({ authorization: '[redacted]', 'x-custom': 'shown' });
    await p.close();
  });

  it('captures bodies only when the site opts in, redacted and capped, without consuming them', async () => {
    const p = await open('/site-bodies.html');
    const result = await p.evaluate(async () => {
      const body = JSON.stringify({
        password: 'hunter2',
        user: { name: 'Bob', apiToken: 'tok-body' },
        items: [{ cvv: '123', sku: 'A-1' }],
      });
      const json = await (
        await fetch('/api/echo', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })
      ).json();
      const form = await (
        await fetch('/api/echo', {
          method: 'POST',
          body: new URLSearchParams({ user: 'bob', password: 'pw-form' }),
        })
      ).json();
      const request = new Request('/api/echo', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: 'tok-request', amount: 3 }),
      });
      const fromRequest = await (await fetch(request)).json();
      const big = await (await fetch('/api/big')).text();
      const xhr = await new Promise<{ ok: boolean }>((resolve) => {
        const x = new XMLHttpRequest();
        x.open('POST', '/api/echo?via=xhr');
        x.responseType = 'json';
        x.setRequestHeader('Content-Type', 'application/json');
        x.onload = () => resolve(x.response);
        x.send(JSON.stringify({ secret: 'xhr-secret', visible: 'yes' }));
      });
      return { sent: body.length, json, form, fromRequest, bigLength: big.length, xhr };
    });
    // The caller read every body itself: the script read copies only.
    expect(result.json).toMatchObject({ ok: true, receivedBytes: result.sent });
    expect(result.form.ok).toBe(true);
    expect(result.fromRequest.receivedBytes).toBe(JSON.stringify({ token: 'tok-request', amount: 3 }).length);
    expect(result.bigLength).toBe(50_000);
    expect(result.xhr.ok).toBe(true);

    // Response bodies are read from a clone, asynchronously.
    await expect
      .poll(async () => (await snapshot(p)).network.filter((e) => e.responseBody !== undefined).length, {
        timeout: SEE_MS,
      })
      .toBe(5);
    const { network } = await snapshot(p);
    const posts = network.filter((e) => e.method === 'POST' && !e.url.includes('via=xhr'));
    expect(posts).toHaveLength(3);
    const jsonPost = posts.find((e) => e.requestBody?.includes('Bob'))!;
    expect(JSON.parse(jsonPost.requestBody!)).toEqual({
      password: '[redacted]',
      user: { name: 'Bob', apiToken: '[redacted]' },
      items: [{ cvv: '[redacted]', sku: 'A-1' }],
    });
    expect(JSON.parse(jsonPost.responseBody!)).toEqual({
      ok: true,
      receivedBytes: result.sent,
      sessionId: '[redacted]',
      refresh_token: '[redacted]',
      data: { name: 'Widget', apiKey: '[redacted]', list: [{ password: '[redacted]' }] },
    });
    expect(posts.some((e) => e.requestBody === 'user=bob&password=[redacted]')).toBe(true);
    expect(posts.some((e) => e.requestBody === '{"token":"[redacted]","amount":3}')).toBe(true);

    const big = network.find((e) => e.url.endsWith('/api/big'))!;
    expect(big.responseBody!.length).toBeLessThanOrEqual(16 * 1024);
    expect(big.responseBody!.endsWith('…[truncated]')).toBe(true);

    const xhr = network.find((e) => e.url.includes('via=xhr'))!;
    expect(JSON.parse(xhr.requestBody!)).toEqual({ secret: '[redacted]', visible: 'yes' });
    expect(JSON.parse(xhr.responseBody!)).toMatchObject({
      sessionId: '[redacted]',
      data: { apiKey: '[redacted]' },
    });

    const all = JSON.stringify(network);
    for (const secret of [
      'hunter2',
      'tok-body',
      'pw-form',
      'tok-request',
      'xhr-secret',
      'response-secret',
      'pw-in-list',
    ]) {
      expect(all).not.toContain(secret);
    }
    await p.close();
  });

  it('records clicks and inputs by selector, values only where opted in and never from masked or secret fields', async () => {
    const p = await open('/site.html');
    await p.click('#buy');
    await p.click('#reveal');
    await p.click('#long-classes');
    await p.click('a.nav-link');
    await p.fill('#name', 'Alice Example');
    await p.fill('#nickname', 'ace');
    await p.fill('#pw', 'hunter2');
    await p.fill('#otp', '424242');
    await p.selectOption('#plan', 'pro');
    await p.fill('#blurred-input', 'blurred-secret');
    for (let i = 0; i < MASKS.length; i++) await p.fill(`#masked-${i}`, `masked-value-${i}`);
    const { action } = await snapshot(p);
    const clicks = action.filter((e) => e.type === 'click');
    const inputs = action.filter((e) => e.type === 'input');

    expect(clicks).toHaveLength(4);
    expect(clicks[0]).toMatchObject({ selector: 'button#buy[data-testid="buy-button"].btn.primary' });
    expect(clicks[0]!.x).toBeGreaterThan(0);
    expect(clicks[0]!.y).toBeGreaterThan(0);
    // Inside data-userplane-blur: a selector, nothing of the text.
    expect(clicks[1]).toMatchObject({ selector: 'button#reveal.secret-btn' });
    expect(clicks[2]!.selector!.length).toBeLessThanOrEqual(300);
    expect(clicks[2]!.selector!.startsWith('span#long-classes.generated-class-name-0')).toBe(true);
    expect(clicks[2]!.selector!.length).toBeLessThanOrEqual('span#long-classes'.length + 200);
    expect(clicks[3]).toMatchObject({ selector: 'section > ul > li > a.nav-link' });

    const inputOf = (id: string) => inputs.find((e) => e.selector!.includes(`#${id}`));
    expect(inputOf('name')).toEqual({ ts: expect.any(Number), type: 'input', selector: 'input#name' });
    expect(inputOf('nickname')).toMatchObject({ value: 'ace' });
    expect(inputOf('plan')).toMatchObject({ value: 'pro' });
    for (const id of ['pw', 'otp', 'blurred-input', ...MASKS.map((_, i) => `masked-${i}`)]) {
      expect(inputOf(id), id).toBeDefined();
      expect(inputOf(id), id).not.toHaveProperty('value');
    }
    const all = JSON.stringify(action);
    for (const text of [
      'Alice',
      'hunter2',
      '424242',
      'blurred-secret',
      'masked-value',
      'Reveal',
      '6789',
      'Buy now',
      'Deep text',
    ]) {
      expect(all).not.toContain(text);
    }
    await p.close();
  });

  it('records navigations (load, pushState, replaceState, hashchange, popstate) and system metadata, masked', async () => {
    const p = await open('/site.html?password=hunter2&view=list#access_token=at-secret&state=s1');
    await p.evaluate(() => {
      history.pushState({}, '', '/next?session=sess-secret&tab=2');
      history.replaceState({ scroll: 1 }, '', '/next?session=sess-secret&tab=2');
      location.hash = '#section-2';
    });
    await p.waitForFunction(() => window.Userplane._snapshot().action.length >= 3);
    await p.evaluate(() => history.back());
    await p.waitForFunction(() => window.Userplane._snapshot().action.length >= 4);
    const { action, systemMeta } = await snapshot(p);
    expect(action.map((e) => [e.type, e.url])).toEqual([
      ['navigation', `${site.url}/site.html?password=[redacted]&view=list#access_token=[redacted]&state=s1`],
      ['navigation', `${site.url}/next?session=[redacted]&tab=2`],
      ['navigation', `${site.url}/next?session=[redacted]&tab=2#section-2`],
      ['navigation', `${site.url}/next?session=[redacted]&tab=2`],
    ]);
    expect(systemMeta).toMatchObject({
      browser: expect.stringMatching(/^Chrome \d+$/),
      os: 'Linux',
      screen: { width: expect.any(Number), height: expect.any(Number) },
      url: `${site.url}/next?session=[redacted]&tab=2`,
      userAgent: expect.stringContaining('Chrome/'),
      language: expect.any(String),
      timezone: expect.any(String),
      viewport: { width: 1280, height: 900 },
    });
    expect(JSON.stringify({ action, systemMeta })).not.toMatch(/hunter2|at-secret|sess-secret/);
    await p.close();
  });

  it('keeps the buffer bounded and checks init, setMetadata and open arguments', async () => {
    const p = await open('/site.html');
    const result = await p.evaluate(async () => {
      const U = window.Userplane;
      const errorOf = (fn: () => unknown) => {
        try {
          fn();
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      };
      U.init({ maxEntries: 5 });
      for (let i = 0; i < 20; i++) console.log(`n${i}`);
      const counted = U._snapshot().console.map((e) => e.message);
      U.init({ maxEntries: 2_000, maxAgeSeconds: 1 });
      console.log('old entry');
      await new Promise((r) => setTimeout(r, 1_300));
      console.log('new entry');
      const aged = U._snapshot().console.map((e) => e.message);
      U.setMetadata({ plan: 'pro', userId: 'u_1' });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      return {
        counted,
        aged,
        customMeta: U._snapshot().customMeta,
        errors: {
          unknownOption: errorOf(() => U.init({ captureBody: true })),
          badNumber: errorOf(() => U.init({ maxEntries: -1 })),
          bigMeta: errorOf(() => U.setMetadata({ big: 'x'.repeat(11_000) })),
          cyclicMeta: errorOf(() => U.setMetadata(cyclic)),
          arrayMeta: errorOf(() => U.setMetadata([1])),
          badLink: errorOf(() => U.open('not a link')),
          badMode: errorOf(() => U.open('lnk_abc', { mode: 'window' })),
        },
        metaAfterErrors: U._snapshot().customMeta,
      };
    });
    expect(result.counted).toEqual(['n15', 'n16', 'n17', 'n18', 'n19']);
    expect(result.aged).toEqual(['new entry']);
    expect(result.customMeta).toEqual({ plan: 'pro', userId: 'u_1' });
    expect(result.metaAfterErrors).toEqual({ plan: 'pro', userId: 'u_1' });
    expect(result.errors.unknownOption).toBe('Userplane.init: unknown option "captureBody"');
    expect(result.errors.badNumber).toMatch(/^Userplane\.init: maxEntries must be a number/);
    expect(result.errors.bigMeta).toMatch(
      /^Userplane\.setMetadata: metadata must be at most 10240 bytes as JSON/,
    );
    expect(result.errors.cyclicMeta).toMatch(/cannot be serialized as JSON/);
    expect(result.errors.arrayMeta).toBe('Userplane.setMetadata: expected a plain object');
    expect(result.errors.badLink).toMatch(/^Userplane\.open: expected a link id/);
    expect(result.errors.badMode).toBe('Userplane.open: mode must be "popup" or "iframe"');

    // A bare link id opens the recorder on the script's own origin; the overlay closes.
    await p.evaluate(() => window.Userplane.open('lnk_abc123', { mode: 'iframe' }));
    const frame = p.locator('[data-userplane-ui] iframe');
    expect(await frame.getAttribute('src')).toBe(`${site.url}/r/lnk_abc123?embed=1`);
    expect(await frame.getAttribute('allow')).toBe('display-capture; microphone');
    await p.getByRole('button', { name: 'Close the recorder' }).click();
    expect(await p.locator('[data-userplane-ui]').count()).toBe(0);
    // A click on our own overlay is not one of the customer's actions.
    expect((await snapshot(p)).action.filter((e) => e.type === 'click')).toEqual([]);
    await p.close();
  });

  it('works as an ES module, taking its server origin from import.meta.url', async () => {
    const p = await open('/module.html');
    await p.waitForFunction(() => window.moduleCheck !== undefined);
    expect(await p.evaluate(() => window.moduleCheck)).toEqual({
      same: true,
      types: ['function', 'function', 'function', 'function'],
    });
    const { console: entries } = await snapshot(p);
    expect(entries.map((e) => e.message)).toContain('from the module page');
    await p.evaluate(() => window.Userplane.open('lnk_module1', { mode: 'iframe' }));
    expect(await p.locator('[data-userplane-ui] iframe').getAttribute('src')).toBe(
      `${site.url}/r/lnk_module1?embed=1`,
    );
    await p.close();
  });

  it('speaks the recorder protocol with a popup and uploads the recording window from the site origin', async () => {
    const p = await open('/protocol.html?session=nav-secret');
    const apiBase = `${recorder.url}/api/v1/recorder`;
    await p.evaluate(() => {
      window.Userplane.setMetadata({ plan: 'pro' });
      console.log('too old');
    });
    const [popup] = await Promise.all([p.waitForEvent('popup'), p.click('#record')]);
    await popup.waitForLoadState();
    expect(popup.url()).toBe(`${recorder.url}/r/lnk_e2epopup?embed=1`);
    await popup.waitForFunction(() => window.received.some((m) => m.data.type === 'userplane:hello'));
    const hello = await popup.evaluate(() => window.received.find((m) => m.data.type === 'userplane:hello'));
    expect(hello).toEqual({ origin: site.url, data: { type: 'userplane:hello', sdkVersion: 1 } });
    // 'too old' and the click on #record are now longer ago than lookBack (data-look-back-seconds="1")
    // will reach back from the start.
    await p.waitForTimeout(1_200);

    await p.evaluate(() => console.log('before start'));
    await p.waitForTimeout(100);
    const startedAt = await popup.evaluate(() => {
      const t = Date.now();
      window.send({ type: 'userplane:recording-started', startedAt: t });
      return t;
    });
    await p.waitForTimeout(200);
    await p.click('#during');
    await p.fill('#field', 'typed');
    await p.evaluate(async () => {
      await fetch('/api/echo?token=during-secret&x=1');
      console.error('during the recording');
    });
    const stoppedAt = await popup.evaluate(() => {
      const t = Date.now();
      window.send({ type: 'userplane:recording-stopped', stoppedAt: t });
      return t;
    });
    await p.waitForTimeout(50);
    await p.evaluate(() => console.log('after stop'));

    // Attach messages from the site itself (wrong origin) and from another window of the recorder
    // origin (wrong source) are ignored.
    await p.evaluate(
      ({ apiBase, startedAt, stoppedAt }) =>
        window.postMessage(
          {
            type: 'userplane:attach',
            recordingId: 'rec_forged',
            uploadToken: 'forged',
            apiBase,
            startedAt,
            stoppedAt,
          },
          '*',
        ),
      { apiBase, startedAt, stoppedAt },
    );
    await p.evaluate((url) => {
      const frame = document.createElement('iframe');
      frame.src = url;
      document.body.append(frame);
    }, `${recorder.url}/evil.html`);
    const evil = await (async () => {
      for (let i = 0; i < 100; i++) {
        const found = p.frames().find((f) => f.url().endsWith('/evil.html'));
        if (found) return found;
        await p.waitForTimeout(50);
      }
      throw new Error('the other page did not load');
    })();
    await evil.waitForFunction(() => Array.isArray(window.received));
    await p.waitForTimeout(300);

    await popup.evaluate(
      ({ apiBase, startedAt, stoppedAt }) =>
        window.send({
          type: 'userplane:attach',
          recordingId: 'rec_e2e1',
          uploadToken: 'upl_token_1',
          apiBase,
          startedAt,
          stoppedAt,
        }),
      { apiBase, startedAt, stoppedAt },
    );
    await popup.waitForFunction(() => window.received.some((m) => m.data.type === 'userplane:attached'));
    const attached = await popup.evaluate(() =>
      window.received.filter((m) => m.data.type === 'userplane:attached'),
    );
    expect(attached).toEqual([
      { origin: site.url, data: { type: 'userplane:attached', recordingId: 'rec_e2e1', ok: true } },
    ]);

    const mine = uploads.filter((u) => u.recordingId === 'rec_e2e1');
    expect(mine.map((u) => u.kind).sort()).toEqual(['action', 'console-log', 'metadata', 'network-log']);
    for (const upload of mine) {
      expect(upload.authorization).toBe('Bearer upl_token_1');
      expect(upload.origin).toBe(site.url);
    }
    const kind = (name: string) => mine.find((u) => u.kind === name)!;
    expect(kind('console-log').contentType).toBe('application/x-ndjson');
    expect(kind('network-log').contentType).toBe('application/json');
    expect(kind('action').contentType).toBe('application/json');
    expect(kind('metadata').contentType).toBe('application/json');

    const duration = stoppedAt - startedAt;
    const lines = kind('console-log').body.trimEnd().split('\n');
    const consoleEntries = lines.map((line) => JSON.parse(line) as ConsoleEntry);
    expect(consoleEntries.map((e) => e.message)).toEqual(['before start', 'during the recording']);
    expect(consoleEntries[0]!.ts).toBe(0);
    expect(consoleEntries[1]).toMatchObject({ level: 'error' });
    expect(consoleEntries[1]!.ts).toBeGreaterThanOrEqual(150);
    expect(consoleEntries[1]!.ts).toBeLessThanOrEqual(duration);

    const networkEntries = JSON.parse(kind('network-log').body) as NetworkEntry[];
    expect(networkEntries).toHaveLength(1);
    expect(networkEntries[0]).toMatchObject({
      method: 'GET',
      url: `${site.url}/api/echo?token=[redacted]&x=1`,
      status: 200,
    });
    expect(networkEntries[0]!.ts).toBeGreaterThan(0);

    const actions = JSON.parse(kind('action').body) as ActionEntry[];
    expect(actions.map((a) => [a.type, a.selector])).toEqual([
      ['click', 'button#during[data-testid="during-button"]'],
      ['input', 'input#field'],
    ]);
    for (const entry of [...consoleEntries, ...networkEntries, ...actions]) {
      expect(Number.isInteger(entry.ts)).toBe(true);
      expect(entry.ts).toBeGreaterThanOrEqual(0);
      expect(entry.ts).toBeLessThanOrEqual(duration);
    }

    const meta = JSON.parse(kind('metadata').body);
    expect(meta.customMeta).toEqual({ plan: 'pro' });
    expect(meta.systemMeta).toMatchObject({
      browser: expect.stringMatching(/^Chrome /),
      os: 'Linux',
      url: `${site.url}/protocol.html?session=[redacted]`,
    });

    // Nothing from the forged messages; the other window got no hello.
    expect(uploads.filter((u) => u.recordingId === 'rec_forged' || u.recordingId === 'rec_evil')).toEqual([]);
    expect(await evil.evaluate(() => window.received)).toEqual([]);
    // The script's own uploads are not in its network buffer.
    expect((await snapshot(p)).network.map((e) => e.url)).toEqual([
      `${site.url}/api/echo?token=[redacted]&x=1`,
    ]);

    // A failed upload is reported to the page with the reason.
    await popup.evaluate(
      ({ apiBase, startedAt, stoppedAt }) =>
        window.send({
          type: 'userplane:attach',
          recordingId: 'rec_fail',
          uploadToken: 'tok',
          apiBase,
          startedAt,
          stoppedAt,
        }),
      { apiBase, startedAt, stoppedAt },
    );
    await popup.waitForFunction(() =>
      window.received.some((m) => m.data.type === 'userplane:attached' && m.data.recordingId === 'rec_fail'),
    );
    const failed = await popup.evaluate(() =>
      window.received.find((m) => m.data.type === 'userplane:attached' && m.data.recordingId === 'rec_fail'),
    );
    expect(failed!.data).toEqual({
      type: 'userplane:attached',
      recordingId: 'rec_fail',
      ok: false,
      error: 'network-log: HTTP 500 disk full',
    });
    await popup.close();
    await p.close();
  });

  it('speaks the same protocol with the recorder in an overlay iframe', async () => {
    const p = await open('/protocol.html');
    await p.evaluate(
      (url) => window.Userplane.open(url, { mode: 'iframe' }),
      `${recorder.url}/r/lnk_e2eframe`,
    );
    const iframe = p.locator('[data-userplane-ui] iframe');
    expect(await iframe.getAttribute('src')).toBe(`${recorder.url}/r/lnk_e2eframe?embed=1`);
    expect(await iframe.getAttribute('allow')).toBe('display-capture; microphone');
    await expect
      .poll(() => p.frames().some((f) => f.url().includes('lnk_e2eframe')), { timeout: SEE_MS })
      .toBe(true);
    const frame = p.frames().find((f) => f.url().includes('lnk_e2eframe'))!;
    await frame.waitForFunction(() => window.received.some((m) => m.data.type === 'userplane:hello'));

    const startedAt = await frame.evaluate(() => {
      const t = Date.now();
      window.send({ type: 'userplane:recording-started', startedAt: t });
      return t;
    });
    await p.waitForTimeout(100);
    await p.evaluate(() => console.warn('inside the iframe recording'));
    const stoppedAt = await frame.evaluate(() => {
      const t = Date.now();
      window.send({ type: 'userplane:recording-stopped', stoppedAt: t });
      return t;
    });
    await frame.evaluate(
      ({ apiBase, startedAt, stoppedAt }) =>
        window.send({
          type: 'userplane:attach',
          recordingId: 'rec_frame',
          uploadToken: 'upl_frame',
          apiBase,
          startedAt,
          stoppedAt,
        }),
      { apiBase: `${recorder.url}/api/v1/recorder/`, startedAt, stoppedAt },
    );
    await frame.waitForFunction(() => window.received.some((m) => m.data.type === 'userplane:attached'));
    expect(
      await frame.evaluate(() => window.received.find((m) => m.data.type === 'userplane:attached')!.data),
    ).toEqual({ type: 'userplane:attached', recordingId: 'rec_frame', ok: true });
    const mine = uploads.filter((u) => u.recordingId === 'rec_frame');
    expect(mine).toHaveLength(4);
    expect(mine.every((u) => u.authorization === 'Bearer upl_frame' && u.origin === site.url)).toBe(true);
    const logged = mine.find((u) => u.kind === 'console-log')!.body;
    expect(logged).toContain('"message":"inside the iframe recording"');

    await p.getByRole('button', { name: 'Close the recorder' }).click();
    expect(await p.locator('[data-userplane-ui]').count()).toBe(0);
    await p.close();
  });
});
