#!/usr/bin/env node
// `npm test`: the whole suite on SQLite, the Chromium journeys (once, on SQLite), then the suite
// again on PostgreSQL, saying which database each run used. PostgreSQL comes from
// TEST_POSTGRES_URL (default: the local server CI starts). Outside CI a missing PostgreSQL is
// reported and that run skipped; in CI (CI=true) it is a failure. Arguments are passed to vitest
// (and then the browser journeys are left out).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';

const url = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const extra = process.argv.slice(2);

function run(database, config) {
  const label = database === 'postgres' ? `PostgreSQL (${url.replace(/\/\/[^@]*@/, '//')})` : 'SQLite';
  console.log(`\n=== ${config ? 'end-to-end (Chromium)' : 'test'} run on ${label} ===\n`);
  const result = spawnSync('npx', ['vitest', 'run', ...(config ? ['-c', config] : []), ...extra], {
    stdio: 'inherit',
    env: { ...process.env, TEST_DATABASE: database, TEST_POSTGRES_URL: url },
  });
  return result.status ?? 1;
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    console.error(`PostgreSQL at ${url} is not reachable: ${error.message}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const results = { sqlite: run('sqlite') };
if (existsSync('vitest.e2e.config.ts') && extra.length === 0)
  results.e2e = run('sqlite', 'vitest.e2e.config.ts');
if (await postgresReachable()) {
  results.postgres = run('postgres');
} else if (process.env.CI === 'true') {
  results.postgres = 1;
} else {
  console.warn('Skipping the PostgreSQL run (set TEST_POSTGRES_URL or start PostgreSQL to include it).');
}
const summary = Object.entries(results).map(([name, code]) => `${name} ${code === 0 ? 'passed' : 'FAILED'}`);
console.log(`\n=== summary: ${summary.join(', ')} ===`);
process.exit(Object.values(results).every((code) => code === 0) ? 0 : 1);
