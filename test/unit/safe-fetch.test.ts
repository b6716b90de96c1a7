import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkFetchTarget, SafeFetchError, safeFetch } from '../../src/lib/safe-fetch.ts';

// DNS is the outside world: selected test names get scripted answers, everything else
// (localhost included) goes to the real resolver.
const dns = vi.hoisted(() => ({
  answers: new Map<string, LookupAddress[] | Error | 'hang'>(),
  calls: [] as string[],
}));

vi.mock('node:dns/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns/promises')>();
  const lookup = async (hostname: string, options: object) => {
    dns.calls.push(hostname);
    const answer = dns.answers.get(hostname);
    if (answer instanceof Error) throw answer;
    if (answer === 'hang') return new Promise<never>(() => {});
    if (answer) return answer;
    return actual.lookup(hostname, { ...options, all: true });
  };
  return { ...actual, default: { ...actual, lookup }, lookup };
});

let server: Server;
let port: number;
let hits: string[];
let bodies: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string }>;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.method !== 'GET') {
      // Outbound POSTs (webhooks): record what arrived, then answer as the path says.
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        bodies.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        if (req.url === '/post-big') {
          res.writeHead(500);
          for (let i = 0; i < 50; i++) res.write('z'.repeat(100));
          res.end();
          return;
        }
        if (req.url === '/post-redirect') {
          res.writeHead(307, { Location: 'http://169.254.169.254/' });
          res.end();
          return;
        }
        res.writeHead(202, { 'Content-Type': 'text/plain' });
        res.end('accepted');
      });
      return;
    }
    switch (req.url) {
      case '/ok':
        res.writeHead(200, {
          'Content-Type': 'text/plain',
          'X-Seen-Host': req.headers.host ?? '',
          'X-Seen-Probe': String(req.headers['x-probe'] ?? ''),
        });
        res.end('hello');
        return;
      case '/redirect':
        res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' });
        res.end('moved');
        return;
      case '/big':
        res.writeHead(200, { 'Content-Length': '5000' });
        res.end('x'.repeat(5000));
        return;
      case '/big-chunked':
        // No Content-Length: the limit has to hold while streaming.
        res.writeHead(200);
        for (let i = 0; i < 50; i++) res.write('y'.repeat(100));
        res.end();
        return;
      case '/stall':
        res.writeHead(200, { 'Content-Length': '1000' });
        res.write('partial');
        return;
      case '/hang':
        return;
      default:
        res.writeHead(404);
        res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  hits = [];
  bodies = [];
  dns.answers.clear();
  dns.calls = [];
});

const limits = { maxBytes: 1024, timeoutMs: 2000 };

