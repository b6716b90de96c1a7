import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthPages } from '../../src/http/pages/auth-pages.tsx';
import { createSetupRoutes } from '../../src/http/pages/setup.tsx';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { sha256Hex } from '../../src/lib/crypto.ts';
import { ensureSetupLink } from '../../src/services/setup.ts';
import { createUser } from '../../src/services/users.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

// First run: with no users, ensureSetupLink issues a one-time link (stored hashed, expiring) where
// the first person creates their account and workspace, is signed in and lands in the workspace.
// Once a user exists the link is gone.

const clock = fakeClock(Date.UTC(2026, 4, 1));
let t: TestApp | undefined;

async function setupApp(): Promise<{ t: TestApp; app: Hono }> {
  t = await createTestApp({ clock });
  const app = new Hono();
  app.route('/', createAuthPages(t.deps, t.limiter));
  app.route('/', createSetupRoutes(t.deps));
  // A page that says who is signed in, standing in for the dashboard the setup lands on.
  app.route('/', t.app);
  return { t, app };
}

function pathOf(link: string): string {
  const url = new URL(link);
  expect(url.origin).toBe('http://localhost:3000');
  return url.pathname;
}

const FIRST = {
  name: 'Ada Admin',
  email: 'ada@example.com',
  password: 'correct horse battery',
  workspace: 'Acme Support',
};

async function userCount(test: TestApp): Promise<number> {
  const rows = await test.store.db.selectFrom('users').select('id').execute();
  return rows.length;
}

afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('first-run setup', () => {
  it('creates the first account and workspace once, signs in, then the link is gone; sign out and in again works', async () => {
    const { t, app } = await setupApp();
    const link = await ensureSetupLink(t.deps);
    expect(link).toMatch(/^http:\/\/localhost:3000\/setup\/[A-Za-z0-9_-]{43}$/);
    const path = pathOf(link!);
    const token = path.split('/').pop()!;
    // Stored only as a hash, with an expiry a day ahead.
    const row = await t.store.db.selectFrom('setup_tokens').selectAll().executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256Hex(token));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(Number(row.expires_at)).toBe(clock.now() + DAY_MS);

    const b = new PageBrowser(app);
    const res = await b.get(path);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    for (const field of ['name', 'email', 'password', 'workspace']) expect(html).toContain(`name="${field}"`);

    const done = await b.post(path, { ...FIRST, csrf: hiddenValue(html, 'csrf') });
    expect(done.status).toBe(303);
    const ws = await t.store.db.selectFrom('workspaces').selectAll().executeTakeFirstOrThrow();
    expect(ws.name).toBe('Acme Support');
    expect(done.headers.get('location')).toBe(`/w/${ws.id}/recordings`);
    const owner = await t.store.db
      .selectFrom('members')
      .innerJoin('users', 'users.id', 'members.user_id')
      .select(['members.role', 'users.email', 'users.name'])
      .where('members.workspace_id', '=', ws.id)
      .executeTakeFirstOrThrow();
    expect(owner).toEqual({ role: 'owner', email: 'ada@example.com', name: 'Ada Admin' });
    // Signed in: the sign-out page greets the new account.
    expect(await (await b.get('/signout')).text()).toContain('You are signed in as ada@example.com.');

    // Used: the page and a second submission answer 410, and nothing more is created.
    expect((await b.get(path)).status).toBe(410);
    const again = new PageBrowser(app, '203.0.113.99');
    const csrf = await again.csrfFrom('/signin');
    expect((await again.post(path, { ...FIRST, email: 'eve@example.com', csrf })).status).toBe(410);
    expect(await userCount(t)).toBe(1);
    expect(await ensureSetupLink(t.deps)).toBeNull();

    // The journey goes on: sign out, sign in with the new account.
    const signoutCsrf = hiddenValue(await (await b.get('/signout')).text(), 'csrf');
    expect((await b.post('/signout', { csrf: signoutCsrf })).status).toBe(303);
    const signinCsrf = await b.csrfFrom('/signin');
    const signin = await b.post('/signin', {
      csrf: signinCsrf,
      email: FIRST.email,
      password: FIRST.password,
      return_to: `/w/${ws.id}/recordings`,
    });
    expect(signin.status).toBe(303);
    expect(signin.headers.get('location')).toBe(`/w/${ws.id}/recordings`);
  });

  it('an expired link answers 410 and creates nothing', async () => {
    const { t, app } = await setupApp();
    const path = pathOf((await ensureSetupLink(t.deps))!);
    const b = new PageBrowser(app);
    const csrf = hiddenValue(await (await b.get(path)).text(), 'csrf');
    clock.advance(DAY_MS + 1);
    const page = await b.get(path);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('This setup link has expired');
    expect((await b.post(path, { ...FIRST, csrf })).status).toBe(410);
    expect(await userCount(t)).toBe(0);
    // A restart prints a fresh link, which works.
    expect(await ensureSetupLink(t.deps)).not.toBeNull();
  });

  it('a new link replaces the old one; an unknown token is 404', async () => {
    const { t, app } = await setupApp();
    const oldPath = pathOf((await ensureSetupLink(t.deps))!);
    const newPath = pathOf((await ensureSetupLink(t.deps))!);
    expect(newPath).not.toBe(oldPath);
    const b = new PageBrowser(app);
    expect((await b.get(oldPath)).status).toBe(404);
    expect((await b.get('/setup/not-a-real-token')).status).toBe(404);
    expect((await b.get(newPath)).status).toBe(200);
  });

  it('bad input is shown beside the form and does not spend the token; a missing CSRF token is refused', async () => {
    const { t, app } = await setupApp();
    const path = pathOf((await ensureSetupLink(t.deps))!);
    const b = new PageBrowser(app);
    const csrf = hiddenValue(await (await b.get(path)).text(), 'csrf');
    const short = await b.post(path, { ...FIRST, password: 'short', csrf });
    expect(short.status).toBe(400);
    const html = await short.text();
    expect(html).toContain('Password must be at least 8 characters');
    expect(html).toContain('value="ada@example.com"');
    expect(html).not.toContain('value="short"');
    const noWorkspace = await b.post(path, { ...FIRST, workspace: '  ', csrf });
    expect(noWorkspace.status).toBe(400);
    expect((await b.post(path, { ...FIRST })).status).toBe(403);
    expect(await userCount(t)).toBe(0);
    expect((await b.post(path, { ...FIRST, csrf })).status).toBe(303);
  });

  it('with users already present there is no setup link and the page is gone', async () => {
    const { t, app } = await setupApp();
    const path = pathOf((await ensureSetupLink(t.deps))!);
    await createUser(t.deps, { email: 'cli@example.com', password: 'correct horse battery' });
    expect(await ensureSetupLink(t.deps)).toBeNull();
    const res = await new PageBrowser(app).get(path);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('already set up');
  });
});
