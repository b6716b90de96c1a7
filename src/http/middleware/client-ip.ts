import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import type { RequestOrigin } from '../../services/audit.ts';

// The address a request came from (SECURITY.md S35). The socket's peer is the truth; an
// X-Forwarded-For header is believed only when that peer is one of the operator's proxies
// (TRUST_PROXY), because anyone else can write whatever they like into it.

const UNKNOWN = 'unknown';

interface SocketBindings {
  incoming?: { socket?: { remoteAddress?: string | undefined } };
  server?: SocketBindings;
}

const trustCache = new WeakMap<readonly string[], BlockList>();

/** Builds (once per setting) the set of trusted proxy ranges: addresses, CIDR ranges, or 'loopback'. */
function trustedRanges(trustProxy: readonly string[]): BlockList {
  let list = trustCache.get(trustProxy);
  if (list) return list;
  list = new BlockList();
  for (const entry of trustProxy) {
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addSubnet('::1', 128, 'ipv6');
      continue;
    }
    const [address = '', bits] = entry.split('/');
    const version = isIP(address);
    if (version === 0) continue; // config.ts already refused malformed entries
    const type = version === 4 ? 'ipv4' : 'ipv6';
    const prefix = bits === undefined ? (version === 4 ? 32 : 128) : Number(bits);
    list.addSubnet(address, Math.min(prefix, version === 4 ? 32 : 128), type);
  }
  trustCache.set(trustProxy, list);
  return list;
}

/** An IP address in canonical text, or undefined; strips ports, brackets and IPv4-mapped prefixes. */
function normalizeAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let value = raw.trim();
  // "[2001:db8::1]:443" and "[2001:db8::1]"
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) value = bracketed[1]!;
  // "203.0.113.7:5123" (some proxies append the port)
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  const zone = value.indexOf('%');
  if (zone !== -1) value = value.slice(0, zone);
  const version = isIP(value);
  if (version === 0) return undefined;
  if (version === 6) {
    value = value.toLowerCase();
    const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/.exec(value);
    if (mapped) return mapped[1]!;
  }
  return value;
}

function isTrusted(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/** The socket peer address from @hono/node-server's bindings (`c.env.incoming`), if any. */
function socketAddress(c: Context): string | undefined {
  const env = c.env as SocketBindings | undefined;
  const bindings = env?.server ?? env;
  return normalizeAddress(bindings?.incoming?.socket?.remoteAddress);
}

/**
 * The client's address (S35): the socket peer, unless that peer is a trusted proxy, in which case
 * X-Forwarded-For is walked from the right and the first address that is not itself a trusted
 * proxy wins (the left part of the chain is client-supplied and can be forged). 'unknown' when
 * there is no socket (in-process `app.request` without bindings).
 */
export function clientIp(c: Context, trustProxy: readonly string[]): string {
  const peer = socketAddress(c);
  if (!peer) return UNKNOWN;
  if (trustProxy.length === 0) return peer;
  const trusted = trustedRanges(trustProxy);
  if (!isTrusted(trusted, peer)) return peer;
  // Several X-Forwarded-For headers arrive joined by ", " (Fetch API), which is the same list.
  const chain = (c.req.header('x-forwarded-for') ?? '').split(',').map((part) => part.trim());
  let client = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(chain[i]);
    // A malformed entry ends the walk: beyond it nothing was written by a proxy we trust.
    if (!hop) break;
    client = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return client;
}

/** Who sent the request, for rate limits and the audit trail: its address and user agent. */
export function requestOrigin(c: Context, trustProxy: readonly string[]): RequestOrigin {
  return { ip: clientIp(c, trustProxy), userAgent: c.req.header('user-agent') ?? null };
}
