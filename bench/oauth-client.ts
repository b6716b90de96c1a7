import { createHash, randomBytes } from 'node:crypto';

// A small OAuth 2.1 client over real HTTP, as an MCP client and a browser would drive the server:
// dynamic registration (RFC 7591), the authorization request with PKCE (RFC 7636) followed
// through the real sign-in and consent forms, the code exchange and refresh grants. Used by
// `npm run bench` and by scripts/conformance-proxy.ts; nothing here touches the database.

/** The loopback redirect URI the bench registers; nothing listens there, the code is read off the 302. */
export const BENCH_REDIRECT_URI = 'http://127.0.0.1:9/callback';

/** A PKCE pair (S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The value of a hidden (or any) input named `name` in a server-rendered form. */
export function inputValue(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no input named ${name} in the page`);
  const entities: Record<string, string> = {
    '&amp;': '&',
    '&quot;': '"',
    '&#39;': "'",
    '&lt;': '<',
    '&gt;': '>',
  };
  return match[1]!.replace(/&(amp|quot|#39|lt|gt);/g, (entity) => entities[entity]!);
}

/** Cookies for one origin, as a browser keeps them (Set-Cookie in, Cookie out). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export interface Credentials {
  email: string;
  password: string;
}

export interface TokenSet {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

/**
 * A browser over fetch with a cookie jar and manual redirects. `authorize` opens an authorization
 * URL, signs in and consents through the real forms when asked, and returns the first redirect
 * that leaves the server's pages (the client's redirect URI with `code` or `error`). Once signed
 * in and consented, a later `authorize` is a single GET answered by a 302 with a code.
 */
export class FormsBrowser {
  readonly jar = new CookieJar();

  constructor(
    readonly base: string,
    private readonly credentials: Credentials,
  ) {}

  private async send(method: 'GET' | 'POST', url: URL, form?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = this.jar.header();
    if (cookie) headers.cookie = cookie;
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, {
      method,
      headers,
      redirect: 'manual',
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    this.jar.take(res);
    return res;
  }

  async authorize(authorizationUrl: string | URL): Promise<URL> {
    const origin = new URL(this.base).origin;
    let current = new URL(authorizationUrl, this.base);
    let res = await this.send('GET', current);
    for (let step = 0; step < 12; step++) {
      if (res.status >= 300 && res.status < 400) {
        const target = new URL(res.headers.get('location') ?? '', current);
        await res.body?.cancel();
        const ours = target.pathname.startsWith('/authorize') || target.pathname.startsWith('/signin');
        if (target.origin !== origin || !ours) return target;
        current = target;
        res = await this.send('GET', current);
        continue;
      }
      const html = await res.text();
      if (res.status !== 200)
        throw new Error(`authorization stopped at ${res.status} ${current}: ${html.slice(0, 300)}`);
      if (html.includes('name="password"')) {
        current = new URL('/signin', origin);
        res = await this.send('POST', current, {
          ...this.credentials,
          csrf: inputValue(html, 'csrf'),
          return_to: inputValue(html, 'return_to'),
        });
        continue;
      }
      if (html.includes('name="decision"')) {
        current = new URL('/authorize/decision', origin);
        res = await this.send('POST', current, {
          pending: inputValue(html, 'pending'),
          csrf: inputValue(html, 'csrf'),
          decision: 'allow',
        });
        continue;
      }
      throw new Error(`unexpected page at ${current}: ${html.slice(0, 300)}`);
    }
    throw new Error('too many hops');
  }
}

/** Registers a public client (DCR) and returns its client_id. */
export async function registerClient(base: string, name = 'Userplane bench'): Promise<string> {
  const res = await fetch(new URL('/register', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(registrationBody(name)),
  });
  const body = (await res.json()) as { client_id?: string };
  if (res.status !== 201 || !body.client_id)
    throw new Error(`registration failed: ${res.status} ${JSON.stringify(body)}`);
  return body.client_id;
}

/** The DCR request body the bench sends (also the body of the DCR load scenario). */
export function registrationBody(name = 'Userplane bench'): Record<string, unknown> {
  return {
    client_name: name,
    redirect_uris: [BENCH_REDIRECT_URI],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
}

/** An authorization request URL for `clientId` with a fresh PKCE pair and state. */
export function authorizationRequest(
  base: string,
  clientId: string,
): { url: URL; verifier: string; state: string } {
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(8).toString('base64url');
  const url = new URL('/authorize', base);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: BENCH_REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    scope: 'mcp:tools',
    resource: new URL('/mcp', base).href,
  }).toString();
  return { url, verifier, state };
}

async function tokenCall(base: string, fields: Record<string, string>): Promise<TokenSet> {
  const res = await fetch(new URL('/token', base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  const body = (await res.json()) as TokenSet & { error?: string };
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Exchanges an authorization response (the callback URL) for tokens. */
export async function exchangeCode(
  base: string,
  clientId: string,
  callback: URL,
  verifier: string,
): Promise<TokenSet> {
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in the authorization response: ${callback.href}`);
  return await tokenCall(base, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    client_id: clientId,
    redirect_uri: BENCH_REDIRECT_URI,
  });
}

/** A refresh grant; the answer carries the rotated refresh token. */
export async function refreshTokens(base: string, clientId: string, refreshToken: string): Promise<TokenSet> {
  return await tokenCall(base, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  });
}

export interface AuthorizedClient {
  clientId: string;
  tokens: TokenSet;
  /** Signed in, with consent given to `clientId`: later authorizations need no forms. */
  browser: FormsBrowser;
}

/** The whole flow a new MCP client goes through: DCR → authorize (sign-in, consent) → token. */
export async function authorizeNewClient(
  base: string,
  credentials: Credentials,
  browser = new FormsBrowser(base, credentials),
): Promise<AuthorizedClient> {
  const clientId = await registerClient(base);
  const request = authorizationRequest(base, clientId);
  const callback = await browser.authorize(request.url);
  if (callback.searchParams.get('state') !== request.state)
    throw new Error('state mismatch in the authorization response');
  const tokens = await exchangeCode(base, clientId, callback, request.verifier);
  return { clientId, tokens, browser };
}
