import type {
  ActionEntry,
  ConsoleEntry,
  ConsoleLevel,
  NetworkEntry,
  SystemMeta,
} from '../domain/recording-resources.ts';

// Deterministic demo content for recordings: what a customer of a support-ticket web app
// ("Acme Helpdesk" at app.example.com) might produce while reporting a bug. Everything is
// derived from a seed, so the same seed always gives the same recording.
//
// The three logs of one seed tell one story: a virtual session (page loads, searches, replies,
// one request that fails and the error it causes) is simulated on its own clock and then laid
// out over [0, durationMs]. Nothing here looks like a real secret or a real person.

/** Any number or string; equal seeds give equal content. */
export type Seed = number | string;

/** Fewest and most entries a generated log holds. */
export const DEMO_MIN_ENTRIES = 20;
export const DEMO_MAX_ENTRIES = 120;

/** Seeded PRNG (mulberry32) returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Console entries of the demo session for `seed`, sorted by `ts` within [0, durationMs]. */
export function generateConsoleLog(seed: Seed, durationMs: number): ConsoleEntry[] {
  return buildSession(seed, durationMs).console;
}

/** Network entries (fetch/XHR to `/api/...`) of the demo session, sorted by `ts`. */
export function generateNetworkLog(seed: Seed, durationMs: number): NetworkEntry[] {
  return buildSession(seed, durationMs).network;
}

/** User actions (navigations, clicks, inputs) of the demo session, sorted by `ts`. */
export function generateActionLog(seed: Seed, durationMs: number): ActionEntry[] {
  return buildSession(seed, durationMs).actions;
}

/** Browser environment of the demo customer: browser, OS, screen, page URL and user agent. */
export function generateSystemMeta(seed: Seed): SystemMeta {
  const p = makeProfile(seed);
  return {
    browser: p.browser,
    os: p.os,
    screen: { ...p.screen },
    url: `${ORIGIN}/tickets`,
    userAgent: p.userAgent,
  };
}

/** Free-form metadata a support team might attach to a recording link. */
export function generateCustomMeta(seed: Seed): Record<string, unknown> {
  const p = makeProfile(seed);
  return {
    customerId: p.customerId,
    company: p.company,
    plan: p.plan,
    ticketId: p.ticketId,
    appVersion: p.appVersion,
    locale: p.locale,
    source: p.source,
  };
}

/** The note a customer leaves with the recording. */
export function generateNotes(seed: Seed): string {
  const p = makeProfile(seed);
  const rng = new Rng(seed, 'notes');
  const problem =
    p.failure === 'upload'
      ? rng.pick([
          `Every time I attach our invoice PDF to ticket #${p.ticketId} I get a red error and the file never shows up.`,
          `Attaching a file to ticket #${p.ticketId} fails with "Request failed", tried it twice.`,
          `The upload on ticket #${p.ticketId} spins for a few seconds and then errors out.`,
        ])
      : rng.pick([
          'When I click Submit on the new ticket form it spins and then says the request failed.',
          'I cannot create a new ticket, the form shows an error after I press Submit.',
          'Creating a ticket fails for me, the text I typed stays there but nothing gets saved.',
        ]);
  const extra = rng.pick([
    `This is in ${p.browser} on ${p.os}.`,
    'It worked fine last week.',
    'My colleague sees the same thing.',
    'Not sure if related, but the ticket list was slow to load this morning.',
    '',
  ]);
  return extra === '' ? problem : `${problem} ${extra}`;
}

/** Serializes console entries as NDJSON (one JSON object per line, trailing newline). */
export function serializeConsoleNdjson(entries: readonly ConsoleEntry[]): string {
  return entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// Randomness

class Rng {
  private readonly next: () => number;

  constructor(seed: Seed, stream: string) {
    this.next = mulberry32(hashSeed(seed, stream));
  }

  float(): number {
    return this.next();
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [item, weight] of items) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }
}

