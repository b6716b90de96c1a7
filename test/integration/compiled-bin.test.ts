import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect } from '../helpers/test-app.ts';

// Issue 11, item 4: `userplane` runs compiled JavaScript (scripts/build.js, dist/<fingerprint>/),
// and no stale build may ever run — the tests spawn the bin, so a stale build would be tested by
// accident. These run the bin of a copy of the checkout (its own src/ and dist/, the same
// node_modules), edit its sources, and watch what runs.

const ROOT = join(import.meta.dirname, '../..');
const USAGE = 'Usage: userplane <command> [flags]';

function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(cwd, 'bin/userplane.js'), ...args], {
      cwd,
      env: { ...process.env, USERPLANE_FROM_SOURCE: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe.runIf(testDialect === 'sqlite')(
  'the compiled bin (once, on the SQLite run: no database is involved)',
  () => {
    let copy: string;
    const builds = () => readdirSync(join(copy, 'dist')).sort();
    const cliSource = () => join(copy, 'src/cli/index.ts');

    beforeAll(() => {
      copy = mkdtempSync(join(tmpdir(), 'userplane-checkout-'));
      for (const path of ['src', 'bin', 'scripts/build.js', 'tsconfig.json', 'package.json']) {
        cpSync(join(ROOT, path), join(copy, path), { recursive: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));

    it('builds on first use, and an edited source is built before it runs; unchanged sources reuse their build', {
      timeout: 120_000,
    }, async () => {
      const first = await run(copy, ['--help']);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain(USAGE);
      expect(first.stderr).toBe('');
      const [built] = builds();
      expect(builds()).toHaveLength(1);
      expect(readdirSync(join(copy, 'dist', built!))).toEqual(
        expect.arrayContaining(['cli.mjs', 'cli.mjs.map', 'build.json']),
      );

      const original = readFileSync(cliSource(), 'utf8');
      writeFileSync(cliSource(), original.replace(USAGE, `${USAGE} (edited)`));
      const edited = await run(copy, ['--help']);
      expect(edited.code, edited.stderr).toBe(0);
      expect(edited.stdout).toContain(`${USAGE} (edited)`);
      expect(builds()).toHaveLength(2);

      // Back to the first sources: their build is found again, nothing is rebuilt.
      writeFileSync(cliSource(), original);
      const reverted = await run(copy, ['--help']);
      expect(reverted.stdout).toContain(USAGE);
      expect(reverted.stdout).not.toContain('(edited)');
      expect(builds()).toHaveLength(2);
    });

    it('processes starting at once all run, and leave one complete build', { timeout: 120_000 }, async () => {
      rmSync(join(copy, 'dist'), { recursive: true, force: true });
      const results = await Promise.all(Array.from({ length: 4 }, () => run(copy, ['--help'])));
      for (const result of results) {
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain(USAGE);
      }
      // The losers' temporary folders are gone; one build stands.
      expect(builds()).toHaveLength(1);
      expect(builds()[0]).toMatch(/^[0-9a-f]{20}$/);
    });

    it('a source that does not compile stops the bin with the reason; USERPLANE_FROM_SOURCE=1 runs the sources through tsx', {
      timeout: 120_000,
    }, async () => {
      const original = readFileSync(cliSource(), 'utf8');
      try {
        writeFileSync(cliSource(), `${original}\nconst broken = ;\n`);
        const broken = await run(copy, ['--help']);
        expect(broken.code).not.toBe(0);
        expect(broken.stderr).toMatch(/index\.ts/);
        expect(broken.stderr).toMatch(/building the sources failed/);

        writeFileSync(cliSource(), original.replace(USAGE, `${USAGE} (from source)`));
        const before = builds();
        const fromSource = await run(copy, ['--help'], { USERPLANE_FROM_SOURCE: '1' });
        expect(fromSource.code, fromSource.stderr).toBe(0);
        expect(fromSource.stdout).toContain(`${USAGE} (from source)`);
        expect(builds()).toEqual(before);
      } finally {
        writeFileSync(cliSource(), original);
      }
    });
  },
);
