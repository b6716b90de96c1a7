import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfToken, requireCsrf } from '../../src/http/middleware/csrf.ts';
import { pageSecurityHeaders } from '../../src/http/middleware/security-headers.ts';
import { sessionMiddleware } from '../../src/http/middleware/session.ts';
import { ConsentPage } from '../../src/http/pages/consent.tsx';
import { createAuthPages, SIGNIN_FAILED } from '../../src/http/pages/index.ts';
import { renderErrorPage } from '../../src/http/views/error-page.tsx';
import { renderPage } from '../../src/http/views/layout.tsx';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { sha256Hex } from '../../src/lib/crypto.ts';
import { createUser } from '../../src/services/users.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

const PASSWORD = 'correct horse battery';
let counter = 0;
let ipCounter = 0;

/** A fresh address per browser, so per-address limits of one test do not leak into the next. */
function nextIp(): string {
  ipCounter += 1;
  // Documentation ranges (RFC 5737), never one address twice: the limits are per address.
  return `198.51.${100 + Math.floor(ipCounter / 250)}.${ipCounter % 250}`;
}

function uniqueEmail(name: string): string {
  counter += 1;
  return `${name}-${counter}-${Math.random().toString(36).slice(2, 6)}@example.com`;
}

/** The pages router plus tiny routes the tests need: who am I, the consent page, an error page. */
function pagesApp(t: TestApp): Hono {
  const app = new Hono();
  app.route('/', createAuthPages(t.deps, t.limiter));
  const session = sessionMiddleware(t.deps);
  app.get('/whoami', session, (c) => c.text(c.get('user')?.email ?? 'anonymous'));
  app.get('/consent-preview', pageSecurityHeaders(), session, (c) =>
    renderPage(
      c,
      ConsentPage({
        clientName: c.req.query('name') ?? 'Cursor',
        logoUri: c.req.query('logo') ?? null,
        verified: c.req.query('verified') === '1',
        verifiedVendor: c.req.query('verified') === '1' ? 'cursor.com' : null,
        redirectHost: c.req.query('host') ?? '127.0.0.1:33418',
        loopbackRedirect: c.req.query('loopback') === '1',
        scope: 'mcp:tools',
        userEmail: 'someone@example.com',
        pendingId: 'par_0123456789abcdefghjkmnpqrs',
        csrf: csrfToken(c),
      }),
    ),
  );
  app.get('/broken', pageSecurityHeaders(), (c) =>
    renderErrorPage(c, 400, 'Invalid redirect URI', 'The redirect_uri is not registered for this client.'),
  );
  // A state-changing form behind requireCsrf, to show a refused POST changes nothing.
  app.post('/authorize/decision', session, requireCsrf(), (c) => c.text('decided'));
  return app;
}

async function signUp(browser: PageBrowser, email: string, returnTo = '/'): Promise<Response> {
  const csrf = await browser.csrfFrom('/signup');
  return browser.post('/signup', { csrf, email, password: PASSWORD, name: 'Tester', return_to: returnTo });
}

async function signIn(
  browser: PageBrowser,
  email: string,
  password = PASSWORD,
  returnTo = '/',
): Promise<Response> {
  const csrf = await browser.csrfFrom('/signin');
  return browser.post('/signin', { csrf, email, password, return_to: returnTo });
}

