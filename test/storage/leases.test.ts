import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.ts';
import { findLease, releaseLease, renewLease, takeLease } from '../../src/store/leases.ts';
import { openTestStore, testDialect, testPostgresUrl } from '../helpers/test-app.ts';

// The maintenance lease (migration 0041): one conditional upsert takes it, so of any number of
// concurrent takers — here over two connection pools on PostgreSQL — exactly one holds it.

const T0 = Date.UTC(2026, 5, 1);
const TTL = 60_000;

describe(`maintenance_leases repository [${testDialect}]`, () => {
  let store: Store;
  let other: Store;
  let drop: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'userplane-leases-'));
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

  it('is taken by one holder until it expires or is released, and renewed only by its holder', async () => {
    expect(await findLease(store.db, 'job-a')).toBeUndefined();
    expect(await takeLease(store.db, 'job-a', 'one', T0, TTL)).toBe(true);
    expect(await takeLease(store.db, 'job-a', 'two', T0 + 1000, TTL)).toBe(false);
    // Taking it again as its holder extends it.
    expect(await takeLease(store.db, 'job-a', 'one', T0 + 2000, TTL)).toBe(true);
    expect(await findLease(store.db, 'job-a')).toEqual({ holder: 'one', expiresAt: T0 + 2000 + TTL });
    expect(await renewLease(store.db, 'job-a', 'two', T0 + 3000, TTL)).toBe(false);
    expect(await renewLease(store.db, 'job-a', 'one', T0 + 3000, TTL)).toBe(true);
    // Expired: someone else takes it, and the old holder can no longer renew.
    expect(await takeLease(store.db, 'job-a', 'two', T0 + 3000 + TTL, TTL)).toBe(true);
    expect(await renewLease(store.db, 'job-a', 'one', T0 + 3001 + TTL, TTL)).toBe(false);
    // Released: free at once; a release by someone else changes nothing.
    await releaseLease(store.db, 'job-a', 'one');
    expect(await takeLease(store.db, 'job-a', 'three', T0 + 4000 + TTL, TTL)).toBe(false);
    await releaseLease(store.db, 'job-a', 'two');
    expect(await takeLease(store.db, 'job-a', 'three', T0 + 4000 + TTL, TTL)).toBe(true);
  });

  it('of 20 concurrent takers (two connection pools) exactly one gets a free lease', async () => {
    for (const name of ['job-new', 'job-expired']) {
      if (name === 'job-expired') await takeLease(store.db, name, 'old', T0 - 2 * TTL, TTL);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          takeLease((i % 2 ? other : store).db, name, `taker-${i}`, T0, TTL),
        ),
      );
      expect(results.filter(Boolean), name).toHaveLength(1);
      const winner = `taker-${results.indexOf(true)}`;
      expect((await findLease(store.db, name))?.holder, name).toBe(winner);
    }
  });
});