/** FNV-1a over the seed and stream name, so each stream of one seed is independent. */
function hashSeed(seed: Seed, stream: string): number {
  const text = `${stream}:${typeof seed}:${String(seed)}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Who is recording

const ORIGIN = 'https://app.example.com';

type Engine = 'chromium' | 'firefox' | 'webkit';
type Failure = 'upload' | 'create';

interface Environment {
  engine: Engine;
  browser: string;
  os: string;
  versions: readonly string[];
  userAgent: (version: string) => string;
}

const MAC = 'Macintosh; Intel Mac OS X 10_15_7';
const WINDOWS = 'Windows NT 10.0; Win64; x64';
const chromeUa = (platform: string, version: string, suffix = '') =>
  `Mozilla/5.0 (${platform}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version}.0.0.0 Safari/537.36${suffix}`;
const firefoxUa = (platform: string, version: string) =>
  `Mozilla/5.0 (${platform}; rv:${version}) Gecko/20100101 Firefox/${version}`;

const ENVIRONMENTS: readonly Environment[] = [
  {
    engine: 'chromium',
    browser: 'Chrome',
    os: 'macOS 14.5',
    versions: ['125', '126', '127'],
    userAgent: (v) => chromeUa(MAC, v),
  },
  {
    engine: 'chromium',
    browser: 'Chrome',
    os: 'Windows 11',
    versions: ['125', '126', '127'],
    userAgent: (v) => chromeUa(WINDOWS, v),
  },
  {
    engine: 'chromium',
    browser: 'Edge',
    os: 'Windows 10',
    versions: ['125', '126'],
    userAgent: (v) => chromeUa(WINDOWS, v, ` Edg/${v}.0.0.0`),
  },
  {
    engine: 'chromium',
    browser: 'Chrome',
    os: 'Linux',
    versions: ['126', '127'],
    userAgent: (v) => chromeUa('X11; Linux x86_64', v),
  },
  {
    engine: 'firefox',
    browser: 'Firefox',
    os: 'Windows 11',
    versions: ['127.0', '128.0'],
    userAgent: (v) => firefoxUa(WINDOWS, v),
  },
  {
    engine: 'firefox',
    browser: 'Firefox',
    os: 'Ubuntu 22.04',
    versions: ['127.0', '128.0'],
    userAgent: (v) => firefoxUa('X11; Ubuntu; Linux x86_64', v),
  },
  {
    engine: 'webkit',
    browser: 'Safari',
    os: 'macOS 14.5',
    versions: ['17.4', '17.5'],
    userAgent: (v) =>
      `Mozilla/5.0 (${MAC}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Safari/605.1.15`,
  },
];

const SCREENS: readonly (readonly [number, number])[] = [
  [1920, 1080],
  [1440, 900],
  [2560, 1440],
  [1536, 864],
  [1366, 768],
  [1280, 800],
];

const COMPANIES = [
  'Northwind Traders',
  'Contoso',
  'Fabrikam',
  'Tailspin Toys',
  'Wingtip Toys',
  'Adventure Works',
];
const AGENT_NAMES = ['Jordan Lee', 'Priya Raman', 'Sam Ortega', 'Mina Park', 'Alex Novak', 'Chris Okafor'];

interface Profile {
  engine: Engine;
  browser: string;
  os: string;
  userAgent: string;
  screen: { width: number; height: number };
  viewport: { width: number; height: number };
  locale: string;
  appVersion: string;
  build: string;
  chunks: { index: string; tickets: string; vendor: string };
  ticketId: number;
  customerId: string;
  company: string;
  plan: string;
  source: string;
  agentName: string;
  failure: Failure;
}

function makeProfile(seed: Seed): Profile {
  const rng = new Rng(seed, 'profile');
  const env = rng.pick(ENVIRONMENTS);
  const version = rng.pick(env.versions);
  const [width, height] = rng.pick(SCREENS);
  return {
    engine: env.engine,
    browser: `${env.browser} ${version}`,
    os: env.os,
    userAgent: env.userAgent(version),
    screen: { width, height },
    viewport: { width, height: height - rng.int(90, 160) },
    locale: rng.pick(['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'nl-NL']),
    appVersion: `2.${rng.int(8, 19)}.${rng.int(0, 9)}`,
    build: rng.hex(7),
    chunks: {
      index: `index-${rng.hex(8)}.js`,
      tickets: `tickets-${rng.hex(8)}.js`,
      vendor: `vendor-${rng.hex(8)}.js`,
    },
    ticketId: rng.int(1200, 9800),
    customerId: `cus_demo_${rng.hex(10)}`,
    company: rng.pick(COMPANIES),
    plan: rng.pick(['Starter', 'Team', 'Business', 'Enterprise']),
    source: rng.pick(['intercom', 'zendesk', 'email']),
    agentName: rng.pick(AGENT_NAMES),
    failure: rng.pick(['upload', 'create'] as const),
  };
}

// ---------------------------------------------------------------------------------------------
// The session

interface Session {
  console: ConsoleEntry[];
  network: NetworkEntry[];
  actions: ActionEntry[];
}

interface RequestOptions {
  requestBody?: unknown;
  responseBody?: unknown;
  minMs?: number;
  maxMs?: number;
  requestContentType?: string;
  responseContentType?: string;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Simulates the session on a virtual clock (ms); `layout` then maps it onto the recording. */
class SessionBuilder {
  now = 0;
  /** Path of the page the user is on. */
  page = '';
  readonly console: ConsoleEntry[] = [];
  readonly network: NetworkEntry[] = [];
  readonly actions: ActionEntry[] = [];

  constructor(
    readonly rng: Rng,
    readonly p: Profile,
  ) {}

  /** The user reads or thinks. */
  pause(minMs = 400, maxMs = 2500): void {
    this.now += this.rng.int(minMs, maxMs);
  }

  navigate(path: string): void {
    this.page = path;
    this.actions.push({ ts: this.now, type: 'navigation', url: `${ORIGIN}${path}` });
    this.now += this.rng.int(20, 120);
  }

  /** Clicks an element placed around (fx, fy), fractions of the viewport. */
  click(selector: string, fx: number, fy: number): void {
    const { width, height } = this.p.viewport;
    const x = clamp(Math.round(fx * width) + this.rng.int(-14, 14), 0, width - 1);
    const y = clamp(Math.round(fy * height) + this.rng.int(-8, 8), 0, height - 1);
    this.actions.push({ ts: this.now, type: 'click', selector, x, y });
    this.now += this.rng.int(60, 250);
  }

  /** Types `value` into a field; the input event lands once typing is done. */
  type(selector: string, value: string): void {
    this.now += value.length * this.rng.int(45, 110);
    this.actions.push({ ts: this.now, type: 'input', selector, value });
    this.now += this.rng.int(30, 200);
  }

  log(level: ConsoleLevel, message: string, extra: { args?: unknown[]; stack?: string } = {}): void {
    this.console.push({ ts: this.now, level, message, ...extra });
    this.now += this.rng.int(0, 4);
  }

  /** Starts a request now and returns the virtual time its response arrives. */
  request(method: string, path: string, status: number, options: RequestOptions = {}): number {
    const isError = status >= 400;
    const minMs = options.minMs ?? (isError && status >= 500 ? 300 : 40);
    const maxMs = options.maxMs ?? (isError && status >= 500 ? 2500 : 650);
    const durationMs = this.rng.int(minMs, maxMs);
    const requestId = `req_${this.rng.hex(16)}`;
    const requestHeaders: Record<string, string> = {
      accept: 'application/json',
      authorization: 'Bearer [REDACTED]',
      'x-request-id': requestId,
    };
    const responseHeaders: Record<string, string> = {
      'content-type': options.responseContentType ?? 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-request-id': requestId,
    };
    if (status === 503 || status === 429) responseHeaders['retry-after'] = '30';
    const entry: NetworkEntry = {
      ts: this.now,
      method,
      url: `${ORIGIN}${path}`,
      status,
      durationMs,
      requestHeaders,
      responseHeaders,
    };
    if (options.requestContentType !== undefined) requestHeaders['content-type'] = options.requestContentType;
    if (options.requestBody !== undefined) {
      requestHeaders['content-type'] ??= 'application/json';
      entry.requestBody = JSON.stringify(options.requestBody);
    }
    const responseBody =
      options.responseBody ??
      (isError ? { error: errorCode(status), message: STATUS_TEXT[status] } : undefined);
    if (typeof responseBody === 'string') entry.responseBody = responseBody;
    else if (responseBody !== undefined && status !== 204) entry.responseBody = JSON.stringify(responseBody);
    this.network.push(entry);
    return this.now + durationMs;
  }

  /** Makes a request and waits for its response. */
  call(method: string, path: string, status: number, options: RequestOptions = {}): void {
    this.until(this.request(method, path, status, options));
    this.traceResponse(method, path, status);
  }

  /** Starts several requests a few ms apart and waits for all of them. */
  parallel(requests: readonly (readonly [string, string, number, RequestOptions?])[]): void {
    let end = this.now;
    for (const [method, path, status, options] of requests) {
      end = Math.max(end, this.request(method, path, status, options));
      this.now += this.rng.int(1, 12);
    }
    this.until(end);
    for (const [method, path, status] of requests) this.traceResponse(method, path, status);
  }

  /** The app's fetch wrapper logs some responses at debug level. */
  private traceResponse(method: string, path: string, status: number): void {
    if (this.rng.chance(0.4)) this.log('debug', `[api] ${method} ${path.split('?')[0]} → ${status}`);
  }

  until(time: number): void {
    this.now = Math.max(this.now, time) + this.rng.int(5, 40);
  }

  /** A JS error as this browser would print it, with a stack through the app's bundles. */
  typeError(expression: string, property: string, frames: readonly (readonly [string, ChunkName])[]): void {
    const message =
      this.p.engine === 'chromium'
        ? `TypeError: Cannot read properties of undefined (reading '${property}')`
        : this.p.engine === 'firefox'
          ? `TypeError: ${expression} is undefined`
          : `TypeError: undefined is not an object (evaluating '${expression}.${property}')`;
    const lines = frames.map(([fn, chunk]) => {
      const url = `${ORIGIN}/assets/${this.p.chunks[chunk]}:${this.rng.int(1, 3)}:${this.rng.int(1000, 99999)}`;
      if (this.p.engine === 'chromium') return `    at ${fn} (${url})`;
      const name = fn.replace(/^async /, '').replace(/^.*\./, '');
      return `${name}@${url}`;
    });
    const stack = this.p.engine === 'chromium' ? [message, ...lines].join('\n') : lines.join('\n');
    this.log('error', message, { stack });
  }
}

type ChunkName = keyof Profile['chunks'];

function errorCode(status: number): string {
  return (STATUS_TEXT[status] ?? 'Error').toUpperCase().replace(/ /g, '_');
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

type Scene = (b: SessionBuilder) => void;

const ticketSummary = (id: number, subject: string, status: string) => ({ id, subject, status });

const SUBJECTS = [
  'Invoice PDF missing from last order',
  'Cannot change billing address',
  'Export to CSV times out',
  'Password reset email never arrives',
  'Wrong VAT rate on invoice',
  'Team member cannot see shared views',
];

const boot: Scene = (b) => {
  const { p, rng } = b;
  b.navigate('/tickets');
  b.log('info', `[app] Acme Helpdesk ${p.appVersion} (build ${p.build})`);
  b.parallel([
    ['GET', '/api/session', 200, { responseBody: { authenticated: true, expiresIn: 900 } }],
    ['GET', '/api/me', 200, { responseBody: { id: 'usr_demo_01', name: p.agentName, role: 'customer' } }],
    ['GET', '/api/feature-flags', 200, { responseBody: { newEditor: true, bulkActions: false } }],
  ]);
  b.log('log', 'Feature flags loaded', { args: [{ newEditor: true, bulkActions: false }] });
  b.call('GET', '/api/tickets?status=open&page=1', 200, {
    minMs: 120,
    maxMs: 900,
    responseBody: {
      data: [ticketSummary(p.ticketId, rng.pick(SUBJECTS), 'open')],
      pagination: { page: 1, perPage: 20, total: rng.int(3, 60) },
    },
  });
  b.log('debug', '[router] route resolved: /tickets');
  if (p.locale !== 'en-US') {
    b.log('warn', `[i18n] Missing translation for "tickets.filters.slaBreached" (${p.locale}), using en-US`);
  }
  b.pause();
};

const search: Scene = (b) => {
  const { rng } = b;
  const query = rng.pick(['invoice', 'billing', 'export', 'password', 'refund']);
  ensureList(b);
  b.click('input#ticket-search', 0.45, 0.09);
  const cut = rng.int(2, query.length - 1);
  for (const value of [query.slice(0, cut), query]) {
    b.type('input#ticket-search', value);
    b.call('GET', `/api/tickets?q=${encodeURIComponent(value)}&page=1`, 200, {
      responseBody: { data: [], pagination: { page: 1, perPage: 20, total: rng.int(0, 14) } },
    });
  }
  b.log('debug', `[search] results for "${query}"`, { args: [{ total: rng.int(1, 14) }] });
  b.pause();
};

/** Back to the ticket list through the sidebar, unless already there. */
function ensureList(b: SessionBuilder): void {
  if (b.page === '/tickets') return;
  b.click('nav.sidebar a[href="/tickets"]', 0.06, 0.2);
  b.navigate('/tickets');
  b.call('GET', '/api/tickets?status=open&page=1', 200, { minMs: 120, maxMs: 900 });
  b.pause(300, 1500);
}

/** Opens the customer's ticket, unless it is already open. */
function ensureTicket(b: SessionBuilder): void {
  if (b.page !== `/tickets/${b.p.ticketId}`) openTicket(b);
}

const openTicket: Scene = (b) => {
  const { p, rng } = b;
  ensureList(b);
  b.click(
    `table.ticket-list tr[data-ticket-id="${p.ticketId}"] a.ticket-title`,
    0.42,
    0.22 + rng.int(0, 6) * 0.05,
  );
  b.navigate(`/tickets/${p.ticketId}`);
  b.parallel([
    [
      'GET',
      `/api/tickets/${p.ticketId}`,
      200,
      { responseBody: ticketSummary(p.ticketId, rng.pick(SUBJECTS), 'open') },
    ],
    ['GET', `/api/tickets/${p.ticketId}/messages?limit=50`, 200, { minMs: 90, maxMs: 800 }],
    ['GET', `/api/tickets/${p.ticketId}/attachments`, 200, { responseBody: { data: [] } }],
  ]);
  b.log('debug', '[router] route resolved: /tickets/:ticketId');
  if (rng.chance(0.3)) {
    b.log('warn', `[perf] Long task: ${rng.int(120, 480)}ms in TicketTimeline render`);
  }
  b.pause(800, 4000);
};

const REPLIES = [
  "Thanks, I've attached the invoice again, could you check?",
  'Still seeing the same problem after clearing the cache.',
  'Here is the order number you asked for: ORD-DEMO-1042.',
  'Any update on this? We need it for month-end closing.',
];

const reply: Scene = (b) => {
  const { p, rng } = b;
  ensureTicket(b);
  b.click('button[data-action="reply"]', 0.62, 0.78);
  const body = rng.pick(REPLIES);
  b.type('textarea#reply-body', body);
  b.click('button#send-reply', 0.88, 0.93);
  if (rng.chance(0.15)) {
    b.call('POST', `/api/tickets/${p.ticketId}/replies`, 422, {
      requestBody: { body, internal: false },
      responseBody: { error: 'VALIDATION_FAILED', message: 'attachments: file reference expired' },
    });
    b.log('warn', `[api] POST /api/tickets/${p.ticketId}/replies → 422 Unprocessable Entity`, {
      args: [{ field: 'attachments', code: 'EXPIRED' }],
    });
  } else {
    b.call('POST', `/api/tickets/${p.ticketId}/replies`, 201, {
      requestBody: { body, internal: false },
      responseBody: { id: rng.int(10000, 99999), ticketId: p.ticketId },
      minMs: 150,
      maxMs: 1200,
    });
    b.log('info', '[tickets] reply posted');
  }
  b.pause();
};

const changeStatus: Scene = (b) => {
  const { p, rng } = b;
  const status = rng.pick(['pending', 'on-hold', 'solved']);
  ensureTicket(b);
  b.click('select#ticket-status', 0.86, 0.16);
  b.actions.push({ ts: b.now, type: 'input', selector: 'select#ticket-status', value: status });
  b.now += rng.int(50, 300);
  if (rng.chance(0.25)) {
    b.call('PATCH', `/api/tickets/${p.ticketId}`, 409, {
      requestBody: { status },
      responseBody: { error: 'CONFLICT', message: 'ticket was updated by someone else' },
    });
    b.log('warn', '[tickets] ticket changed on the server, reloading');
    b.call('GET', `/api/tickets/${p.ticketId}`, 200);
  } else {
    b.call('PATCH', `/api/tickets/${p.ticketId}`, 200, { requestBody: { status } });
    b.log('debug', `[store] tickets/statusChanged "${status}"`);
  }
  b.pause();
};

const refreshSession: Scene = (b) => {
  b.call('GET', '/api/notifications?unread=true', 401, {
    responseBody: { error: 'TOKEN_EXPIRED', message: 'access token expired' },
  });
  b.log('warn', '[auth] access token expired, refreshing');
  b.call('POST', '/api/auth/refresh', 200, { responseBody: { expiresIn: 900 } });
  b.call('GET', '/api/notifications?unread=true', 200, { responseBody: { data: [] } });
  b.pause(200, 1200);
};

const settings: Scene = (b) => {
  const { p, rng } = b;
  b.click('nav.sidebar a[href="/settings/profile"]', 0.06, 0.88);
  b.navigate('/settings/profile');
  b.call('GET', '/api/me/preferences', 200, { responseBody: { locale: p.locale, emailDigest: 'daily' } });
  const digest = rng.pick(['daily', 'weekly', 'off']);
  b.click('select#email-digest', 0.4, 0.34);
  b.actions.push({ ts: b.now, type: 'input', selector: 'select#email-digest', value: digest });
  b.now += rng.int(80, 400);
  b.click('button#save-preferences', 0.3, 0.5);
  b.call('PUT', '/api/me/preferences', 200, { requestBody: { locale: p.locale, emailDigest: digest } });
  b.log('info', '[settings] preferences saved');
  b.pause();
};

const paginate: Scene = (b) => {
  const page = b.rng.int(2, 4);
  ensureList(b);
  b.click('button[aria-label="Next page"]', 0.85, 0.95);
  b.call('GET', `/api/tickets?status=open&page=${page}`, 200, {
    minMs: 120,
    maxMs: 900,
    responseBody: { data: [], pagination: { page, perPage: 20, total: 80 } },
  });
  b.pause();
};

const poll: Scene = (b) => {
  const { rng } = b;
  if (rng.chance(0.2)) {
    b.call('GET', '/api/notifications/unread-count', rng.pick([502, 503]));
    b.log('warn', '[poll] notifications unavailable, retrying in 30s');
  } else {
    const count = rng.int(0, 5);
    b.call('GET', '/api/notifications/unread-count', 200, { responseBody: { count }, maxMs: 250 });
    b.log('debug', `[poll] ${count} unread notifications`);
  }
  if (rng.chance(0.15)) {
    b.log('error', 'ResizeObserver loop completed with undelivered notifications.');
  }
  b.pause(300, 1500);
};

function uploadAttachment(fail: boolean): Scene {
  return (b) => {
    const { p, rng } = b;
    const file = rng.pick(['invoice-2024-03.pdf', 'screenshot-error.png', 'order-export.csv']);
    const path = `/api/tickets/${p.ticketId}/attachments`;
    ensureTicket(b);
    b.click('button[data-action="attach-file"]', 0.2, 0.93);
    b.pause(800, 3000);
    b.actions.push({
      ts: b.now,
      type: 'input',
      selector: 'input#attachment-input',
      value: `C:\\fakepath\\${file}`,
    });
    b.now += rng.int(20, 80);
    const upload: RequestOptions = {
      requestContentType: `multipart/form-data; boundary=----FormBoundary${rng.hex(16)}`,
      minMs: 1200,
      maxMs: 6000,
    };
    if (!fail) {
      b.call('POST', path, 201, { ...upload, responseBody: { id: `att_${rng.hex(10)}`, name: file } });
      b.log('info', `[upload] ${file} attached`);
      b.pause();
      return;
    }
    const status = rng.pick([413, 500, 502]);
    if (status === 413) {
      b.call('POST', path, 413, {
        ...upload,
        responseContentType: 'text/html',
        responseBody: '<html><head><title>413 Request Entity Too Large</title></head><body></body></html>',
      });
    } else {
      b.call('POST', path, status, upload);
      b.log('warn', '[upload] attempt 1 failed, retrying in 2000ms');
      b.pause(1800, 2300);
      b.call('POST', path, status, upload);
    }
    b.log('error', `[api] POST ${path} failed: ${status} ${STATUS_TEXT[status]}`, {
      args: [{ status, file }],
    });
    b.typeError('result.attachment', 'id', [
      ['AttachmentList.handleUploaded', 'tickets'],
      ['async UploadQueue.flush', 'index'],
      ['async TicketPage.submitAttachments', 'tickets'],
      ['async runTask', 'vendor'],
    ]);
    b.pause(600, 2000);
    b.click('button.toast-dismiss', 0.95, 0.92);
    b.pause();
  };
}

function createTicket(fail: boolean): Scene {
  return (b) => {
    const { rng } = b;
    b.click('a[href="/tickets/new"]', 0.9, 0.09);
    b.navigate('/tickets/new');
    b.call('GET', '/api/ticket-fields', 200, {
      responseBody: { priority: ['low', 'normal', 'high', 'urgent'] },
    });
    const subject = rng.pick(SUBJECTS);
    const description = rng.pick([
      'The download button shows an error and nothing happens.',
      'Started after the last update, happens every time.',
      'Steps: open Billing, click Invoices, choose March.',
    ]);
    const priority = rng.pick(['normal', 'high', 'urgent']);
    b.click('input[name="subject"]', 0.45, 0.22);
    b.type('input[name="subject"]', subject);
    b.click('textarea[name="description"]', 0.45, 0.4);
    b.type('textarea[name="description"]', description);
    b.actions.push({ ts: b.now, type: 'input', selector: 'select[name="priority"]', value: priority });
    b.now += rng.int(200, 900);
    b.click('form#new-ticket button[type="submit"]', 0.25, 0.7);
    const requestBody = { subject, description, priority };
    if (!fail) {
      const id = rng.int(9801, 9999);
      b.call('POST', '/api/tickets', 201, { requestBody, responseBody: { ticket: { id, status: 'open' } } });
      b.navigate(`/tickets/${id}`);
      b.call('GET', `/api/tickets/${id}`, 200);
      b.log('info', `[tickets] ticket #${id} created`);
      b.pause();
      return;
    }
    const status = rng.pick([500, 502, 503]);
    b.call('POST', '/api/tickets', status, { requestBody, minMs: 400, maxMs: 4000 });
    b.log('error', `[api] POST /api/tickets failed: ${status} ${STATUS_TEXT[status]}`, {
      args: [{ status, retryable: status !== 500 }],
    });
    b.typeError('response.data', 'ticket', [
      ['NewTicketForm.onSubmit', 'tickets'],
      ['async HTMLFormElement.handleSubmit', 'index'],
    ]);
    b.pause(1000, 3000);
  };
}

