import { createServer } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type Logger, silentLogger } from '../../src/lib/logger.ts';
import { createHttpServer } from '../../src/main.ts';
import type { Deps } from '../../src/services/deps.ts';
import { hiddenValue } from './page-browser.ts';
import { createTestApp, type TestApp } from './test-app.ts';

/** A free TCP port on 127.0.0.1: listen on port 0, read the port, close. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ListeningApp {
  /** The public URL (= issuer), `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  t: TestApp;
  close(): Promise<void>;
}

/**
 * The real app (real database, real routes) listening on a real loopback port, with PUBLIC_URL set
 * to that address so the issuer and endpoints in the metadata are reachable. `extraRoutes` lets a
 * test mount routes in front of the app (in the test server only, never in src).
 */
export async function startListeningApp(
  options: {
    env?: Record<string, string>;
    fetchMetadataDocument?: Deps['fetchMetadataDocument'];
    extraRoutes?: (app: Hono, url: string) => void;
    /** Receives the app's log lines (silent by default). */
    log?: Logger;
  } = {},
): Promise<ListeningApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await createTestApp({
    env: { PUBLIC_URL: url, SIGNIN_RATE_LIMIT_PER_MINUTE: '1000', ...options.env },
    ...(options.fetchMetadataDocument ? { fetchMetadataDocument: options.fetchMetadataDocument } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  let fetchHandler: (request: Request, env?: unknown) => Response | Promise<Response> = t.app.fetch;
  if (options.extraRoutes) {
    const front = new Hono();
    options.extraRoutes(front, url);
    front.all('*', (c) => t.app.fetch(c.req.raw, c.env));
    fetchHandler = front.fetch;
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    // The server `userplane serve` runs (main.ts: POST /mcp straight off node:http); routes in front
    // of the app need every request to pass through hono, so those tests get @hono/node-server alone.
    if (options.extraRoutes) {
      const s = serve({ fetch: fetchHandler, port, hostname: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
      return;
    }
    const s = createHttpServer(t, t.config, options.log ?? silentLogger());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    url,
    t,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
}

/** A cookie jar for one origin: keeps what Set-Cookie says, forgets what it expires. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export interface FormsBrowserOptions {
  decision?: 'allow' | 'deny';
  /** Every hop seen, for assertions (status and Location). */
  hops?: { method: string; url: string; status: number; location: string | null }[];
}

/**
 * A browser over real HTTP: opens the authorization URL the client wants opened, follows the
 * server's redirects (manually, keeping cookies), fills the real sign-in form and the consent
 * form, and returns the URL of the first redirect that leaves the server: the client's
 * redirect_uri with code/state/iss (or error). Nothing is sent to the client's redirect_uri.
 */
export async function followFormsBrowser(
  authorizationUrl: string | URL,
  credentials: { email: string; password: string },
  options: FormsBrowserOptions = {},
): Promise<URL> {
  const start = new URL(authorizationUrl);
  const origin = start.origin;
  const jar = new CookieJar();
  const hops = options.hops ?? [];

  async function send(method: 'GET' | 'POST', target: URL, form?: Record<string, string>) {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = jar.header();
    if (cookie) headers.cookie = cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(target, {
      method,
      headers,
      redirect: 'manual',
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    jar.take(res);
    hops.push({ method, url: target.href, status: res.status, location: res.headers.get('location') });
    return res;
  }

  let current = start;
  let res = await send('GET', current);
  for (let step = 0; step < 12; step++) {
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location) throw new Error(`redirect ${res.status} without Location at ${current.href}`);
      const target = new URL(location, current);
      await res.body?.cancel();
      // Leaving the server's pages (another origin, or a path that is not ours) is the answer.
      const ours = target.pathname.startsWith('/authorize') || target.pathname.startsWith('/signin');
      if (target.origin !== origin || !ours) return target;
      current = target;
      res = await send('GET', current);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) {
      throw new Error(`authorization stopped at ${res.status} ${current.href}: ${html.slice(0, 400)}`);
    }
    if (html.includes('name="password"')) {
      current = new URL('/signin', origin);
      res = await send('POST', current, {
        email: credentials.email,
        password: credentials.password,
        csrf: hiddenValue(html, 'csrf'),
        return_to: hiddenValue(html, 'return_to'),
      });
      continue;
    }
    if (html.includes('name="decision"')) {
      current = new URL('/authorize/decision', origin);
      res = await send('POST', current, {
        pending: hiddenValue(html, 'pending'),
        csrf: hiddenValue(html, 'csrf'),
        decision: options.decision ?? 'allow',
      });
      continue;
    }
    throw new Error(`unexpected page at ${current.href}: ${html.slice(0, 400)}`);
  }
  throw new Error('too many hops');
}
