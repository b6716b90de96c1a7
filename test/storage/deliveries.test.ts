import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.ts';
import {
  claimDueDeliveries,
  countPendingDeliveries,
  findDelivery,
  insertDeliveries,
  listAttempts,
  listDeliveries,
  recordAttempt,
} from '../../src/store/deliveries.ts';
import { openTestStore, testDialect, testPostgresUrl } from '../helpers/test-app.ts';

// The outbox repository (migration 0050): claims are exclusive while they last — also for
// concurrent claimers over two connection pools on PostgreSQL (FOR UPDATE SKIP LOCKED) — a claim
// that ran out can be taken over, and a worker whose claim was taken over cannot write its outcome.

const T0 = Date.UTC(2026, 5, 1);

function row(id: string, now = T0, workspaceId = 'ws_1') {
  return {
    id,
    workspaceId,
    channel: 'webhook' as const,
    targetId: 'whk_1',
    eventType: 'link.created',
    eventId: `evt_${id}`,
    summary: `to example.com (${id})`,
    sealedPayload: 'sealed',
    now,
  };
}

const outcome = (over: Partial<Parameters<typeof recordAttempt>[3]> = {}) => ({
  startedAt: T0,
  durationMs: 12,
  ok: false,
  statusCode: 500,
  error: 'HTTP 500',
  responseBody: 'oops',
  status: 'pending' as const,
  nextAttemptAt: T0 + 10_000,
  now: T0 + 12,
  ...over,
});

describe(`deliveries repository [${testDialect}]`, () => {
  let store: Store;
  let other: Store;
  let drop: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'userplane-deliveries-'));
    ({ store, drop } = await openTestStore(dir));
    if (testDialect === 'postgres') {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
      other = openStore({ kind: 'postgres', url: testPostgresUrl }, { schema: rows[0]!.schema, poolSize: 5 });
    } else {
      other = openStore({ kind: 'sqlite', file: join(dir, 'test.db') });
    }
  });

  afterAll(async () => {
    await other?.close();
    await store?.close();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims due rows once, hands a lapsed claim over, and refuses the outcome of a lost claim', async () => {
    await insertDeliveries(store.db, [row('dlv_a'), row('dlv_b', T0 + 5_000)]);
    // Only what is due at `now`.
    const first = await claimDueDeliveries(store.db, 'one', T0, T0 + 60_000, 10);
    expect(first.map((d) => d.id)).toEqual(['dlv_a']);
    expect(await claimDueDeliveries(store.db, 'two', T0 + 1, T0 + 60_000, 10)).toEqual([]);
    // The claim runs out: another worker takes the row over …
    const takeover = await claimDueDeliveries(store.db, 'two', T0 + 60_000, T0 + 120_000, 10);
    expect(takeover.map((d) => d.id).sort()).toEqual(['dlv_a', 'dlv_b']);
    // … and the first one's late outcome is not written.
    expect(await recordAttempt(store.db, 'dlv_a', 'one', outcome({ status: 'delivered', ok: true }))).toBe(
      false,
    );
    expect((await findDelivery(store.db, 'dlv_a'))?.status).toBe('pending');
    // The holder's outcome is, with its log row; pending again until the next try is due.
    expect(await recordAttempt(store.db, 'dlv_a', 'two', outcome())).toBe(true);
    const retried = await findDelivery(store.db, 'dlv_a');
    expect(retried).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
    });
    expect(await claimDueDeliveries(store.db, 'three', T0 + 9_999, T0 + 200_000, 10)).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ id: 'dlv_a' })]),
    );
    expect(
      (await claimDueDeliveries(store.db, 'three', T0 + 120_000, T0 + 200_000, 10)).map((d) => d.id),
    ).toEqual(expect.arrayContaining(['dlv_a']));
    expect(
      await recordAttempt(
        store.db,
        'dlv_a',
        'three',
        outcome({ ok: true, status: 'delivered', statusCode: 204 }),
      ),
    ).toBe(true);
    const done = await findDelivery(store.db, 'dlv_a');
    expect(done).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204 });
    expect(done?.finishedAt).not.toBeNull();
    const attempts = await listAttempts(store.db, 'dlv_a');
    expect(attempts.map((a) => [a.attempt, a.ok, a.statusCode])).toEqual([
      [1, false, 500],
      [2, true, 204],
    ]);
    // A finished row is never claimed again.
    expect(
      (await claimDueDeliveries(store.db, 'four', T0 + 10 * 60_000, T0 + 11 * 60_000, 10)).map((d) => d.id),
    ).not.toContain('dlv_a');
  });

  it('of many concurrent claimers (two connection pools), each due row goes to exactly one', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `dlv_c${String(i).padStart(3, '0')}`);
    await insertDeliveries(
      store.db,
      ids.map((id) => row(id, T0, 'ws_c')),
    );
    const now = T0 + 30 * 60_000;
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        claimDueDeliveries(i % 2 ? other.db : store.db, `worker-${i}`, now, now + 60_000, 10),
      ),
    );
    const claimed = claims
      .flat()
      .map((d) => d.id)
      .filter((id) => id.startsWith('dlv_c'));
    expect(new Set(claimed).size).toBe(claimed.length);
    // Room for 120 ≥ 60 + the earlier test's leftover, so every row was taken by someone.
    expect(claimed.sort()).toEqual(ids);
  });

  it('lists a workspace’s deliveries newest first, filtered by target and status', async () => {
    await insertDeliveries(store.db, [
      row('dlv_l1', T0, 'ws_l'),
      { ...row('dlv_l2', T0 + 1, 'ws_l'), targetId: 'whk_2' },
    ]);
    expect((await listDeliveries(store.db, 'ws_l', { limit: 10 })).map((d) => d.id)).toEqual([
      'dlv_l2',
      'dlv_l1',
    ]);
    expect(
      (await listDeliveries(store.db, 'ws_l', { targetId: 'whk_2', limit: 10 })).map((d) => d.id),
    ).toEqual(['dlv_l2']);
    expect(await listDeliveries(store.db, 'ws_l', { status: 'failed', limit: 10 })).toEqual([]);
    expect(await countPendingDeliveries(store.db)).toBeGreaterThanOrEqual(2);
  });
});