const RANDOM_SCENES: readonly (readonly [Scene, number])[] = [
  [search, 2],
  [openTicket, 3],
  [reply, 2],
  [changeStatus, 1],
  [refreshSession, 1],
  [settings, 1],
  [paginate, 1],
  [poll, 2],
  [uploadAttachment(false), 1],
  [createTicket(false), 1],
];

/** Room left for the largest scene, so no log passes DEMO_MAX_ENTRIES. */
const SCENE_HEADROOM = 16;

function buildSession(seed: Seed, durationMs: number): Session {
  if (!Number.isFinite(durationMs) || durationMs < 0) {
    throw new RangeError(`durationMs must be a non-negative number, got ${durationMs}`);
  }
  const p = makeProfile(seed);
  const rng = new Rng(seed, 'session');
  const b = new SessionBuilder(rng, p);
  // Longer recordings hold more entries.
  const intensity = Math.min(1, durationMs / 180_000);
  const target = () => rng.int(DEMO_MIN_ENTRIES + 4, DEMO_MIN_ENTRIES + 12 + Math.round(70 * intensity));
  const targets = { actions: target(), network: target(), console: target() };

  const failing = p.failure === 'upload' ? [uploadAttachment(true)] : [createTicket(true)];
  const scenes: Scene[] = [boot];
  if (rng.chance(0.5)) scenes.push(search);
  scenes.push(...failing);

  const counts = () => [b.actions.length, b.network.length, b.console.length];
  // Stop when the logs are, on average, as long as their targets (one log type always grows
  // faster than another, so waiting for all would overshoot) or one is about to overflow.
  const progress = () =>
    (b.actions.length / targets.actions +
      b.network.length / targets.network +
      b.console.length / targets.console) /
    3;
  const hasRoom = () => counts().every((n) => n <= DEMO_MAX_ENTRIES - SCENE_HEADROOM);
  for (let i = 0; i < scenes.length || (progress() < 1 && hasRoom()); i++) {
    (scenes[i] ?? rng.weighted(RANDOM_SCENES))(b);
  }
  b.pause(300, 1500);
  fillUp(b);
  return layout(b, durationMs);
}

