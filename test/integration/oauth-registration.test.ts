import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { runOAuthMaintenance } from '../../src/services/oauth/maintenance.ts';
import {
  authorizeParams,
  authorizePath,
  exchangeCode,
  expectOAuthError,
  newClient,
  oauthTestApp,
  obtainCode,
  PageBrowser,
  refresh,
  registerClient,
  tokenRequest,
} from '../helpers/oauth-scenarios.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

async function register(t: TestApp, body: unknown, ip = '192.0.2.1', raw?: string): Promise<Response> {
  return await t.app.request(
    '/register',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) },
    { incoming: { socket: { remoteAddress: ip } } },
  );
}

const BASE = {
  client_name: 'Registration Test',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
};

async function expectRefused(res: Response, error?: string): Promise<void> {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(res.headers.get('cache-control')).toBe('no-store');
  if (error) expect(body.error).toBe(error);
  else expect(['invalid_client_metadata', 'invalid_redirect_uri']).toContain(body.error);
}

/** A local 400 (or other) page with no Location: the client was refused before any redirect. */
async function expectLocalRefusal(res: Response): Promise<string> {
  const html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(400);
  expect(res.headers.get('location')).toBeNull();
  return html;
}

describe(`OAuth dynamic client registration [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await oauthTestApp();
  });
  afterAll(async () => t.close());

  it('S3: registration accepts https, loopback http and allowed private-use schemes', async () => {
    const accepted = [
      'https://app.example.com/callback',
      'https://app.example.com:8443/cb?x=1',
      'http://127.0.0.1/callback',
      'http://127.0.0.1:33418/',
      'http://[::1]/cb',
      'http://localhost:6274/oauth/callback',
      'com.example.app:/oauth2redirect',
      'cursor://anysphere.cursor-mcp/oauth/callback',
      'vscode://vscode.github-authentication/did-authenticate',
      'vscode-insiders://callback',
      'claude://oauth/callback',
    ];
    for (const uri of accepted) {
      const res = await register(t, { ...BASE, redirect_uris: [uri] });
      const body = await res.json();
      expect(res.status, `${uri}: ${JSON.stringify(body)}`).toBe(201);
      expect(body.redirect_uris).toEqual([uri]);
    }
  });

  it('S3: registration refuses other http hosts, fragments, userinfo, wildcards and script-like schemes', async () => {
    const refused = [
      'http://app.example.com/callback',
      'http://192.168.1.10/callback',
      'http://127.0.0.1.evil.example/cb',
      'https://app.example.com/callback#fragment',
      'https://app.example.com/callback#',
      'https://user:pass@app.example.com/callback',
      'https://user@app.example.com/callback',
      'http://user@127.0.0.1/callback',
      'https://*.example.com/callback',
      'https://app.example.com/*',
      'javascript:alert(1)',
      'JavaScript://%0aalert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'blob:https://app.example.com/uuid',
      'vbscript:msgbox(1)',
      'myapp:/callback',
      'relative/path',
      '',
    ];
    for (const uri of refused) {
      const res = await register(t, { ...BASE, redirect_uris: [uri] });
      const body = await res.json();
      expect(res.status, `${uri}: ${JSON.stringify(body)}`).toBe(400);
      expect(body.error).toBe('invalid_redirect_uri');
    }
    // One bad URI among good ones refuses the whole registration.
    await expectRefused(
      await register(t, { ...BASE, redirect_uris: ['https://ok.example/cb', 'javascript:alert(1)'] }),
      'invalid_redirect_uri',
    );
  });

  it('S23: refuses a body over 16 KiB', async () => {
    const padding = 'a'.repeat(16 * 1024);
    await expectRefused(
      await register(t, {
        ...BASE,
        redirect_uris: ['https://app.example.com/cb'],
        software_statement: padding,
      }),
      'invalid_client_metadata',
    );
    // Just under the limit is read (and the unknown field ignored).
    const body = JSON.stringify({ ...BASE, redirect_uris: ['https://app.example.com/cb'], pad: '' });
    const fits = JSON.stringify({
      ...BASE,
      redirect_uris: ['https://app.example.com/cb'],
      pad: 'a'.repeat(16 * 1024 - body.length),
    });
    expect(Buffer.byteLength(fits)).toBe(16 * 1024);
    expect((await register(t, undefined, undefined, fits)).status).toBe(201);
  });

  it('S23: refuses more than 10 redirect URIs', async () => {
    const uris = Array.from({ length: 11 }, (_, i) => `https://app.example.com/cb${i}`);
    await expectRefused(await register(t, { ...BASE, redirect_uris: uris }));
    expect((await register(t, { ...BASE, redirect_uris: uris.slice(0, 10) })).status).toBe(201);
  });

  it('S23: refuses a client_name over 100 characters', async () => {
    const redirect_uris = ['https://app.example.com/cb'];
    await expectRefused(
      await register(t, { ...BASE, client_name: 'n'.repeat(101), redirect_uris }),
      'invalid_client_metadata',
    );
    const ok = await register(t, { ...BASE, client_name: 'n'.repeat(100), redirect_uris });
    expect(ok.status).toBe(201);
    expect((await ok.json()).client_name).toBe('n'.repeat(100));
  });

  it('S23: refuses non-https logo_uri and client_uri', async () => {
    const redirect_uris = ['https://app.example.com/cb'];
    for (const field of ['logo_uri', 'client_uri']) {
      for (const value of [
        'http://app.example.com/logo.png',
        'javascript:alert(1)',
        'data:image/png;base64,AAAA',
        '//app.example.com/x',
      ]) {
        await expectRefused(
          await register(t, { ...BASE, redirect_uris, [field]: value }),
          'invalid_client_metadata',
        );
      }
      const ok = await register(t, { ...BASE, redirect_uris, [field]: 'https://app.example.com/x' });
      expect(ok.status).toBe(201);
      expect((await ok.json())[field]).toBe('https://app.example.com/x');
    }
  });

  it('S23: refuses an unknown token_endpoint_auth_method', async () => {
    const redirect_uris = ['https://app.example.com/cb'];
    for (const method of ['private_key_jwt', 'client_secret_jwt', 'tls_client_auth', 'NONE', 'bogus']) {
      await expectRefused(
        await register(t, { ...BASE, redirect_uris, token_endpoint_auth_method: method }),
        'invalid_client_metadata',
      );
    }
  });

  it('S23: client ids are generated by the server; a client_id in the body is ignored', async () => {
    const chosen = ['my-own-client-id', 'https://claude.ai/oauth/claude-code-client-metadata'];
    const ids = new Set<string>();
    for (const clientId of chosen) {
      const res = await register(t, {
        ...BASE,
        client_id: clientId,
        client_secret: 'chosen-secret',
        redirect_uris: ['https://app.example.com/cb'],
      });
      const body = await res.json();
      expect(res.status).toBe(201);
      expect(body.client_id).not.toBe(clientId);
      expect(body.client_id).toMatch(/^oc_[A-Za-z0-9_-]{20,}$/);
      expect(body.client_secret).toBeUndefined();
      ids.add(body.client_id);
    }
    expect(ids.size).toBe(2);
    const rows = await t.store.db
      .selectFrom('oauth_clients')
      .select('id')
      .where('id', '=', 'my-own-client-id')
      .execute();
    expect(rows).toHaveLength(0);
    // And the chosen id authorizes nothing.
    const { params } = authorizeParams('my-own-client-id', 'https://app.example.com/cb');
    await expectLocalRefusal(await new PageBrowser(t.app).get(authorizePath(params)));
  });

  it('S23: clients persist across a restart (a second app over the same database)', async () => {
    const redirectUri = 'http://127.0.0.1:50999/callback';
    const publicClient = await newClient(t, { client_name: 'Survivor' });
    const secretClient = await newClient(t, {
      client_name: 'Survivor Secret',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const restarted = buildApp({ config: t.deps.config, store: t.store, log: silentLogger() });
    const t2: TestApp = {
      ...t,
      ...restarted,
      request: async (path, init) => restarted.app.request(path, init),
    };
    for (const client of [publicClient, secretClient]) {
      const { code, verifier } = await obtainCode(t2, { clientId: client.client_id, redirectUri });
      const headers: Record<string, string> = client.client_secret
        ? {
            authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
          }
        : {};
      const res = await tokenRequest(
        t2.app,
        {
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          redirect_uri: redirectUri,
          ...(client.client_secret ? {} : { client_id: client.client_id }),
        },
        headers,
      );
      expect(res.status, await res.clone().text()).toBe(200);
    }
  });

  it('S32: registration responses carry Cache-Control: no-store, on success and on error', async () => {
    const ok = await register(t, { ...BASE, redirect_uris: ['https://app.example.com/cb'] });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    for (const res of [
      await register(t, { ...BASE, redirect_uris: ['http://evil.example/cb'] }),
      await register(t, undefined, undefined, '{not json'),
      await register(t, undefined, undefined, '[]'),
      await register(t, { ...BASE }),
    ]) {
      expect(res.status).toBe(400);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe(`OAuth registration rate limits [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 3, 1));
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      clock,
      env: { DCR_RATE_LIMIT_PER_MINUTE: '3', DCR_GLOBAL_RATE_LIMIT_PER_MINUTE: '7' },
    });
  });
  afterAll(async () => t.close());

  const body = { ...BASE, redirect_uris: ['https://app.example.com/cb'] };

  async function expect429(res: Response): Promise<void> {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await res.json()).error).toEqual(expect.any(String));
  }

  it('S22: DCR is limited per source address (429 with Retry-After) and globally', async () => {
    // Per address: three a minute from one address, the fourth refused …
    for (let i = 0; i < 3; i++) expect((await register(t, body, '198.51.100.1')).status).toBe(201);
    await expect429(await register(t, body, '198.51.100.1'));
    // … while another address still gets through.
    expect((await register(t, body, '198.51.100.2')).status).toBe(201);
    expect((await register(t, body, '198.51.100.2')).status).toBe(201);
    expect((await register(t, body, '198.51.100.3')).status).toBe(201);
    expect((await register(t, body, '198.51.100.3')).status).toBe(201);
    // Seven successes in this minute: the global budget is spent, even for a fresh address.
    await expect429(await register(t, body, '198.51.100.4'));
    await expect429(await register(t, body, '2001:db8::1'));
    const stored = await t.store.db.selectFrom('oauth_clients').select('id').execute();
    expect(stored).toHaveLength(7);

    // A minute later both budgets are back.
    clock.advance(61_000);
    expect((await register(t, body, '198.51.100.1')).status).toBe(201);
    expect((await register(t, body, '198.51.100.4')).status).toBe(201);
  });
});

describe(`OAuth registration cleanup [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 4, 1));
  let t: TestApp;
  beforeAll(async () => {
    t = await oauthTestApp({ clock });
  });
  afterAll(async () => t.close());

  it('S24: maintenance removes a registration never used after a day and keeps used ones; token endpoint → 401 invalid_client', async () => {
    const redirectUri = 'http://127.0.0.1:51000/callback';
    const unused = await newClient(t, { client_name: 'Never Used' });
    const used = await newClient(t, { client_name: 'Used' });
    const { code, verifier } = await obtainCode(t, { clientId: used.client_id, redirectUri });
    const tokens = await exchangeCode(t, { clientId: used.client_id, code, verifier, redirectUri });

    // Within the day nothing is removed.
    clock.advance(DAY_MS - 60_000);
    expect((await runOAuthMaintenance(t.deps)).removedClients).toBe(0);
    const recent = await newClient(t, { client_name: 'Recent' });

    clock.advance(2 * 60_000);
    expect((await runOAuthMaintenance(t.deps)).removedClients).toBe(1);
    const ids = (await t.store.db.selectFrom('oauth_clients').select('id').execute()).map((r) => r.id);
    expect(ids).not.toContain(unused.client_id);
    expect(ids).toContain(used.client_id);
    expect(ids).toContain(recent.client_id);

    // The removed client is told to register again.
    const removed = await refresh(t, unused.client_id, 'any-token');
    expect(removed.headers.get('www-authenticate')).toMatch(/invalid_client/);
    await expectOAuthError(removed, 401, 'invalid_client');
    await expectOAuthError(
      await tokenRequest(t.app, {
        grant_type: 'authorization_code',
        code: 'x',
        code_verifier: 'a'.repeat(43),
        client_id: unused.client_id,
        redirect_uri: 'http://127.0.0.1/callback',
      }),
      401,
      'invalid_client',
    );
    await expectLocalRefusal(
      await new PageBrowser(t.app).get(authorizePath(authorizeParams(unused.client_id, redirectUri).params)),
    );
    // The used one keeps working.
    const res = await refresh(t, used.client_id, tokens.refresh_token);
    expect(res.status).toBe(200);
  });

  it('S24: an unknown client at the token and revocation endpoints is 401 invalid_client', async () => {
    for (const path of ['/token', '/revoke']) {
      const res = await t.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: 'x',
          token: 'x',
          client_id: 'oc_does_not_exist',
        }).toString(),
      });
      await expectOAuthError(res, 401, 'invalid_client');
    }
  });
});

