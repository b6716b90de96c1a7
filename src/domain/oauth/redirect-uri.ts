// Redirect URI rules: what registration accepts (S3) and how an authorization request's
// redirect_uri is matched against the registered ones (S1, S2). Pure.

/** Longest redirect URI we store or compare (S38: every string input has a length cap). */
export const MAX_REDIRECT_URI_LENGTH = 2000;

/** Private-use schemes allowed without a dot when the operator does not configure any (S3). */
export const DEFAULT_REDIRECT_SCHEMES: readonly string[] = ['cursor', 'vscode', 'vscode-insiders', 'claude'];

// Schemes that execute, embed or read local content: never a redirect target (RFC 9700 §4.1, S3).
const FORBIDDEN_SCHEMES = new Set(['javascript', 'data', 'file', 'blob', 'vbscript']);

// A loopback http redirect (RFC 8252 §7.3, RFC 9700 §2.1) written in the one form we accept, split into
// the parts S2 compares: `http://<host>` , an optional port, and the rest (path and query). The host
// must be written literally (no `127.1`, no upper case), so the string compared is the string meant.
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(?::(\d{1,5}))?([/?][^#]*)?$/;

type Loopback = { host: string; port: string | undefined; rest: string };

function parseLoopback(uri: string): Loopback | null {
  const match = LOOPBACK.exec(uri);
  if (!match) return null;
  const port = match[2];
  if (port !== undefined && Number(port) > 65535) return null;
  return { host: match[1]!, port, rest: match[3] ?? '' };
}

/** Whether `uri` is an `http` redirect to 127.0.0.1, [::1] or localhost (RFC 8252 §7.3). */
export function isLoopbackRedirect(uri: string): boolean {
  return typeof uri === 'string' && parseLoopback(uri) !== null;
}

/**
 * Why a redirect URI may not be registered, or null when it may (S3; RFC 9700 §4.1.3, RFC 8252 §7).
 * Accepts https, loopback http on any port, and private-use schemes that contain a dot or are in
 * `allowedSchemes`. Refuses fragments (RFC 6749 §3.1.2), userinfo, wildcards and script-like schemes.
 */
export function checkRedirectUriForRegistration(
  uri: string,
  allowedSchemes: readonly string[],
): string | null {
  if (typeof uri !== 'string' || uri === '') return 'must be a non-empty string';
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `must be at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  // Exact matching (S1) only means something if what is stored is what a browser will be sent to:
  // no spaces or controls the URL parser would strip, no backslashes it would turn into "/", ASCII only.
  if (!/^[\x21-\x7e]+$/.test(uri) || uri.includes('\\')) {
    return 'must be ASCII without spaces, control characters or backslashes';
  }
  if (uri.includes('#')) return 'must not contain a fragment (RFC 6749 §3.1.2)';

  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (!schemeMatch) return 'must be an absolute URI with a scheme';
  const scheme = schemeMatch[1]!.toLowerCase();
  if (FORBIDDEN_SCHEMES.has(scheme)) return `the ${scheme}: scheme is not allowed`;

  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not a valid URI';
  }
  const authority = rawAuthority(uri);
  if (authority?.includes('@')) return 'must not contain userinfo';
  if (url.username !== '' || url.password !== '') return 'must not contain userinfo';
  // S3: no wildcards; matching is exact, so a "*" in the host or path could only mislead.
  if (url.hostname.includes('*') || (authority?.includes('*') ?? false) || url.pathname.includes('*')) {
    return 'must not contain a wildcard';
  }

  if (scheme === 'https') {
    // "https:/host/cb" and "https:///host/cb" parse as https://host/cb; require the plain form.
    if (!/^https:\/\/[^/?#]/i.test(uri)) return 'must be written as https://host/…';
    return null;
  }
  if (scheme === 'http') {
    // Plain http only for loopback (RFC 9700 §2.1, OAuth 2.1 §2.3.1), where no network sees the code.
    if (parseLoopback(uri)) return null;
    if (['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) {
      return 'a loopback http URI must be written as http://127.0.0.1, http://[::1] or http://localhost (lower case)';
    }
    return 'http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https';
  }
  // Private-use schemes for native apps (RFC 8252 §7.1): reverse-domain names contain a dot; short
  // ones (cursor, vscode …) only when the operator allows them.
  const allowed = allowedSchemes.some((s) => s.toLowerCase() === scheme);
  if (scheme.includes('.') || allowed) return null;
  return `the ${scheme}: scheme is not allowed; use https, loopback http, a reverse-domain scheme (com.example.app:/cb) or an allowed scheme (${allowedSchemes.join(', ') || 'none'})`;
}

/**
 * Whether a presented redirect_uri matches one registered for the client: an exact string match (S1,
 * RFC 9700 §4.1.3), except that a loopback http URI may use any port, with scheme, host, path and
 * query still exact (S2, RFC 8252 §7.3). `localhost` and `127.0.0.1` are different hosts.
 */
export function redirectUriMatches(registered: readonly string[], presented: string): boolean {
  if (typeof presented !== 'string' || presented === '') return false;
  if (registered.includes(presented)) return true;
  const wanted = parseLoopback(presented);
  if (!wanted) return false;
  return registered.some((uri) => {
    const candidate = parseLoopback(uri);
    return candidate !== null && candidate.host === wanted.host && candidate.rest === wanted.rest;
  });
}

/** The host to show on the consent screen (S29): the host of an http(s) URI, the scheme of a private-use one. */
export function redirectHost(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return '';
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https' || scheme === 'http') return url.hostname;
  return scheme;
}

// The authority of a `scheme://authority…` URI as written, before the URL parser normalises it.
function rawAuthority(uri: string): string | null {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  return match ? match[1]! : null;
}
