import { isIP } from 'node:net';

// Rules for proving control of a customer site (PRODUCT.md, Domain): the workspace publishes a
// token we issue either as a file at /.well-known/userplane-verification.txt or as a
// <meta name="userplane-verification"> tag on the site root. Pure: the fetching lives in services.

export const VERIFICATION_FILE_PATH = '/.well-known/userplane-verification.txt';
export const VERIFICATION_META_NAME = 'userplane-verification';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Normalises what a user typed as their site (`app.example.com`, `https://app.example.com/`) to a bare lower-case host[:port], or null. */
export function normalizeDomainUrl(input: string): string | null {
  const text = input.trim();
  if (text === '' || text.length > 300) return null;
  // Whitespace, controls, backslashes (which URL parsing would turn into "/") and "@" (userinfo)
  // have no place in a host; refusing them up front keeps the parse below unambiguous.
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code === 0x7f || char === '\\' || char === '@') return null;
  }

  let scheme = 'https';
  let rest = text;
  const explicit = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (explicit) {
    scheme = explicit[1]!.toLowerCase();
    if (scheme !== 'https' && scheme !== 'http') return null;
    rest = text.slice(explicit[0].length);
  }

  // Only the authority may be given: a bare "/" is tolerated, any path, query or fragment is not.
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const tail = end === -1 ? '' : rest.slice(end);
  if (authority === '' || (tail !== '' && tail !== '/')) return null;

  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}/`);
  } catch {
    return null;
  }

  let hostname = url.hostname;
  if (hostname.startsWith('[')) {
    // IPv6 literal, already validated and compressed by the URL parser.
  } else if (isIP(hostname) === 4) {
    // The URL parser turns shorthand like "127.1" or "0x7f000001" into dotted quads; accept only
    // an address written in full so the stored host is what the user meant.
    const typed = authority.replace(/:\d*$/, '').toLowerCase();
    if (typed !== hostname) return null;
  } else {
    if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
    if (hostname.length === 0 || hostname.length > 253) return null;
    if (!hostname.split('.').every((label) => LABEL.test(label))) return null;
  }

  // Verification always fetches over https, so 443 is the default port whichever scheme was typed.
  const port = url.port === '443' ? '' : url.port;
  if (port === '0') return null;
  return port ? `${hostname}:${port}` : hostname;
}

/** The URL of the verification file for a normalised host. */
export function verificationFileUrl(host: string, scheme: 'https' | 'http' = 'https'): string {
  return `${scheme}://${host}${VERIFICATION_FILE_PATH}`;
}

/** The URL of the site root, where the verification meta tag is looked for. */
export function siteRootUrl(host: string, scheme: 'https' | 'http' = 'https'): string {
  return `${scheme}://${host}/`;
}

/** Whether a fetched body proves the token: as the file's content (`file`) or in a meta tag (`html`). */
export function verificationTokenFound(body: string, token: string, kind: 'file' | 'html'): boolean {
  // An empty token would match any empty file or attribute.
  if (token.trim() === '' || token !== token.trim()) return false;
  return kind === 'file' ? fileHasToken(body, token) : metaValues(body).includes(token);
}

function fileHasToken(body: string, token: string): boolean {
  const text = body.replace(/^\uFEFF/, '');
  if (text.trim() === token) return true;
  return text.split(/\r\n|\r|\n/).some((raw) => {
    const line = raw.trim();
    if (line === token) return true;
    const pair = /^userplane-verification\s*=\s*(.*)$/i.exec(line);
    return pair !== null && pair[1] === token;
  });
}

// A <meta> tag whose quoted attribute values may themselves contain ">".
const META_TAG = /<meta\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;
const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

function metaValues(html: string): string[] {
  const values: string[] = [];
  for (const tag of html.matchAll(META_TAG)) {
    const attributes = new Map<string, string>();
    for (const attribute of (tag[1] ?? '').matchAll(ATTRIBUTE)) {
      const name = attribute[1]!.toLowerCase();
      // HTML keeps the first of duplicated attributes.
      if (!attributes.has(name)) attributes.set(name, attribute[2] ?? attribute[3] ?? attribute[4] ?? '');
    }
    if (attributes.get('name')?.trim().toLowerCase() === VERIFICATION_META_NAME) {
      values.push((attributes.get('content') ?? '').trim());
    }
  }
  return values;
}