/** Adds background noise until every log holds at least DEMO_MIN_ENTRIES entries. */
function fillUp(b: SessionBuilder): void {
  const { rng } = b;
  const end = b.now;
  while (b.network.length < DEMO_MIN_ENTRIES) {
    b.now = rng.int(0, end);
    b.request('GET', '/api/notifications/unread-count', 200, {
      maxMs: 250,
      responseBody: { count: rng.int(0, 5) },
    });
  }
  while (b.console.length < DEMO_MIN_ENTRIES) {
    b.now = rng.int(0, end);
    b.log('debug', rng.pick(['[realtime] heartbeat', '[store] cache hit: tickets/list', '[poll] scheduled']));
  }
  while (b.actions.length < DEMO_MIN_ENTRIES) {
    b.now = rng.int(0, end);
    b.click(
      rng.pick(['button[aria-label="Expand message"]', 'button#toggle-details', 'span.ticket-tag']),
      0.5,
      0.5,
    );
  }
  b.now = end;
}

/** Maps the virtual clock onto [0, durationMs] and sorts every log by `ts`. */
function layout(b: SessionBuilder, durationMs: number): Session {
  const scale = b.now > 0 ? durationMs / b.now : 0;
  const maxTs = Math.floor(durationMs);
  const at = (time: number) => clamp(Math.round(time * scale), 0, maxTs);
  // Request durations shrink with a compressed timeline so responses still precede their effects.
  const shrink = Math.min(1, scale);
  const byTs = (a: { ts: number }, c: { ts: number }) => a.ts - c.ts;
  return {
    console: b.console.map((entry) => ({ ...entry, ts: at(entry.ts) })).sort(byTs),
    network: b.network
      .map((entry) => ({
        ...entry,
        ts: at(entry.ts),
        durationMs: Math.max(1, Math.round(entry.durationMs * shrink)),
      }))
      .sort(byTs),
    actions: b.actions.map((entry) => ({ ...entry, ts: at(entry.ts) })).sort(byTs),
  };
}
