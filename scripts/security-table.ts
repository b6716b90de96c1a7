// Prints the requirement → test rows for docs/security.md from the test titles, so the table is
// refreshed from what the tests really check. Run: npx tsx scripts/security-table.ts
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const byId = new Map<string, Set<string>>();
for (const file of testFiles(join(ROOT, 'test'))) {
  const source = readFileSync(file, 'utf8');
  for (const m of source.matchAll(/\b(?:it|test|describe)(?:\.each\([^)]*\)|\.runIf\([^)]*\)|\.skipIf\([^)]*\))?\(\s*(['"`])((?:(?!\1).)*)\1/g)) {
    for (const id of m[2]!.matchAll(/\bS(\d{1,2})\b/g)) {
      const key = `S${id[1]}`;
      if (!byId.has(key)) byId.set(key, new Set());
      byId.get(key)!.add(relative(ROOT, file));
    }
  }
}
for (const id of [...byId.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))) {
  console.log(`| ${id} | | ${[...byId.get(id)!].sort().map((f) => `\`${f}\``).join(', ')} |`);
}