describe(`OAuth Client ID Metadata Documents [${testDialect}]`, () => {
  const fetched: string[] = [];
  const documents = new Map<string, { status?: number; body: string; headers?: Record<string, string> }>();
  let t: TestApp;
  const ORIGIN = 'https://app.example.com';
  const redirectUri = 'https://app.example.com/oauth/callback';

  function serve(path: string, doc: Record<string, unknown> | string, status = 200): string {
    const url = `${ORIGIN}${path}`;
    documents.set(url, { status, body: typeof doc === 'string' ? doc : JSON.stringify(doc) });
    return url;
  }

  function goodDocument(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      client_id: url,
      client_name: 'Metadata App',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...extra,
    };
  }

  beforeAll(async () => {
    t = await oauthTestApp({
      fetchMetadataDocument: async (url) => {
        fetched.push(url);
        const doc = documents.get(url);
        if (!doc) return { status: 404, headers: {}, body: Buffer.from('{}') };
        return {
          status: doc.status ?? 200,
          headers: { 'content-type': 'application/json', ...doc.headers },
          body: Buffer.from(doc.body),
        };
      },
    });
  });
  afterAll(async () => t.close());

  async function tryAuthorize(clientId: string): Promise<Response> {
    return await new PageBrowser(t.app).get(authorizePath(authorizeParams(clientId, redirectUri).params));
  }

  it('S25: a good document authorizes, and its client id works at the token endpoint', async () => {
    const url = serve('/oauth/good.json', goodDocument(`${ORIGIN}/oauth/good.json`));
    const { code, verifier, browser } = await obtainCode(t, { clientId: url, redirectUri });
    expect(fetched).toContain(url);
    const tokens = await exchangeCode(t, { clientId: url, code, verifier, redirectUri });
    expect(tokens.scope).toBe('mcp:tools');
    const res = await refresh(t, url, tokens.refresh_token);
    expect(res.status).toBe(200);
    expect(browser).toBeDefined();
  });

  it('S25: a document whose client_id differs from its URL is refused', async () => {
    for (const [path, claimed] of [
      ['/oauth/mismatch.json', `${ORIGIN}/oauth/other.json`],
      ['/oauth/slash.json', `${ORIGIN}/oauth/slash.json/`],
      ['/oauth/case.json', `${ORIGIN}/oauth/CASE.json`],
      ['/oauth/absent.json', undefined],
    ] as const) {
      const url = serve(path, goodDocument('', { client_id: claimed }));
      await expectLocalRefusal(await tryAuthorize(url));
    }
  });

  it('S25: a document without client_name or redirect_uris is refused', async () => {
    const url1 = `${ORIGIN}/oauth/no-name.json`;
    serve('/oauth/no-name.json', goodDocument(url1, { client_name: undefined }));
    await expectLocalRefusal(await tryAuthorize(url1));
    const url2 = `${ORIGIN}/oauth/no-redirects.json`;
    serve('/oauth/no-redirects.json', goodDocument(url2, { redirect_uris: undefined }));
    await expectLocalRefusal(await tryAuthorize(url2));
  });

  it('S25: a document over 5 KiB is refused', async () => {
    const url = `${ORIGIN}/oauth/big.json`;
    const doc = goodDocument(url, { software_id: 'x', padding: 'p'.repeat(5 * 1024) });
    serve('/oauth/big.json', doc);
    await expectLocalRefusal(await tryAuthorize(url));
    // The same document without the padding is fine.
    const small = `${ORIGIN}/oauth/small.json`;
    serve('/oauth/small.json', goodDocument(small));
    expect((await tryAuthorize(small)).status).toBe(302);
  });

  it('S25: a document carrying a client secret is refused', async () => {
    for (const [name, extra] of [
      ['secret', { client_secret: 'shh' }],
      ['secret-expiry', { client_secret_expires_at: 0 }],
      ['secret-method', { token_endpoint_auth_method: 'client_secret_post' }],
    ] as const) {
      const url = `${ORIGIN}/oauth/${name}.json`;
      serve(`/oauth/${name}.json`, goodDocument(url, extra));
      await expectLocalRefusal(await tryAuthorize(url));
    }
  });

  it('S25: a non-200 answer (a redirect too) or non-JSON is refused', async () => {
    const moved = `${ORIGIN}/oauth/moved.json`;
    documents.set(moved, { status: 302, body: '', headers: { location: `${ORIGIN}/oauth/good.json` } });
    await expectLocalRefusal(await tryAuthorize(moved));
    const html = serve('/oauth/html.json', '<html>hi</html>');
    await expectLocalRefusal(await tryAuthorize(html));
  });

  it('S25: non-https, path-less, fragment and userinfo client_id URLs are refused without fetching', async () => {
    const before = fetched.length;
    for (const clientId of [
      'http://app.example.com/oauth/good.json',
      'https://app.example.com',
      'https://app.example.com/',
      'https://app.example.com/oauth/good.json#x',
      'https://user@app.example.com/oauth/good.json',
      'https://user:pw@app.example.com/oauth/good.json',
      'https://app.example.com/oauth/../good.json',
    ]) {
      // Served as if it were good, so only the URL check can refuse it.
      documents.set(clientId, { body: JSON.stringify(goodDocument(clientId)) });
      await expectLocalRefusal(await tryAuthorize(clientId));
    }
    expect(fetched.slice(before)).toEqual([]);
  });

  it('S25: without injection the real fetcher refuses loopback and private addresses (SSRF), saying why only in the log', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const real = await createTestApp({ log });
    try {
      for (const clientId of [
        'https://127.0.0.1/x',
        'https://localhost/x',
        'https://[::1]/x',
        'https://10.0.0.1/client.json',
        'https://169.254.169.254/latest/meta-data',
        'https://192.168.0.1/client.json',
      ]) {
        const res = await new PageBrowser(real.app).get(
          authorizePath(authorizeParams(clientId, redirectUri).params),
        );
        const html = await expectLocalRefusal(res);
        // The page says only that the document could not be fetched: how our resolver answers a
        // hostname is not the caller's business (it would map the network behind us).
        expect(html, clientId).toMatch(/could not be fetched/);
        expect(html, clientId).not.toMatch(/non-public|127\.0\.0\.1|10\.0\.0\.1|::1|resolves/);
      }
      expect(lines.filter((line) => line.includes('non-public address')).length).toBeGreaterThanOrEqual(6);
      const rows = await real.store.db.selectFrom('oauth_clients').select('id').execute();
      expect(rows).toHaveLength(0);
    } finally {
      await real.close();
    }
  });

  it('S25: a CIMD client cannot be registered or overwritten through DCR', async () => {
    const url = `${ORIGIN}/oauth/good.json`;
    const res = await registerClient(t.app, {
      client_id: url,
      client_name: 'Impostor',
      redirect_uris: ['https://evil.example/cb'],
    });
    expect(res.status).toBe(201);
    expect((await res.json()).client_id).not.toBe(url);
    // The document's redirect stays the only one for that id.
    const { params } = authorizeParams(url, 'https://evil.example/cb');
    await expectLocalRefusal(await new PageBrowser(t.app).get(authorizePath(params)));
  });
});
