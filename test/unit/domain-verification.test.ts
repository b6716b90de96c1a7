import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  normalizeDomainUrl,
  siteRootUrl,
  verificationFileUrl,
  verificationTokenFound,
} from '../../src/domain/domain-verification.ts';
import { createDomainVerifier } from '../../src/services/domain-verifier.ts';

const TOKEN = 'upv_3f9a1c0b7d2e4f6a8b9c';

describe('normalizeDomainUrl', () => {
  it.each([
    ['app.example.com', 'app.example.com'],
    ['https://app.example.com', 'app.example.com'],
    ['https://app.example.com/', 'app.example.com'],
    ['  HTTPS://App.Example.COM/  ', 'app.example.com'],
    ['http://app.example.com', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['https://app.example.com:443/', 'app.example.com'],
    ['app.example.com:8443', 'app.example.com:8443'],
    ['https://app.example.com:8443/', 'app.example.com:8443'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['localhost:3000', 'localhost:3000'],
    ['203.0.113.10', '203.0.113.10'],
    ['127.0.0.1:8080', '127.0.0.1:8080'],
    ['https://[2001:db8::1]/', '[2001:db8::1]'],
    ['[2001:DB8:0:0::1]:8443', '[2001:db8::1]:8443'],
    [`${'a'.repeat(63)}.example.com`, `${'a'.repeat(63)}.example.com`],
  ])('accepts %j as %j', (input, expected) => {
    expect(normalizeDomainUrl(input)).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'https://',
    'https://app.example.com/path',
    'app.example.com/path',
    'https://app.example.com//',
    'https://app.example.com/?x=1',
    'https://app.example.com?x=1',
    'https://app.example.com#top',
    'https://app.example.com/#',
    'https://user@app.example.com/',
    'https://user:pw@app.example.com/',
    'ftp://app.example.com',
    'javascript://app.example.com',
    'app example.com',
    'app.example.com\\',
    'app_name.example.com',
    '-app.example.com',
    'app-.example.com',
    'app..example.com',
    `${'a'.repeat(64)}.example.com`,
    `${'abcdefghi.'.repeat(25)}example.com`,
    'app.example.com:0',
    'app.example.com:65536',
    'app.example.com:port',
    '127.1',
    '0x7f000001',
    '[::1',
    'https://[zz::1]/',
  ])('rejects %j', (input) => {
    expect(normalizeDomainUrl(input)).toBeNull();
  });
});

describe('verification URLs', () => {
  it('point at the well-known file and the site root over https', () => {
    expect(verificationFileUrl('app.example.com')).toBe(
      'https://app.example.com/.well-known/userplane-verification.txt',
    );
    expect(siteRootUrl('app.example.com:8443')).toBe('https://app.example.com:8443/');
  });
});

describe('verificationTokenFound', () => {
  it.each([
    [TOKEN],
    [`${TOKEN}\n`],
    [`\uFEFF  ${TOKEN}\r\n`],
    [`userplane-verification=${TOKEN}`],
    [`# Userplane\nuserplane-verification = ${TOKEN}\nother=1\n`],
    [`some-other-service=abc\n${TOKEN}\n`],
  ])('finds the token in the file %j', (body) => {
    expect(verificationTokenFound(body, TOKEN, 'file')).toBe(true);
  });

  it.each([
    [''],
    [`${TOKEN}x`],
    [`x${TOKEN}`],
    [TOKEN.toUpperCase()],
    [`userplane-verification=${TOKEN}extra`],
    [`other-verification=${TOKEN}x`],
    [`The token is ${TOKEN}`],
  ])('does not find the token in the file %j', (body) => {
    expect(verificationTokenFound(body, TOKEN, 'file')).toBe(false);
  });

  it.each([
    [`<meta name="userplane-verification" content="${TOKEN}">`],
    [`<META NAME="Userplane-Verification" CONTENT="${TOKEN}" />`],
    [`<meta content='${TOKEN}' name='userplane-verification'>`],
    [`<meta name=userplane-verification content=${TOKEN}>`],
    [
      `<head>\n<meta charset="utf-8">\n<meta\n  data-x="a>b"\n  name="userplane-verification"\n  content="${TOKEN}"\n>`,
    ],
    [
      `<meta name="userplane-verification" content="other"><meta name="userplane-verification" content="${TOKEN}">`,
    ],
  ])('finds the token in the meta tag of %j', (html) => {
    expect(verificationTokenFound(html, TOKEN, 'html')).toBe(true);
  });

  it.each([
    [`<p>${TOKEN}</p>`],
    [`<meta name="description" content="${TOKEN}">`],
    [`<meta name="userplane-verification" content="${TOKEN.toUpperCase()}">`],
    [`<meta name="userplane-verification" content="${TOKEN}-suffix">`],
    [`<meta name="userplane-verification">`],
    [`<meta property="userplane-verification" content="${TOKEN}">`],
    [`<metadata name="userplane-verification" content="${TOKEN}">`],
  ])('does not find the token in %j', (html) => {
    expect(verificationTokenFound(html, TOKEN, 'html')).toBe(false);
  });

  it('never matches an empty token', () => {
    expect(verificationTokenFound('', '', 'file')).toBe(false);
    expect(verificationTokenFound('<meta name="userplane-verification" content="">', '', 'html')).toBe(false);
  });
});

describe('createDomainVerifier against a local site', () => {
  let server: Server;
  let host: string;
  let routes: Record<string, { status: number; body: string; headers?: Record<string, string> }>;
  let hits: string[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      const route = routes[req.url ?? ''];
      if (!route) {
        res.writeHead(404);
        res.end('not found');
        return;
      }
      res.writeHead(route.status, route.headers);
      res.end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    routes = {};
    hits = [];
  });

  const verifier = createDomainVerifier({ allowPrivateAddresses: true, scheme: 'http', timeoutMs: 1000 });

  it('verifies with the well-known file', async () => {
    routes['/.well-known/userplane-verification.txt'] = { status: 200, body: `${TOKEN}\n` };
    expect(await verifier.verify(host, TOKEN)).toEqual({ ok: true, method: 'file' });
    expect(hits).toEqual(['/.well-known/userplane-verification.txt']);
  });

  it('falls back to the meta tag on the site root', async () => {
    routes['/'] = {
      status: 200,
      body: `<!doctype html><html><head><meta name="userplane-verification" content="${TOKEN}"></head></html>`,
    };
    expect(await verifier.verify(host, TOKEN)).toEqual({ ok: true, method: 'html' });
    expect(hits).toEqual(['/.well-known/userplane-verification.txt', '/']);
  });

  it('finds the meta tag in the head of a home page larger than the 64 KiB limit', async () => {
    const head = `<html><head><meta name="userplane-verification" content="${TOKEN}"></head>`;
    routes['/'] = { status: 200, body: `${head}<body>${'x'.repeat(200_000)}</body></html>` };
    expect(await verifier.verify(host, TOKEN)).toEqual({ ok: true, method: 'html' });
  });

  it('fails with a reason naming both places when the token is nowhere', async () => {
    routes['/.well-known/userplane-verification.txt'] = { status: 200, body: 'some-other-token' };
    routes['/'] = { status: 200, body: '<html><head><title>Site</title></head></html>' };
    const result = await verifier.verify(host, TOKEN);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('/.well-known/userplane-verification.txt');
    expect(result.reason).toContain('does not contain the verification token');
    expect(result.reason).toContain('<meta name="userplane-verification"');
  });

  it('does not follow a redirect and says so', async () => {
    routes['/.well-known/userplane-verification.txt'] = {
      status: 301,
      body: '',
      headers: { Location: 'https://elsewhere.example/token.txt' },
    };
    const result = await verifier.verify(host, TOKEN);
    expect(result).toMatchObject({ ok: false });
    if (result.ok) return;
    expect(result.reason).toContain('HTTP 301');
    expect(result.reason).toContain('redirects are not followed');
    expect(result.reason).toContain('HTTP 404');
  });

  it('rejects a verification file over 64 KiB', async () => {
    routes['/.well-known/userplane-verification.txt'] = {
      status: 200,
      body: `${TOKEN}\n${'x'.repeat(70_000)}`,
    };
    const result = await verifier.verify(host, TOKEN);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.reason).toContain('larger than 64 KiB');
  });

  it('SECURITY.md S25: refuses a site on a loopback address unless private addresses are allowed', async () => {
    routes['/.well-known/userplane-verification.txt'] = { status: 200, body: TOKEN };
    const strict = createDomainVerifier({ allowPrivateAddresses: false, scheme: 'http', timeoutMs: 1000 });
    const result = await strict.verify(host, TOKEN);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.reason).toContain('non-public address');
    expect(hits).toEqual([]);
  });

  it('reports an unreachable site without throwing', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedHost = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const result = await verifier.verify(closedHost, TOKEN);
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.reason).toContain('ECONNREFUSED');
  });

  it('rejects an invalid domain and an empty token without fetching', async () => {
    expect(await verifier.verify('https://app.example.com/path', TOKEN)).toMatchObject({ ok: false });
    expect(await verifier.verify(host, '')).toMatchObject({ ok: false });
    expect(hits).toEqual([]);
  });
});
