import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../lib/logger.ts';

// Host and Origin validation (MCP spec 2025-11-25 "Transports" §Security Warning: servers MUST
// validate Origin; the SDK advisory GHSA-w48q-cv73-mx4w; DNS rebinding).
//
// A DNS-rebinding page (evil.example resolving to 127.0.0.1 or to a host on the victim's network)
// makes the victim's browser talk to this server under the attacker's name: the request carries
// `Host: evil.example`. Refusing every Host that is not ours stops it before any route runs, the
// health checks included. The names this server answers to:
//
// - the host of PUBLIC_URL (with its port, or on the scheme's default port when it names none);
// - ALLOWED_HOSTS (`name` matches any port, `name:port` that port only, `10.0.0.0/16` IP-literal
//   hosts in that range) — e.g. the addresses a load balancer probes by, or the internal name a
//   proxy forwards with;
// - when the server binds a loopback HOST, `localhost`, `127.0.0.1` and `[::1]` on any port: only
//   this machine can reach such a socket, and a rebinding page cannot send those names (the
//   browser puts the attacker's name in Host), so they are safe. That is what keeps a laptop
//   install working under any port, several processes on one machine behind one PUBLIC_URL, and
//   in-process requests (`app.request('/path')` → host `localhost`).
//
// On /mcp a browser's `Origin` is checked too, when present: PUBLIC_URL's origin, ALLOWED_ORIGINS,
// and, on a loopback server, any http(s) loopback origin (MCP Inspector at http://localhost:6274).
// Non-browser clients send no Origin and are not affected.

/** Names a loopback server answers to on any port (Host) and accepts as browser origins (Origin, /mcp). */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The longest host or origin quoted back in a refusal. */
const QUOTE_MAX = 100;
/** Distinct refused hosts logged once each (a scan must not flood the log, nor grow a set forever). */
const LOGGED_HOSTS_MAX = 64;