async function failure(promise: Promise<unknown>): Promise<SafeFetchError> {
  const error = await promise.then(
    () => {
      throw new Error('expected safeFetch to fail');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SafeFetchError);
  return error as SafeFetchError;
}

describe('safeFetch address guard', () => {
  it('SECURITY.md S25: refuses a server on 127.0.0.1 by default with blocked_address', async () => {
    const error = await failure(safeFetch(`http://127.0.0.1:${port}/ok`, limits));
    expect(error.reason).toBe('blocked_address');
    expect(error.message).toContain('127.0.0.1');
    expect(hits).toEqual([]);
  });

  it('SECURITY.md S25: refuses a host name that resolves to loopback (localhost)', async () => {
    const error = await failure(safeFetch(`http://localhost:${port}/ok`, limits));
    expect(error.reason).toBe('blocked_address');
    expect(hits).toEqual([]);
  });

  it('SECURITY.md S25: refuses when any one of the resolved addresses is private', async () => {
    dns.answers.set('mixed.test', [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ]);
    const error = await failure(safeFetch('https://mixed.test/doc.json', limits));
    expect(error.reason).toBe('blocked_address');
    expect(error.message).toContain('10.0.0.7');
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[fd00::1]/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0.0.0.0/',
  ])('SECURITY.md S25: refuses the literal address in %s', async (url) => {
    const error = await failure(safeFetch(url, limits));
    expect(error.reason).toBe('blocked_address');
  });

  it('allows a private address when allowPrivateAddresses is set (development)', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/ok`, {
      ...limits,
      allowPrivateAddresses: true,
    });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('hello');
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.finalUrl).toBe(`http://127.0.0.1:${port}/ok`);
    expect(response.truncated).toBe(false);
  });

  it('connects to the validated address only, keeping the original Host (no second DNS lookup)', async () => {
    // The system resolver does not know pinned.test: reaching the server proves the socket used
    // the address we validated, and the single lookup shows a rebinding answer never gets asked for.
    dns.answers.set('pinned.test', [{ address: '127.0.0.1', family: 4 }]);
    const response = await safeFetch(`http://pinned.test:${port}/ok`, {
      ...limits,
      allowPrivateAddresses: true,
      headers: { 'X-Probe': 'yes' },
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-seen-host']).toBe(`pinned.test:${port}`);
    expect(response.headers['x-seen-probe']).toBe('yes');
    expect(dns.calls).toEqual(['pinned.test']);
  });
});

describe('safeFetch request rules', () => {
  const dev = { ...limits, allowPrivateAddresses: true };

  it.each([
    'ftp://example.com/file',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'not a url',
    'http://user:secret@example.com/',
    'https://user@example.com/',
  ])('refuses %s as invalid_url', async (url) => {
    const error = await failure(safeFetch(url, dev));
    expect(error.reason).toBe('invalid_url');
    expect(dns.calls).toEqual([]);
  });

  it('does not follow a redirect: the 3xx comes back as is', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/redirect`, dev);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('http://169.254.169.254/latest/meta-data/');
    expect(response.finalUrl).toBe(`http://127.0.0.1:${port}/redirect`);
    expect(hits).toEqual(['/redirect']);
  });

  it('refuses a body whose Content-Length exceeds maxBytes with too_large', async () => {
    const error = await failure(safeFetch(`http://127.0.0.1:${port}/big`, dev));
    expect(error.reason).toBe('too_large');
  });

  it('stops reading a streamed body once it exceeds maxBytes with too_large', async () => {
    const error = await failure(safeFetch(`http://127.0.0.1:${port}/big-chunked`, dev));
    expect(error.reason).toBe('too_large');
  });

  it('accepts a body of exactly maxBytes', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/big`, { ...dev, maxBytes: 5000 });
    expect(response.body.length).toBe(5000);
  });

  it('keeps the first maxBytes when asked to truncate', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/big-chunked`, {
      ...dev,
      onOversize: 'truncate',
    });
    expect(response.status).toBe(200);
    expect(response.truncated).toBe(true);
    expect(response.body.length).toBe(1024);
  });

  it('times out on a server that stalls mid-body', async () => {
    const started = Date.now();
    const error = await failure(safeFetch(`http://127.0.0.1:${port}/stall`, { ...dev, timeoutMs: 300 }));
    expect(error.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('times out on a server that never answers', async () => {
    const error = await failure(safeFetch(`http://127.0.0.1:${port}/hang`, { ...dev, timeoutMs: 300 }));
    expect(error.reason).toBe('timeout');
  });

  it('times out when DNS does not answer in time', async () => {
    dns.answers.set('slow.test', 'hang');
    const error = await failure(safeFetch('https://slow.test/', { ...dev, timeoutMs: 200 }));
    expect(error.reason).toBe('timeout');
  });

  it('reports a name that does not resolve as dns_failed', async () => {
    dns.answers.set(
      'nxdomain.test',
      Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }),
    );
    const error = await failure(safeFetch('https://nxdomain.test/', dev));
    expect(error.reason).toBe('dns_failed');
    expect(error.message).toContain('nxdomain.test');
  });

  it('reports a refused connection as network', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(safeFetch(`http://127.0.0.1:${closedPort}/`, dev));
    expect(error.reason).toBe('network');
  });
});

