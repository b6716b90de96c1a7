import { createHash, randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { hiddenValue, PageBrowser } from './page-browser.ts';

/** A PKCE pair (RFC 7636 S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Registers a public client over HTTP (RFC 7591). */
export async function registerClient(app: Hono, metadata: Record<string, unknown>): Promise<Response> {
  return await app.request('/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...metadata,
    }),
  });
}

/** A form POST to the token endpoint. */
export async function tokenRequest(
  app: Hono,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await app.request('/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/**
 * Drives a browser through /authorize → sign-in → consent → the 302 to the client, following the
 * real forms, and returns the authorization response URL.
 */
export async function authorizeInBrowser(
  browser: PageBrowser,
  authorizeUrl: string,
  credentials: { email: string; password: string },
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  let res = await browser.get(authorizeUrl);
  for (let hops = 0; hops < 10; hops++) {
    const location = res.headers.get('location');
    if (res.status === 302 || res.status === 303) {
      const target = new URL(location!, 'http://localhost:3000');
      if (
        target.origin !== 'http://localhost:3000' ||
        (!target.pathname.startsWith('/authorize') && !target.pathname.startsWith('/signin'))
      ) {
        return target;
      }
      res = await browser.get(`${target.pathname}${target.search}`);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization stopped at ${res.status}: ${html.slice(0, 300)}`);
    if (html.includes('name="password"')) {
      res = await browser.post('/signin', {
        email: credentials.email,
        password: credentials.password,
        csrf: hiddenValue(html, 'csrf'),
        return_to: hiddenValue(html, 'return_to'),
      });
      continue;
    }
    if (html.includes('name="decision"')) {
      res = await browser.post('/authorize/decision', {
        pending: hiddenValue(html, 'pending'),
        csrf: hiddenValue(html, 'csrf'),
        decision,
      });
      continue;
    }
    throw new Error(`unexpected page: ${html.slice(0, 300)}`);
  }
  throw new Error('too many hops');
}

export { PageBrowser };