function setCookieFor(res: Response, name: string): string | undefined {
  return res.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

describe(`sign-in, sign-up and sign-out pages [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  let t: TestApp;
  let app: Hono;

  beforeAll(async () => {
    t = await createTestApp({ clock });
    app = pagesApp(t);
  });
  afterAll(async () => t.close());

  const liveSessions = async (userId: string) =>
    t.store.db
      .selectFrom('browser_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .execute();

  it('S30, S5: sign-up then sign-in answer 303 and set an HttpOnly, SameSite=Lax session cookie stored only hashed', async () => {
    const email = uniqueEmail('sam');
    const first = new PageBrowser(app, nextIp());
    const created = await signUp(first, email);
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/');
    expect(await (await first.get('/whoami')).text()).toBe(email);

    const browser = new PageBrowser(app, nextIp());
    const res = await signIn(browser, email);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = setCookieFor(res, 'up_session')!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/; Secure/); // PUBLIC_URL is http://localhost here
    const rawId = browser.cookies.get('up_session')!;
    expect(rawId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const rows = await t.store.db.selectFrom('browser_sessions').selectAll().execute();
    expect(rows.some((row) => row.id_hash === sha256Hex(rawId))).toBe(true);
    for (const row of rows) expect(JSON.stringify(row)).not.toContain(rawId);
    expect(await (await browser.get('/whoami')).text()).toBe(email);
  });

  it('S30: the session id changes at sign-in and the session held before it ends', async () => {
    const email = uniqueEmail('fix');
    const user = await createUser(t.deps, { email, password: PASSWORD });
    const browser = new PageBrowser(app, nextIp());
    await signIn(browser, email);
    const before = browser.cookies.get('up_session')!;

    const again = await signIn(browser, email);
    expect(again.status).toBe(303);
    const after = browser.cookies.get('up_session')!;
    expect(after).not.toBe(before);
    const old = await t.store.db
      .selectFrom('browser_sessions')
      .selectAll()
      .where('id_hash', '=', sha256Hex(before))
      .executeTakeFirstOrThrow();
    expect(old.ended_at).not.toBeNull();
    expect((await liveSessions(user.id)).map((row) => row.id_hash)).toEqual([sha256Hex(after)]);
    const stale = await app.request('/whoami', { headers: { cookie: `up_session=${before}` } });
    expect(await stale.text()).toBe('anonymous');

    // A session id planted before sign-in (fixation) is never the one that ends up signed in.
    const planted = new PageBrowser(app, nextIp());
    planted.cookies.set('up_session', 'planted-by-attacker-planted-by-attacker-xx');
    await signIn(planted, email);
    expect(planted.cookies.get('up_session')).not.toBe('planted-by-attacker-planted-by-attacker-xx');
  });

  it('S30: sign-out ends the session server-side; a copy of the old cookie no longer works', async () => {
    const email = uniqueEmail('out');
    const user = await createUser(t.deps, { email, password: PASSWORD });
    const browser = new PageBrowser(app, nextIp());
    await signIn(browser, email);
    const copy = browser.cookies.get('up_session')!;

    const csrf = await browser.csrfFrom('/signout');
    const res = await browser.post('/signout', { csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/signin');
    expect(setCookieFor(res, 'up_session')).toMatch(/Max-Age=0/);
    expect(browser.cookies.has('up_session')).toBe(false);
    expect(await liveSessions(user.id)).toEqual([]);
    const replay = await app.request('/whoami', { headers: { cookie: `up_session=${copy}` } });
    expect(await replay.text()).toBe('anonymous');
  });

  it('S30: a session ends after 7 idle days and after 14 days whatever its use; activity is written at most once a minute', async () => {
    const email = uniqueEmail('idle');
    await createUser(t.deps, { email, password: PASSWORD });
    const browser = new PageBrowser(app, nextIp());
    await signIn(browser, email);
    const idHash = sha256Hex(browser.cookies.get('up_session')!);
    const lastSeen = async () =>
      (
        await t.store.db
          .selectFrom('browser_sessions')
          .select('last_seen_at')
          .where('id_hash', '=', idHash)
          .executeTakeFirstOrThrow()
      ).last_seen_at;

    const start = await lastSeen();
    clock.advance(30_000);
    await browser.get('/whoami');
    expect(await lastSeen()).toBe(start); // within the minute: not rewritten
    clock.advance(31_000);
    await browser.get('/whoami');
    expect(await lastSeen()).toBe(clock.now());

    // Used every 6 days it survives the idle limit, but not the 14-day absolute one.
    for (let day = 6; day < 14; day += 6) {
      clock.advance(6 * DAY_MS);
      expect(await (await browser.get('/whoami')).text()).toBe(email);
    }
    clock.advance(2 * DAY_MS);
    expect(await (await browser.get('/whoami')).text()).toBe('anonymous');

    const idle = new PageBrowser(app, nextIp());
    await signIn(idle, email);
    clock.advance(7 * DAY_MS + 1);
    expect(await (await idle.get('/whoami')).text()).toBe('anonymous');
  });

  it('S31: a wrong password and an unknown email get the same 401 page', async () => {
    const email = uniqueEmail('known');
    await createUser(t.deps, { email, password: PASSWORD });
    const unknown = uniqueEmail('nobody');
    const browser = new PageBrowser(app, nextIp());

    const wrong = await signIn(browser, email, 'not the password');
    const missing = await signIn(browser, unknown, 'not the password');
    expect(wrong.status).toBe(401);
    expect(missing.status).toBe(401);
    const wrongBody = (await wrong.text()).replaceAll(email, 'EMAIL');
    const missingBody = (await missing.text()).replaceAll(unknown, 'EMAIL');
    expect(wrongBody).toContain(SIGNIN_FAILED);
    expect(wrongBody).toBe(missingBody);
    expect(wrong.headers.get('set-cookie') ?? '').not.toContain('up_session');
    expect(await (await browser.get('/whoami')).text()).toBe('anonymous');
  });

  it('S31: guessing one account from many addresses is slowed per account (10× the per-address limit per 15 min), also for unknown emails', async () => {
    const email = uniqueEmail('target');
    await createUser(t.deps, { email, password: PASSWORD });
    clock.advance(15 * 60_000 - (clock.now() % (15 * 60_000))); // start of a fresh window
    const accountLimit = t.config.signinRateLimitPerMinute * 10;
    // Each guess from a fresh address: the per-address limit never triggers.
    for (let i = 0; i < accountLimit; i++) {
      expect((await signIn(new PageBrowser(app, nextIp()), email, `guess-${i}`)).status).toBe(401);
    }
    const blocked = await signIn(new PageBrowser(app, nextIp()), email);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.get('set-cookie') ?? '').not.toContain('up_session');
    // An unknown email is limited the same way, so the limit reveals nothing either.
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < accountLimit; i++) await signIn(new PageBrowser(app, nextIp()), ghost, 'x');
    expect((await signIn(new PageBrowser(app, nextIp()), ghost, 'x')).status).toBe(429);

    clock.advance(15 * 60_000);
    expect((await signIn(new PageBrowser(app, nextIp()), email)).status).toBe(303);
  });

  it('S31: strangers guessing cannot lock the owner out: an address that signed in before is exempt from the account limit', async () => {
    const email = uniqueEmail('owner');
    await createUser(t.deps, { email, password: PASSWORD });
    const home = nextIp();
    expect((await signIn(new PageBrowser(app, home), email)).status).toBe(303);
    clock.advance(15 * 60_000 - (clock.now() % (15 * 60_000)));
    const accountLimit = t.config.signinRateLimitPerMinute * 10;
    for (let i = 0; i <= accountLimit; i++) await signIn(new PageBrowser(app, nextIp()), email, `guess-${i}`);
    // The account bucket is full: a new address is refused …
    expect((await signIn(new PageBrowser(app, nextIp()), email)).status).toBe(429);
    // … but the owner, from where they signed in before, still gets in, right password or not.
    expect((await signIn(new PageBrowser(app, home), email, 'typo')).status).toBe(401);
    expect((await signIn(new PageBrowser(app, home), email)).status).toBe(303);
  });

  it('S31: sign-in is rate-limited per address across accounts', async () => {
    const email = uniqueEmail('victim');
    await createUser(t.deps, { email, password: PASSWORD });
    clock.advance(60_000 - (clock.now() % 60_000));
    const attacker = new PageBrowser(app, nextIp());
    for (let i = 0; i < t.config.signinRateLimitPerMinute; i++) {
      expect((await signIn(attacker, uniqueEmail('spray'), 'Password1')).status).toBe(401);
    }
    const blocked = await signIn(attacker, email);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('Too many sign-in attempts');
    // The same account from another address is not blocked.
    expect((await signIn(new PageBrowser(app, nextIp()), email)).status).toBe(303);
  });

  it('S28: a sign-in POST without a CSRF token, or with another browser’s, gets 403 and signs nobody in', async () => {
    const email = uniqueEmail('csrf');
    const user = await createUser(t.deps, { email, password: PASSWORD });
    const victim = new PageBrowser(app, nextIp());
    await victim.get('/signin');
    const attacker = new PageBrowser(app, nextIp());
    const attackerToken = await attacker.csrfFrom('/signin');

    const none = await victim.post('/signin', { email, password: PASSWORD, return_to: '/' });
    expect(none.status).toBe(403);
    const foreign = await victim.post('/signin', { csrf: attackerToken, email, password: PASSWORD });
    expect(foreign.status).toBe(403);
    const noCookie = await app.request('/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: attackerToken, email, password: PASSWORD }).toString(),
    });
    expect(noCookie.status).toBe(403);
    for (const res of [none, foreign, noCookie]) {
      expect(res.headers.get('set-cookie') ?? '').not.toContain('up_session');
      expect(await res.text()).toContain('This form has expired');
    }
    expect(await liveSessions(user.id)).toEqual([]);
  });

  it('S28: after sign-in forms need the session’s own token; another session’s is refused and changes nothing', async () => {
    const alice = new PageBrowser(app, nextIp());
    const bob = new PageBrowser(app, nextIp());
    const aliceEmail = uniqueEmail('alice');
    const bobEmail = uniqueEmail('bob');
    const aliceUser = await createUser(t.deps, { email: aliceEmail, password: PASSWORD });
    await createUser(t.deps, { email: bobEmail, password: PASSWORD });
    await signIn(alice, aliceEmail);
    await signIn(bob, bobEmail);
    const bobToken = await bob.csrfFrom('/signout');
    const aliceToken = await alice.csrfFrom('/signout');
    expect(aliceToken).not.toBe(bobToken);

    const forged = await alice.post('/signout', { csrf: bobToken });
    expect(forged.status).toBe(403);
    expect(await liveSessions(aliceUser.id)).toHaveLength(1);
    expect(await (await alice.get('/whoami')).text()).toBe(aliceEmail);
    // The pre-sign-in token of the same browser no longer counts once a session exists.
    const consent = await alice.get('/consent-preview');
    expect(hiddenValue(await consent.text(), 'csrf')).toBe(aliceToken);
    expect((await alice.post('/authorize/decision', { csrf: bobToken, decision: 'allow' })).status).toBe(403);
    expect((await alice.post('/authorize/decision', { decision: 'allow' })).status).toBe(403);
    expect((await alice.post('/authorize/decision', { csrf: aliceToken, decision: 'allow' })).status).toBe(
      200,
    );
  });

  it('S28: a sign-up POST without the token creates no account', async () => {
    const email = uniqueEmail('nocsrf');
    const browser = new PageBrowser(app, nextIp());
    await browser.get('/signup');
    const res = await browser.post('/signup', { email, password: PASSWORD, return_to: '/' });
    expect(res.status).toBe(403);
    const rows = await t.store.db
      .selectFrom('users')
      .select('id')
      .where('email_normalized', '=', email.toLowerCase())
      .execute();
    expect(rows).toEqual([]);
  });

  it('S4: return_to open-redirect attempts all land on /; a same-origin path is kept', async () => {
    const email = uniqueEmail('redir');
    await createUser(t.deps, { email, password: PASSWORD });
    clock.advance(60_000);
    const attempts = [
      '//evil.com',
      'https://evil.com',
      '/\\evil.com',
      'javascript:alert(1)',
      '/\t/evil.com',
      '\\\\evil.com',
      'http:evil.com',
      '',
    ];
    const browser = new PageBrowser(app, nextIp());
    for (const returnTo of attempts) {
      const res = await signIn(browser, email, PASSWORD, returnTo);
      expect(res.status, returnTo).toBe(303);
      expect(res.headers.get('location'), returnTo).toBe('/');
    }
    // The form itself never carries an unsafe value forward.
    const page = await browser.get(`/signin?return_to=${encodeURIComponent('//evil.com/x')}`);
    expect(hiddenValue(await page.text(), 'return_to')).toBe('/');

    clock.advance(60_000);
    const path = '/authorize?client_id=abc&state=x%2Fy&redirect_uri=https%3A%2F%2Fexample.com%2Fcb';
    const page2 = await browser.get(`/signin?return_to=${encodeURIComponent(path)}`);
    expect(hiddenValue(await page2.text(), 'return_to')).toBe(path);
    const kept = await signIn(browser, email, PASSWORD, path);
    expect(kept.headers.get('location')).toBe(path);
    // Sign-up follows the same rule.
    const fresh = new PageBrowser(app, nextIp());
    const created = await signUp(fresh, uniqueEmail('newbie'), 'https://evil.com/');
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/');
  });

  it('S27: sign-in, sign-up, consent and error pages cannot be framed, send no referrer and load nothing from other origins', async () => {
    const browser = new PageBrowser(app, nextIp());
    const pages: [string, number][] = [
      ['/signin', 200],
      ['/signup', 200],
      ['/consent-preview?logo=https%3A%2F%2Fevil.example%2Flogo.png&loopback=1', 200],
      ['/broken', 400],
    ];
    for (const [path, status] of pages) {
      const res = await browser.get(path);
      expect(res.status, path).toBe(status);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("base-uri 'none'");
      expect(csp, path).toContain("object-src 'none'");
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      const html = await res.text();
      // Every src/href is a same-origin path: no scheme, no protocol-relative URL.
      for (const match of html.matchAll(/\s(?:src|href|action)="([^"]*)"/g)) {
        expect(match[1], `${path}: ${match[1]}`).toMatch(/^\/(?!\/)/);
      }
      expect(html).not.toContain('evil.example');
      expect(html).not.toMatch(/<script|style="/);
    }
    // The refused-form (403) and rate-limit (429) pages are error pages too.
    const refused = await browser.post('/signin', { email: 'x@example.com', password: 'x' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(refused.headers.get('x-frame-options')).toBe('DENY');

    const css = await browser.get('/assets/app.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).not.toMatch(/url\(|@import/);
  });

  it('S29: the consent page names the client, marks it unverified, shows the redirect host, warns about loopback, explains the scope, and escapes everything', async () => {
    const browser = new PageBrowser(app, nextIp());
    const name = 'Claude <img src=x onerror=alert(1)>';
    const res = await browser.get(
      `/consent-preview?name=${encodeURIComponent(name)}&loopback=1&host=${encodeURIComponent('127.0.0.1:33418')}`,
    );
    const html = await res.text();
    expect(html).toContain('Claude &lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('Unverified');
    expect(html).toContain('127.0.0.1:33418');
    expect(html).toContain('receives the answer on this computer');
    expect(html).toContain('mcp:tools');
    expect(html).toContain('Use Userplane tools');
    expect(html).toContain('<form method="post" action="/authorize/decision">');
    expect(html).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(html).toContain('<button type="submit" name="decision" value="deny">Deny</button>');
    expect(hiddenValue(html, 'pending')).toBe('par_0123456789abcdefghjkmnpqrs');
    expect(hiddenValue(html, 'csrf')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const verified = await (
      await browser.get('/consent-preview?verified=1&host=cursor.com&logo=%2Fassets%2Flogo.png')
    ).text();
    expect(verified).toContain('Verified: cursor.com');
    expect(verified).not.toContain('Unverified');
    expect(verified).not.toContain('receives the answer on this computer');
    expect(verified).toContain('<img src="/assets/logo.png"');
  });

  it('every input of the sign-in and sign-up forms has a label; the sign-in form has the contract fields', async () => {
    const browser = new PageBrowser(app, nextIp());
    for (const path of ['/signin', '/signup']) {
      const html = await (await browser.get(path)).text();
      const visible = [...html.matchAll(/<input ([^>]*)>/g)]
        .map((m) => m[1]!)
        .filter((attrs) => !attrs.includes('type="hidden"'));
      expect(visible.length).toBeGreaterThan(1);
      for (const attrs of visible) {
        const id = /id="([^"]+)"/.exec(attrs)?.[1];
        expect(id, attrs).toBeDefined();
        expect(html).toContain(`<label for="${id}">`);
      }
    }
    const signin = await (await browser.get('/signin')).text();
    expect(signin).toMatch(/<input id="email" name="email" type="email"/);
    expect(signin).toMatch(/<input id="password" name="password" type="password"/);
    expect(signin).toContain('name="return_to"');
    expect(signin).toContain('href="/signup"');
  });

  it('sign-up refuses bad input (400) and a taken email (409) on the page, keeping what was typed', async () => {
    const browser = new PageBrowser(app, nextIp());
    const csrf = await browser.csrfFrom('/signup');
    const short = await browser.post('/signup', {
      csrf,
      email: uniqueEmail('short'),
      password: 'short',
      name: '',
    });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('Password must be at least 8 characters');
    const email = uniqueEmail('taken');
    await createUser(t.deps, { email, password: PASSWORD });
    const taken = await browser.post('/signup', { csrf, email, password: PASSWORD, name: 'Again' });
    expect(taken.status).toBe(409);
    const html = await taken.text();
    expect(html).toContain('already exists');
    expect(hiddenValue(html, 'return_to')).toBe('/');
    expect(browser.cookies.has('up_session')).toBe(false);
  });
});

describe(`pages over https and with sign-up closed [${testDialect}]`, () => {
  let t: TestApp;
  let app: Hono;

  beforeAll(async () => {
    t = await createTestApp({
      env: { PUBLIC_URL: 'https://userplane.example.com', SIGNUP_ENABLED: 'false' },
    });
    app = pagesApp(t);
  });
  afterAll(async () => t.close());

  it('S30: session and CSRF cookies carry Secure when PUBLIC_URL is https', async () => {
    const email = uniqueEmail('secure');
    await createUser(t.deps, { email, password: PASSWORD });
    const browser = new PageBrowser(app, nextIp());
    const page = await browser.get('/signin');
    expect(setCookieFor(page, 'up_csrf')).toMatch(/; Secure/);
    expect(setCookieFor(page, 'up_csrf')).toMatch(/; HttpOnly/);
    const res = await browser.post('/signin', {
      csrf: hiddenValue(await page.text(), 'csrf'),
      email,
      password: PASSWORD,
      return_to: '/',
    });
    expect(res.status).toBe(303);
    const cookie = setCookieFor(res, 'up_session')!;
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    const csrf = await browser.csrfFrom('/signout');
    expect(setCookieFor(await browser.post('/signout', { csrf }), 'up_session')).toMatch(/; Secure/);
  });

  it('sign-up is closed when SIGNUP_ENABLED=false: the page says so, a POST creates nothing', async () => {
    const browser = new PageBrowser(app, nextIp());
    const page = await browser.get('/signup');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Sign-up is closed');
    const signin = await (await browser.get('/signin')).text();
    expect(signin).not.toContain('href="/signup"');
    const csrf = hiddenValue(signin, 'csrf');
    const email = uniqueEmail('closed');
    const post = await browser.post('/signup', { csrf, email, password: PASSWORD, return_to: '/' });
    expect(post.status).toBe(404);
    const users = await t.store.db
      .selectFrom('users')
      .select('id')
      .where('email_normalized', '=', email.toLowerCase())
      .execute();
    expect(users).toEqual([]);
    expect(browser.cookies.has('up_session')).toBe(false);
  });
});