describe('safeFetch with a body (webhook POSTs)', () => {
  const dev = { ...limits, allowPrivateAddresses: true };

  it('POSTs the body with its Content-Length and the given headers', async () => {
    const body = JSON.stringify({ type: 'link.created', note: 'ünïcödé' });
    const response = await safeFetch(`http://127.0.0.1:${port}/hook`, {
      ...dev,
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', 'Webhook-Id': 'dlv_1' },
    });
    expect(response.status).toBe(202);
    expect(response.body.toString()).toBe('accepted');
    expect(bodies).toHaveLength(1);
    const seen = bodies[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.body).toBe(body);
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen.headers['transfer-encoding']).toBeUndefined();
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers['webhook-id']).toBe('dlv_1');
  });

  it('PUTs a Buffer body', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/put`, {
      ...dev,
      method: 'PUT',
      body: Buffer.from('raw bytes'),
    });
    expect(response.status).toBe(202);
    expect(bodies[0]).toMatchObject({ method: 'PUT', body: 'raw bytes' });
  });

  it('SECURITY.md S25: refuses a POST to a loopback address before anything is sent', async () => {
    const error = await failure(
      safeFetch(`http://127.0.0.1:${port}/hook`, { ...limits, method: 'POST', body: '{}' }),
    );
    expect(error.reason).toBe('blocked_address');
    expect(hits).toEqual([]);
  });

  it('SECURITY.md S25: a POST to a name resolving to a private address is refused', async () => {
    dns.answers.set('internal.test', [{ address: '10.1.2.3', family: 4 }]);
    const error = await failure(
      safeFetch('https://internal.test/hook', { ...limits, method: 'POST', body: '{}' }),
    );
    expect(error.reason).toBe('blocked_address');
  });

  it('keeps only maxBytes of a large answer to a POST when truncating, and keeps the status', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/post-big`, {
      ...dev,
      method: 'POST',
      body: '{}',
      onOversize: 'truncate',
    });
    expect(response.status).toBe(500);
    expect(response.truncated).toBe(true);
    expect(response.body.length).toBe(1024);
  });

  it('does not follow a 307 redirect of a POST', async () => {
    const response = await safeFetch(`http://127.0.0.1:${port}/post-redirect`, {
      ...dev,
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(307);
    expect(hits).toEqual(['/post-redirect']);
  });

  it('refuses a GET with a body', async () => {
    const error = await failure(safeFetch(`http://127.0.0.1:${port}/ok`, { ...dev, body: 'x' }));
    expect(error.reason).toBe('invalid_url');
    expect(hits).toEqual([]);
  });
});

describe('checkFetchTarget (checking a URL when it is saved)', () => {
  it('SECURITY.md S25: refuses loopback and private answers, allows them in development', async () => {
    await expect(checkFetchTarget('https://localhost/hook', limits)).rejects.toMatchObject({
      reason: 'blocked_address',
    });
    dns.answers.set('mixed.test', [
      { address: '93.184.216.34', family: 4 },
      { address: '192.168.1.5', family: 4 },
    ]);
    await expect(checkFetchTarget('https://mixed.test/', limits)).rejects.toMatchObject({
      reason: 'blocked_address',
    });
    await expect(
      checkFetchTarget('https://localhost/hook', { ...limits, allowPrivateAddresses: true }),
    ).resolves.toBeUndefined();
  });

  it('accepts a public answer and refuses bad schemes without a lookup', async () => {
    dns.answers.set('public.test', [{ address: '93.184.216.34', family: 4 }]);
    await expect(checkFetchTarget('https://public.test/hook', limits)).resolves.toBeUndefined();
    await expect(checkFetchTarget('ftp://public.test/', limits)).rejects.toMatchObject({
      reason: 'invalid_url',
    });
    expect(dns.calls).toEqual(['public.test']);
    expect(hits).toEqual([]);
  });
});
