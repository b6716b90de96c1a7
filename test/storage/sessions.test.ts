import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/lib/clock.ts';
import { sha256Hex } from '../../src/lib/crypto.ts';
import { newId } from '../../src/lib/ids.ts';
import type { Store } from '../../src/store/db.ts';
import {
  deleteStaleBrowserSessions,
  endBrowserSession,
  endUserBrowserSessions,
  findBrowserSession,
  findLiveBrowserSession,
  insertBrowserSession,
  touchBrowserSession,
} from '../../src/store/sessions.ts';
import { insertUser } from '../../src/store/users.ts';
import { openTestStore, testDialect } from '../helpers/test-app.ts';

const T0 = Date.UTC(2026, 5, 1);
const IDLE = 7 * DAY_MS;

describe(`browser_sessions repository [${testDialect}]`, () => {
  let store: Store;
  let drop: () => Promise<void>;
  let dir: string;
  let userId: string;
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'userplane-sessions-'));
    ({ store, drop } = await openTestStore(dir));
    userId = newId('usr', T0);
    await insertUser(store.db, {
      id: userId,
      email: 'sessions@example.com',
      name: 'Sessions',
      passwordHash: null,
      emailVerified: false,
      image: null,
      createdAt: T0,
    });
  });
  afterAll(async () => {
    await store.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newSession(at = T0, lifetime = 14 * DAY_MS) {
    n += 1;
    const idHash = sha256Hex(`raw-${n}`);
    await insertBrowserSession(store.db, {
      idHash,
      userId,
      csrfToken: `csrf-${n}`,
      createdAt: at,
      expiresAt: at + lifetime,
      ip: '203.0.113.1',
      userAgent: 'test',
    });
    return idHash;
  }

  it('finds a live session by hash with its CSRF token, and nothing for an unknown hash', async () => {
    const idHash = await newSession();
    const found = await findLiveBrowserSession(store.db, idHash, T0 + 1000, IDLE);
    expect(found).toMatchObject({
      idHash,
      userId,
      csrfToken: expect.stringMatching(/^csrf-/),
      endedAt: null,
    });
    expect(await findLiveBrowserSession(store.db, sha256Hex('nope'), T0, IDLE)).toBeUndefined();
  });

  it('an ended session is not live, and ending it twice reports false', async () => {
    const idHash = await newSession();
    expect(await endBrowserSession(store.db, idHash, T0 + 5)).toBe(true);
    expect(await endBrowserSession(store.db, idHash, T0 + 6)).toBe(false);
    expect(await findLiveBrowserSession(store.db, idHash, T0 + 10, IDLE)).toBeUndefined();
    expect((await findBrowserSession(store.db, idHash))?.endedAt).toBe(T0 + 5);
  });

  it('S30: a session past its absolute expiry or idle too long is not live', async () => {
    const absolute = await newSession(T0, DAY_MS);
    expect(await findLiveBrowserSession(store.db, absolute, T0 + DAY_MS - 1, IDLE)).toBeDefined();
    expect(await findLiveBrowserSession(store.db, absolute, T0 + DAY_MS, IDLE)).toBeUndefined();
    const idle = await newSession();
    expect(await findLiveBrowserSession(store.db, idle, T0 + IDLE - 1, IDLE)).toBeDefined();
    expect(await findLiveBrowserSession(store.db, idle, T0 + IDLE, IDLE)).toBeUndefined();
  });

  it('touch writes last_seen at most once a minute and never revives an ended session', async () => {
    const idHash = await newSession();
    await touchBrowserSession(store.db, idHash, T0 + 59_000);
    expect((await findBrowserSession(store.db, idHash))?.lastSeenAt).toBe(T0);
    await touchBrowserSession(store.db, idHash, T0 + 61_000);
    expect((await findBrowserSession(store.db, idHash))?.lastSeenAt).toBe(T0 + 61_000);
    await endBrowserSession(store.db, idHash, T0 + 62_000);
    await touchBrowserSession(store.db, idHash, T0 + 200_000);
    expect((await findBrowserSession(store.db, idHash))?.lastSeenAt).toBe(T0 + 61_000);
  });

  it("ends all of a user's live sessions and deletes stale rows", async () => {
    const a = await newSession();
    const b = await newSession();
    expect(await endUserBrowserSessions(store.db, userId, T0 + 100)).toBeGreaterThanOrEqual(2);
    expect(await findLiveBrowserSession(store.db, a, T0 + 200, IDLE)).toBeUndefined();
    expect(await findLiveBrowserSession(store.db, b, T0 + 200, IDLE)).toBeUndefined();
    const fresh = await newSession(T0 + 30 * DAY_MS);
    const deleted = await deleteStaleBrowserSessions(store.db, T0 + 20 * DAY_MS);
    expect(deleted).toBeGreaterThanOrEqual(2);
    expect(await findBrowserSession(store.db, a)).toBeUndefined();
    expect(await findBrowserSession(store.db, fresh)).toBeDefined();
  });
});
