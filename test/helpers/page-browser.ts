import type { Hono } from 'hono';

/**
 * A minimal browser for the server-rendered pages: keeps cookies, comes from a fixed socket
 * address (the @hono/node-server binding clientIp reads), and fills forms. Redirects are not
 * followed, so tests can look at each hop.
 */
export class PageBrowser {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: Hono,
    readonly ip = '203.0.113.10',
  ) {}

  /** The Cookie header this browser would send. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has('cookie')) headers.set('cookie', this.cookieHeader());
    const res = await this.app.request(
      path,
      { ...init, headers },
      { incoming: { socket: { remoteAddress: this.ip } } },
    );
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** POSTs an application/x-www-form-urlencoded form. */
  post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** GETs a page and returns the value of its hidden `csrf` input. */
  async csrfFrom(path: string): Promise<string> {
    const res = await this.get(path);
    return hiddenValue(await res.text(), 'csrf');
  }
}

/** The value of `<input … name="<name>" value="…">` in a page (hono/jsx renders name before value). */
export function hiddenValue(html: string, name: string): string {
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
