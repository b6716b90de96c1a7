import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/listening-app.ts';
import {
  type DemoServer,
  fillSignIn,
  launchBrowser,
  rowWith,
  SEE_MS,
  screenshot,
  see,
  startDemoServer,
  watchedContext,
} from './helpers.ts';

// Journey 6: two AI clients connect through the MCP SDK's own auth(), with Chromium completing
// sign-in and consent; both call a tool. In Account Settings > Connections the person revokes the
// first by typing its name: its next tool call is refused and its row shows Inactive, while the
// second client keeps working.

/** A loopback redirect_uri, as native MCP clients run: answers the browser and hands over the URL. */
interface CallbackServer {
  url: string;
  origin: string;
  /** The next callback request's full URL. */
  next(): Promise<URL>;
  close(): Promise<void>;
}

async function startCallbackServer(): Promise<CallbackServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let waiting: ((url: URL) => void) | undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== '/callback') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><title>Connected</title><p>Connected. You can close this window.</p>');
    waiting?.(url);
    waiting = undefined;
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `${origin}/callback`,
    origin,
    next: () =>
      new Promise<URL>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no callback within the time limit')), SEE_MS * 2);
        waiting = (url) => {
          clearTimeout(timer);
          resolve(url);
        };
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An MCP client's OAuth state, in memory; "opening the browser" drives Chromium. */
class ChromiumProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  lastState = '';
  callback: URL | undefined;
  /** Once connected, nobody sits at the browser: a request to authorize again is not followed. */
  browserAllowed = true;

  constructor(
    readonly name: string,
    private readonly redirect: string,
    private readonly openBrowser: (url: URL) => Promise<URL>,
  ) {}

  get redirectUrl(): string {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'mcp:tools',
    };
  }
  state(): string {
    this.lastState = randomUUID();
    return this.lastState;
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL) {
    if (this.browserAllowed) this.callback = await this.openBrowser(url);
  }
}

describe('connected MCP clients (Chromium)', () => {
  let s: DemoServer;
  let browser: Browser;
  let callback: CallbackServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    s = await startDemoServer(0);
    callback = await startCallbackServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await browser?.close();
    await callback?.close();
    await s?.server.close();
  });

  it('connect two clients, revoke the first by typing its name: it is refused, the second keeps working', async () => {
    const mcpUrl = `${s.server.url}/mcp`;
    const person = s.member;
    const { context, watch } = await watchedContext(browser, s.server.url, {
      allowedOrigins: [callback.origin],
    });
    const page = await context.newPage();
    let consentShots = 0;

    /** The person at the browser: signs in if asked, reads the consent page and clicks Allow. */
    const completeInBrowser = async (url: URL): Promise<URL> => {
      const arrived = callback.next();
      await page.goto(url.href);
      const form = page.locator('input[name="password"], button[name="decision"][value="allow"]');
      await see(form);
      if ((await page.locator('input[name="password"]').count()) > 0) {
        await fillSignIn(page, person.email, person.password);
      }
      const allow = page.getByRole('button', { name: 'Allow' });
      await see(allow);
      if (consentShots++ === 0) await screenshot(page, 'consent');
      await allow.click();
      const got = await arrived;
      await see(page.getByText('Connected. You can close this window.'));
      return got;
    };

    /** The MCP SDK's auth() with the browser above, then a connected Client using the tokens. */
    const connect = async (name: string) => {
      const provider = new ChromiumProvider(name, callback.url, completeInBrowser);
      expect(await auth(provider, { serverUrl: mcpUrl })).toBe('REDIRECT');
      const cb = provider.callback!;
      expect(cb.searchParams.get('state')).toBe(provider.lastState);
      expect(cb.searchParams.get('iss')).toBe(s.server.url);
      const code = cb.searchParams.get('code');
      expect(code).toBeTruthy();
      expect(await auth(provider, { serverUrl: mcpUrl, authorizationCode: code! })).toBe('AUTHORIZED');
      provider.browserAllowed = false;
      const client = new Client({ name, version: '1.0.0' });
      clients.push(client);
      await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
      return { provider, client };
    };

    const profile = async (client: Client) => {
      const result = await client.callTool({ name: 'userplane_get_profile', arguments: {} });
      expect(result.isError).toBeFalsy();
      return JSON.stringify(result);
    };

    const first = await connect('Journey Client A');
    expect(await profile(first.client)).toContain(person.email);
    const second = await connect('Journey Client B');
    expect(await profile(second.client)).toContain(person.email);
    // The second connection found the browser signed in already: one sign-in, two consents.
    expect(consentShots).toBe(2);

    const accessTokenA = first.provider.saved!.access_token;

    // Account Settings > Connections: both are Active.
    await page.goto(`${s.server.url}/account/connections`);
    await see(page.getByRole('heading', { name: 'Connected Apps' }));
    const rowA = rowWith(page, 'Journey Client A');
    const rowB = rowWith(page, 'Journey Client B');
    await see(rowA);
    expect(await rowA.locator('td[data-label="Status"]').textContent()).toBe('Active');
    expect(await rowB.locator('td[data-label="Status"]').textContent()).toBe('Active');
    expect(await rowA.locator('td[data-label="Permissions"]').textContent()).toBe('mcp:tools');
    // Hovering the permission shows the full list of what it allows.
    expect(await rowA.locator('td[data-label="Permissions"]').getAttribute('title')).toContain('recordings');

    // ⋯ → Revoke Access, confirmed by typing the application's name.
    await rowA.locator('summary', { hasText: 'Actions for Journey Client A' }).click();
    await page.getByLabel('Type Journey Client A to confirm').fill('Journey Client A');
    await rowA.getByRole('button', { name: 'Revoke Access' }).click();
    await see(page.getByRole('status').filter({ hasText: 'Access revoked' }));
    expect(await rowWith(page, 'Journey Client A').locator('td[data-label="Status"]').textContent()).toBe(
      'Inactive',
    );
    expect(await rowWith(page, 'Journey Client B').locator('td[data-label="Status"]').textContent()).toBe(
      'Active',
    );
    // Nothing left to revoke on the inactive row.
    expect(await rowWith(page, 'Journey Client A').locator('summary').count()).toBe(0);
    await screenshot(page, 'account-connections');

    // The first client's next tool call is refused (revocation reaches every process within 2 s):
    // its access token meets 401, and the SDK's refresh is refused too.
    const refusal = await refusedWithin(first.client, 5_000);
    expect(refusal).toMatch(/unauthori[sz]ed|invalid_?grant|invalid_?token/i);
    const raw = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessTokenA}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toContain('invalid_token');
    // Nobody was asked to consent again.
    expect(consentShots).toBe(2);
    // The second client keeps working.
    expect(await profile(second.client)).toContain(person.email);

    await context.close();
    watch.assertClean();
  });
});

/** Calls the tool until the call fails (or `limitMs` passes); returns the failure's message. */
async function refusedWithin(client: Client, limitMs: number): Promise<string> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    try {
      await client.callTool({ name: 'userplane_get_profile', arguments: {} });
    } catch (error) {
      return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the revoked client's calls still succeed after ${limitMs} ms`);
}
