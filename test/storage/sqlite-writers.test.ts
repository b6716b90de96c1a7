import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest, openStore } from '../../src/store/db.ts';
import { testDialect } from '../helpers/test-app.ts';

// Two processes writing one SQLite file (`serve` and a CLI command beside it): a transaction that
// read first and writes later must wait for the other writer, not fail with SQLITE_BUSY. Only
// SQLite has this failure mode (PostgreSQL has row locks), so this runs on the SQLite pass.

describe.runIf(testDialect === 'sqlite')('SQLite with two writers on one file', () => {
  it('a read-then-write transaction waits for a concurrent writer instead of failing with SQLITE_BUSY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'userplane-writers-'));
    const file = join(dir, 'userplane.db');
    const a = openStore({ kind: 'sqlite', file });
    // The other writer is another process (better-sqlite3 waits synchronously for a lock, so two
    // connections in one process would only wait for each other).
    const writeFromAnotherProcess = () =>
      new Promise<number>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            '-e',
            `const db = require('better-sqlite3')(${JSON.stringify(file)}); db.pragma('busy_timeout = 5000'); db.prepare('insert into t (n) values (2)').run(); db.close();`,
          ],
          { stdio: 'ignore' },
        );
        child.on('exit', (code) => resolve(code ?? 1));
      });
    try {
      await migrateToLatest(a.db);
      await sql`create table t (n integer)`.execute(a.db);
      let other: Promise<unknown> | undefined;
      await a.db.transaction().execute(async (trx) => {
        await sql`select count(*) from t`.execute(trx);
        // Another connection writes while this transaction is open …
        other = writeFromAnotherProcess();
        await new Promise((resolve) => setTimeout(resolve, 300));
        // … and this one writes after it had read.
        await sql`insert into t (n) values (1)`.execute(trx);
      });
      expect(await other).toBe(0);
      const rows = await sql<{ n: number }>`select n from t order by n`.execute(a.db);
      expect(rows.rows.map((r) => r.n)).toEqual([1, 2]);
    } finally {
      await a.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
