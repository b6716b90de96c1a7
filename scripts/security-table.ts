// Prints the requirement → test rows for docs/security.md from the test titles, so the table is
// refreshed from what the tests really check. Run: npx tsx scripts/security-table.ts [SECURITY.md]
// With the path of the shared SECURITY.md, each row also carries the requirement's first words.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const TITLE =
  /\b(?:it|test|describe)(?:\.each\([^)]*\)|\.runIf\([^)]*\)|\.skipIf\([^)]*\))?\(\s*(['"`])((?:(?!\1).)*)\1/g;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const requirements = new Map<string, string>();
const specPath = process.argv[2];
if (specPath && existsSync(specPath)) {
  for (const m of readFileSync(specPath, 'utf8').matchAll(/^- \*\*(S\d+)\*\* (.+(?:\n {2}.+)*)/gm)) {
    const text = m[2]!.replace(/\s+/g, ' ');
    requirements.set(m[1]!, text.length > 90 ? `${text.slice(0, 87).replace(/\s\S*$/, '')}…` : text);
  }
}

const byId = new Map<string, Set<string>>();
for (const file of testFiles(join(ROOT, 'test'))) {
  for (const m of readFileSync(file, 'utf8').matchAll(TITLE)) {
    for (const id of m[2]!.matchAll(/\bS(\d{1,2})\b/g)) {
      const key = `S${id[1]}`;
      if (!byId.has(key)) byId.set(key, new Set());
      byId.get(key)!.add(relative(ROOT, file));
    }
  }
}
for (const id of [...byId.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))) {
  const files = [...byId.get(id)!].sort().map((f) => `\`${f}\``);
  console.log(`| ${id} | ${(requirements.get(id) ?? '').replace(/\|/g, '\\|')} | ${files.join(', ')} |`);
}
