import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './ip-ranges.ts';

// An SSRF-guarded request for URLs that untrusted parties choose (domain verification files, OAuth
// Client ID Metadata Documents, webhook endpoints). SECURITY.md S25: never connect to a private,
// loopback or link-local address, checked after DNS resolution; no redirects; bounded time and size.
// GET by default; webhooks POST through the same guard.

export type SafeFetchErrorReason =
  | 'invalid_url'
  | 'blocked_address'
  | 'dns_failed'
  | 'timeout'
  | 'too_large'
  | 'network';

/** The one error safeFetch throws; `reason` says which guard or failure stopped the request. */
export class SafeFetchError extends Error {
  override readonly name = 'SafeFetchError';
  constructor(
    readonly reason: SafeFetchErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SafeFetchOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Budget for the whole request: DNS, connect, headers and body. */
  timeoutMs: number;
  /** Development only: permit private and loopback targets (e.g. a site on localhost). */
  allowPrivateAddresses?: boolean;
  /** Extra request headers; names are case-insensitive. */
  headers?: Record<string, string>;
  /**
   * What to do with a body larger than maxBytes: 'throw' (default) fails with too_large;
   * 'truncate' keeps the first maxBytes and sets `truncated` (useful for reading an HTML <head>).
   */
  onOversize?: 'throw' | 'truncate';
  /** 'GET' (default), or 'POST'/'PUT' with `body` (webhook deliveries). */
  method?: 'GET' | 'POST' | 'PUT';
  /** The request body; sent with its Content-Length (only with POST or PUT). */
  body?: Buffer | string;
}

export interface SafeFetchResponse {
  status: number;
  /** Response headers with lower-case names; repeated headers are joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The URL actually fetched; always the requested URL, because redirects are not followed. */
  finalUrl: string;
  /** True only with onOversize 'truncate' when the body was cut at maxBytes. */
  truncated: boolean;
}

const DEFAULT_HEADERS: Record<string, string> = {
  'user-agent': 'Userplane-Fetcher/1',
  accept: '*/*',
  // We hand back raw bytes, so ask for no content coding rather than decompress untrusted input.
  'accept-encoding': 'identity',
};

/** Requests an untrusted http(s) URL (GET unless told), refusing non-public addresses and pinning the connection to the checked IP. */
export async function safeFetch(url: string, opts: SafeFetchOptions): Promise<SafeFetchResponse> {
  const deadline = Date.now() + opts.timeoutMs;
  const method = opts.method ?? 'GET';
  if (method === 'GET' && opts.body !== undefined) {
    throw new SafeFetchError('invalid_url', 'A GET request cannot carry a body');
  }
  const target = parseTarget(url);
  const addresses = await resolveChecked(target, opts, deadline);
  return request(target, addresses, opts, deadline);
}

/**
 * Checks that `url` is one safeFetch would connect to (scheme, no credentials, and — unless
 * allowPrivateAddresses — only public addresses after DNS resolution), without sending anything.
 * For refusing a URL when it is saved (a webhook endpoint) instead of only when it is used; the
 * check at use still runs, because DNS answers change.
 */
export async function checkFetchTarget(
  url: string,
  opts: Pick<SafeFetchOptions, 'timeoutMs' | 'allowPrivateAddresses'>,
): Promise<void> {
  await resolveChecked(parseTarget(url), opts, Date.now() + opts.timeoutMs);
}

async function resolveChecked(
  target: URL,
  opts: Pick<SafeFetchOptions, 'allowPrivateAddresses'>,
  deadline: number,
): Promise<LookupAddress[]> {
  const addresses = await withDeadline(resolve(target.hostname), deadline, target.hostname);
  if (!opts.allowPrivateAddresses) {
    const blocked = addresses.find((entry) => !isPublicAddress(entry.address));
    // Refuse when ANY address is non-public: the OS could pick any of them, and an attacker
    // can publish one public and one internal record.
    if (blocked) {
      throw new SafeFetchError(
        'blocked_address',
        `Refusing to fetch ${target.href}: ${target.hostname} resolves to a non-public address (${blocked.address})`,
      );
    }
  }
  return addresses;
}

function parseTarget(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new SafeFetchError('invalid_url', `Not a valid URL: ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new SafeFetchError(
      'invalid_url',
      `Only http and https URLs can be fetched, not ${target.protocol}`,
    );
  }
  if (target.username !== '' || target.password !== '') {
    throw new SafeFetchError('invalid_url', 'URLs with credentials (user:password@) are not fetched');
  }
  if (target.hostname === '') throw new SafeFetchError('invalid_url', 'The URL has no host');
  return target;
}

async function resolve(hostname: string): Promise<LookupAddress[]> {
  // WHATWG URL keeps IPv6 literals in brackets and has already canonicalised odd IPv4 forms
  // (0x7f.1, 2130706433 …) to dotted quads, so literals are checked exactly like DNS answers.
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const family = isIP(bare);
  if (family !== 0) return [{ address: bare, family }];
  let addresses: LookupAddress[];
  try {
    addresses = await dnsLookup(bare, { all: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new SafeFetchError('dns_failed', `Could not resolve ${bare} (${code})`, { cause: error });
  }
  if (addresses.length === 0) throw new SafeFetchError('dns_failed', `${bare} has no addresses`);
  return addresses;
}

// Returns only the addresses we validated, so the socket cannot connect anywhere else even if
// the name's DNS answer changes between our check and the connect (DNS rebinding). Node calls
// lookup with `all: true` when it races IPv4/IPv6 (autoSelectFamily), otherwise without.
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const usable = addresses.filter((entry) => wanted === 0 || entry.family === wanted);
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(`No validated IPv${wanted} address`);
      error.code = 'ENOTFOUND';
      callback(error, '');
      return;
    }
    if (options.all) callback(null, usable);
    else callback(null, first.address, first.family);
  };
}

function request(
  target: URL,
  addresses: LookupAddress[],
  opts: SafeFetchOptions,
  deadline: number,
): Promise<SafeFetchResponse> {
  const headers: Record<string, string> = { ...DEFAULT_HEADERS };
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
  const method = opts.method ?? 'GET';
  const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
  // A declared length rather than chunked encoding: some receivers refuse chunked POSTs.
  if (method !== 'GET') headers['content-length'] = String(body?.length ?? 0);
  const client = target.protocol === 'https:' ? https : http;

  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const finish = (outcome: { error: Error } | { response: SafeFetchResponse }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('error' in outcome) {
        req.destroy();
        reject(outcome.error);
      } else {
        resolvePromise(outcome.response);
      }
    };

    // `agent: false` gives this request its own connection, so no pooled socket opened for
    // another resolution of the same host name can be reused. Host and SNI stay the original
    // host name because only the lookup is replaced.
    const req = client.request(target, {
      method,
      agent: false,
      lookup: pinnedLookup(addresses),
      headers,
    });

    const timer = setTimeout(
      () =>
        finish({
          error: new SafeFetchError(
            'timeout',
            `Fetching ${target.href} took longer than ${opts.timeoutMs} ms`,
          ),
        }),
      Math.max(0, deadline - Date.now()),
    );

    req.on('error', (error) => {
      finish({
        error: new SafeFetchError('network', `Fetching ${target.href} failed: ${describe(error)}`, {
          cause: error,
        }),
      });
    });

    req.on('response', (res) => {
      const tooLarge = () =>
        new SafeFetchError(
          'too_large',
          `The response from ${target.href} is larger than ${opts.maxBytes} bytes`,
        );
      const truncate = opts.onOversize === 'truncate';
      const declared = Number(res.headers['content-length']);
      if (!truncate && Number.isFinite(declared) && declared > opts.maxBytes) {
        finish({ error: tooLarge() });
        return;
      }

      const chunks: Buffer[] = [];
      let size = 0;
      const respond = (truncated: boolean) =>
        finish({
          response: {
            status: res.statusCode ?? 0,
            headers: flattenHeaders(res.headers),
            body: Buffer.concat(chunks, size),
            finalUrl: target.href,
            truncated,
          },
        });

      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (size + chunk.length > opts.maxBytes) {
          if (!truncate) {
            finish({ error: tooLarge() });
            return;
          }
          chunks.push(chunk.subarray(0, opts.maxBytes - size));
          size = opts.maxBytes;
          respond(true);
          req.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => respond(false));
      res.on('error', (error) => {
        finish({
          error: new SafeFetchError('network', `Reading ${target.href} failed: ${describe(error)}`, {
            cause: error,
          }),
        });
      });
      // A connection closed before the body is complete must not pass for a short, valid body.
      res.on('close', () => {
        if (!res.complete)
          finish({ error: new SafeFetchError('network', `The connection to ${target.href} closed early`) });
      });
    });

    req.end(body);
  });
}

// DNS lookups cannot be cancelled, but the caller's budget still has to hold, so race them.
function withDeadline<T>(work: Promise<T>, deadline: number, hostname: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new SafeFetchError('timeout', `Resolving ${hostname} took too long`)),
      Math.max(0, deadline - Date.now()),
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolvePromise(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
