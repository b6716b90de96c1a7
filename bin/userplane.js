#!/usr/bin/env node
// The `userplane` command. Runs the compiled JavaScript in dist/ (scripts/build.js), building it
// first when the sources changed since the last build: the build is looked up by a hash of the
// sources, so what runs is always the build of the sources as they are (docs/operations.md).
// USERPLANE_FROM_SOURCE=1 runs the TypeScript sources through tsx instead, as does a checkout whose
// dist/ cannot be written (a read-only install that was not built by `npm install`).
import { pathToFileURL } from 'node:url';
import { compiledEntry, DIST } from '../scripts/build.js';

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/index.ts');
}

async function load() {
  if (process.env.USERPLANE_FROM_SOURCE === '1') return fromSource();
  const entry = compiledEntry();
  if (entry === undefined) {
    process.stderr.write(`userplane: cannot write ${DIST}; running the sources through tsx\n`);
    return fromSource();
  }
  return import(pathToFileURL(entry).href);
}

const { runCli } = await load();
process.exitCode = await runCli(process.argv.slice(2));
