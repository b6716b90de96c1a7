import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/security.md maps each security requirement (SECURITY.md S1…S40) to the tests that check it.
// This keeps the map honest: every file it names must exist and hold a test whose title names the
// ID, and every ID a test title names must be in the map.

const ROOT = resolve(import.meta.dirname, '../..');
const doc = readFileSync(join(ROOT, 'docs/security.md'), 'utf8');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

/** IDs named in the titles of it/test/describe calls of a file. */
function idsInTitles(source: string): Set<string> {
  const ids = new Set<string>();
  for (const m of source.matchAll(
    /\b(?:it|test|describe)(?:\.each\([^)]*\)|\.runIf\([^)]*\)|\.skipIf\([^)]*\))?\(\s*(['"`])((?:(?!\1).)*)\1/g,
  )) {
    for (const id of m[2]!.matchAll(/\bS(\d{1,2})\b/g)) ids.add(`S${id[1]}`);
  }
  return ids;
}

const rows = [...doc.matchAll(/^\|\s*(S\d{1,2})\s*\|[^|]*\|([^|]*)\|/gm)].map((m) => ({
  id: m[1]!,
  files: [...m[2]!.matchAll(/`([^`]+\.test\.ts)`/g)].map((f) => f[1]!),
}));

describe('docs/security.md', () => {
  it('lists requirements with at least one test file each', () => {
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) expect(row.files, `${row.id} has no test`).not.toEqual([]);
  });

  it('names only files that exist and hold a test titled with the ID', () => {
    const problems: string[] = [];
    for (const row of rows) {
      for (const file of row.files) {
        const path = join(ROOT, file);
        if (!existsSync(path)) problems.push(`${row.id}: ${file} does not exist`);
        else if (!idsInTitles(readFileSync(path, 'utf8')).has(row.id))
          problems.push(`${row.id}: no test title in ${file} names it`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('maps every ID that a test title names', () => {
    const listed = new Set(rows.map((r) => r.id));
    const missing: string[] = [];
    for (const file of testFiles(join(ROOT, 'test'))) {
      for (const id of idsInTitles(readFileSync(file, 'utf8'))) {
        if (!listed.has(id)) missing.push(`${id} (${relative(ROOT, file)})`);
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});