/** Whether the address the server binds (HOST) only accepts connections from this machine. */
export function isLoopbackBind(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** `name` and `port` of a Host value (lower case, no trailing dot); port '' when absent. */
function splitHost(value: string): { name: string; port: string } {
  const v = value.toLowerCase();
  let name = v;
  let port = '';
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    name = end === -1 ? v : v.slice(0, end + 1);
    if (end !== -1 && v.charCodeAt(end + 1) === 58 /* : */) port = v.slice(end + 2);
  } else {
    const colon = v.lastIndexOf(':');
    if (colon !== -1) {
      name = v.slice(0, colon);
      port = v.slice(colon + 1);
    }
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  return { name, port };
}

/** The authority of an absolute URL string (`http://host:port/path` → `host:port`), without parsing it. */
function authorityOf(url: string): string {
  const start = url.indexOf('//') + 2;
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const ch = url.charCodeAt(i);
    if (ch === 47 /* / */ || ch === 63 /* ? */ || ch === 35 /* # */) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

const quote = (value: string) =>
  JSON.stringify(value.length > QUOTE_MAX ? `${value.slice(0, QUOTE_MAX)}…` : value);

/** Which Host and Origin values this server accepts, built once from the settings. */
export interface HostPolicy {
  /** Whether a Host value (`name[:port]`) names this server. */
  hostAllowed(host: string): boolean;
  /** Whether an Origin header value may call /mcp. */
  originAllowed(origin: string): boolean;
  /** The 403 answer for a Host that is not ours (JSON; JSON-RPC on /mcp). */
  hostRefusal(host: string, mcp: boolean): Response;
  /** The 403 answer for an Origin that may not call /mcp (JSON-RPC). */
  originRefusal(origin: string): Response;
}

/** The policy PUBLIC_URL, HOST, ALLOWED_HOSTS and ALLOWED_ORIGINS describe. */
export function hostPolicy(
  config: Pick<Config, 'publicUrl' | 'host' | 'allowedHosts' | 'allowedOrigins'>,
): HostPolicy {
  const loopback = isLoopbackBind(config.host);
  const publicUrl = new URL(config.publicUrl);
  // Exact `name:port` / `name` (default port) entries, and names allowed on any port.
  const exact = new Set<string>();
  const anyPort = new Set<string>();
  const publicName = publicUrl.hostname.toLowerCase();
  if (publicUrl.port) exact.add(`${publicName}:${publicUrl.port}`);
  else {
    // A Host without a port means the scheme's default one; some clients spell it out.
    exact.add(publicName);
    exact.add(`${publicName}:${publicUrl.protocol === 'https:' ? 443 : 80}`);
  }
  const ranges = new BlockList();
  let hasRanges = false;
  for (const entry of config.allowedHosts) {
    const slash = entry.indexOf('/');
    if (slash !== -1) {
      const address = entry.slice(0, slash);
      ranges.addSubnet(address, Number(entry.slice(slash + 1)), isIP(address) === 6 ? 'ipv6' : 'ipv4');
      hasRanges = true;
    } else if (entry.startsWith('[') ? entry.endsWith(']') : !entry.includes(':')) anyPort.add(entry);
    else exact.add(entry);
  }
  if (loopback) for (const name of LOOPBACK_NAMES) anyPort.add(name);
  const origins = new Set([publicUrl.origin, ...config.allowedOrigins]);

  const json = (body: unknown) =>
    new Response(JSON.stringify(body), {
      status: 403,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  const names = `the host of PUBLIC_URL (${publicUrl.host})${loopback ? ', localhost names (the server binds a loopback HOST)' : ''} and ALLOWED_HOSTS`;

  return {
    hostAllowed(host) {
      const value = host.toLowerCase();
      if (exact.has(value) || anyPort.has(value)) return true;
      const { name, port } = splitHost(value);
      if (anyPort.has(name) || exact.has(port ? `${name}:${port}` : name)) return true;
      if (!hasRanges) return false;
      const address = name.startsWith('[') ? name.slice(1, -1) : name;
      const version = isIP(address);
      return version !== 0 && ranges.check(address, version === 6 ? 'ipv6' : 'ipv4');
    },
    originAllowed(origin) {
      if (origins.has(origin)) return true;
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false; // `null` (sandboxed frames, file:) and anything malformed
      }
      if (origins.has(url.origin)) return true;
      return (
        loopback &&
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        LOOPBACK_NAMES.has(url.hostname)
      );
    },
    hostRefusal(host, mcp) {
      const message = `Host ${quote(host)} is not a name this server answers to (it accepts ${names}). If the name is yours — a load balancer probing by IP address, an internal name a proxy forwards — add it to ALLOWED_HOSTS.`;
      return mcp
        ? json({ jsonrpc: '2.0', id: null, error: { code: -32000, message } })
        : json({ error: 'HOST_NOT_ALLOWED', message });
    },
    originRefusal(origin) {
      const message = `Origin ${quote(origin)} may not call /mcp (allowed: PUBLIC_URL's origin ${publicUrl.origin}${loopback ? ', loopback origins (the server binds a loopback HOST)' : ''} and ALLOWED_ORIGINS). If it is a browser-based client you trust, add its origin to ALLOWED_ORIGINS.`;
      return json({ jsonrpc: '2.0', id: null, error: { code: -32000, message } });
    },
  };
}

/** Whether a path is the MCP endpoint (where Origin is checked). */
function isMcpPath(path: string): boolean {
  return path === '/mcp' || path === '/mcp/';
}

/**
 * Refuses, with 403 before any route runs, a request whose Host is not ours and, on /mcp, one whose
 * Origin is present and not allowed (see the top of this file).
 */
export function hostCheck(
  config: Pick<Config, 'publicUrl' | 'host' | 'allowedHosts' | 'allowedOrigins'>,
  log: Logger,
): MiddlewareHandler {
  const policy = hostPolicy(config);
  const logged = new Set<string>();
  return async (c, next) => {
    // Node's parsed headers when served by @hono/node-server (cheap: no Headers object is built).
    const headers = (c.env as { incoming?: { headers?: IncomingHttpHeaders } } | undefined)?.incoming
      ?.headers;
    // The URL's authority comes from Host, or from an absolute-form request target, which takes
    // precedence over Host (RFC 9112 §3.2.2); in process it is the URL the test asked for.
    const authority = authorityOf(c.req.url);
    const hostHeader = headers ? headers.host : c.req.header('host');
    const mcp = isMcpPath(c.req.path);
    for (const host of hostHeader !== undefined && hostHeader !== authority
      ? [authority, hostHeader]
      : [authority]) {
      if (policy.hostAllowed(host)) continue;
      if (logged.size < LOGGED_HOSTS_MAX && !logged.has(host)) {
        logged.add(host);
        log.warn(
          { host: host.slice(0, QUOTE_MAX), path: c.req.path },
          "request refused: its Host is neither PUBLIC_URL's nor in ALLOWED_HOSTS (logged once per host)",
        );
      }
      return policy.hostRefusal(host, mcp);
    }
    if (mcp) {
      const origin = headers ? headers.origin : c.req.header('origin');
      if (origin !== undefined && !policy.originAllowed(origin)) return policy.originRefusal(origin);
    }
    await next();
  };
}
