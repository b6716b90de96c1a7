#!/usr/bin/env node
// `npm test`: the whole suite on SQLite, the Chromium journeys (once, on SQLite), then the suite
// again on PostgreSQL, saying which database each run used. PostgreSQL comes from
// TEST_POSTGRES_URL (default: the local server CI starts). Outside CI a missing PostgreSQL is
// reported and that run skipped; in CI (CI=true) it is a failure. Arguments are passed to vitest
// (and then the browser journeys are left out).
//
// The journeys drive Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium; test/e2e/helpers.ts
// reads the same variable). When it is missing, root on a Debian-like machine gets it installed
// here, so a fresh checkout needs nothing but `npm test`; anyone else gets the journeys skipped and,
// last, the command that installs it. In CI a browser still missing after that is a failure.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pg from 'pg';

const url = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const extra = process.argv.slice(2);
const ci = process.env.CI === 'true';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
// `||`, not `??`: an empty CHROMIUM_PATH means "not set", here and in test/e2e/helpers.ts.
const chromiumPath = process.env.CHROMIUM_PATH || DEBIAN_CHROMIUM;
const INSTALL_CHROMIUM =
  'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium';

function run(database, config) {
  const label = database === 'postgres' ? `PostgreSQL (${url.replace(/\/\/[^@]*@/, '//')})` : 'SQLite';
  console.log(`\n=== ${config ? 'end-to-end (Chromium)' : 'test'} run on ${label} ===\n`);
  const result = spawnSync('npx', ['vitest', 'run', ...(config ? ['-c', config] : []), ...extra], {
    stdio: 'inherit',
    env: { ...process.env, TEST_DATABASE: database, TEST_POSTGRES_URL: url, CHROMIUM_PATH: chromiumPath },
  });
  return result.status ?? 1;
}

function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && isExecutableFile(join(dir, command)));
}

/**
 * Makes sure the journeys' browser is there, installing Debian's package when we may (root, apt-get,
 * and the default path, which is where that package puts it). Returns null when the browser is
 * ready, else one line saying why the journeys cannot run and what would fix it.
 */
function ensureChromium() {
  if (isExecutableFile(chromiumPath)) return null;
  if (chromiumPath !== DEBIAN_CHROMIUM) {
    return `CHROMIUM_PATH=${chromiumPath} is not an executable; point it at a Chromium, or unset it and install Debian's with: sudo apt-get install -y chromium`;
  }
  if (process.getuid?.() === 0 && onPath('apt-get')) {
    console.log(
      `\n=== no browser at ${chromiumPath}: installing Debian's chromium package (apt-get; this takes a while) ===`,
    );
    // apt's progress goes nowhere; its errors still show.
    const install = spawnSync('sh', ['-c', INSTALL_CHROMIUM], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (isExecutableFile(chromiumPath)) return null;
    const outcome =
      install.status === 0 ? 'finished, but' : `failed (exit ${install.status ?? install.signal}), so`;
    return `installing chromium with apt-get ${outcome} there is no browser at ${chromiumPath}; install it with: sudo apt-get install -y chromium`;
  }
  return `no browser at ${chromiumPath}; install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH to another Chromium)`;
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
let e2eNotRun = null;
if (existsSync('vitest.e2e.config.ts') && extra.length === 0) {
  const missing = ensureChromium();
  if (missing === null) {
    results.e2e = run('sqlite', 'vitest.e2e.config.ts');
  } else {
    e2eNotRun = `end-to-end (Chromium) suite not run: ${missing}`;
    if (ci) results.e2e = 1;
  }
}
if (await postgresReachable()) {
  results.postgres = run('postgres');
} else if (ci) {
  results.postgres = 1;
} else {
  console.warn('Skipping the PostgreSQL run (set TEST_POSTGRES_URL or start PostgreSQL to include it).');
}
const summary = Object.entries(results).map(([name, code]) => `${name} ${code === 0 ? 'passed' : 'FAILED'}`);
console.log(`\n=== summary: ${summary.join(', ')} ===`);
if (e2eNotRun) console.log(e2eNotRun);
process.exit(Object.values(results).every((code) => code === 0) ? 0 : 1);
