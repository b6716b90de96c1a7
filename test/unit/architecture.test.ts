import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// ENGINEERING.md: imports point down only. http, mcp, cli → services → store, domain → lib.
// Routes never see SQL; services never see Request. app.ts and main.ts are the composition root.

const SRC = resolve(import.meta.dirname, '../../src');

const allowed: Record<string, string[]> = {
  lib: ['lib'],
  config: ['config', 'lib'],
  domain: ['domain', 'lib'],
  store: ['store', 'domain', 'lib', 'config'],
  services: ['services', 'store', 'domain', 'lib', 'config'],
  http: ['http', 'services', 'domain', 'lib', 'config'],
  mcp: ['mcp', 'services', 'domain', 'lib', 'config'],
  cli: ['cli', 'services', 'domain', 'lib', 'config', 'app.ts', 'main.ts', 'store/db.ts'],
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts') || entry.name.endsWith('.tsx')
        ? [join(dir, entry.name)]
        : [],
  );
}

function layerOf(path: string): string {
  return relative(SRC, path).split('/')[0]!;
}

describe('architecture', () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const layer = layerOf(file);
    const rules = allowed[layer];
    if (!rules) continue; // app.ts, main.ts: the composition root may import anything
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = relative(SRC, resolve(dirname(file), match[1]!));
      const ok = rules.some(
        (rule) => target === rule || target.startsWith(`${rule}/`) || target === rule.replace(/\/$/, ''),
      );
      if (!ok) violations.push(`${relative(SRC, file)} → ${target}`);
    }
    if (
      (layer === 'services' || layer === 'store' || layer === 'domain') &&
      /\bc\.req\b|: Request\b|HonoRequest/.test(source)
    ) {
      violations.push(`${relative(SRC, file)} sees an HTTP request`);
    }
  }

  it('imports point down only (http, mcp, cli → services → store, domain → lib)', () => {
    expect(violations).toEqual([]);
  });

  it('only src/config reads process.env', () => {
    const readers = files(SRC)
      .filter((f) => layerOf(f) !== 'config')
      .filter((f) => /process\.env\b/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    // The CLI passes process.env to loadConfig; the logger only asks whether it runs under CI.
    expect(readers.filter((f) => !['cli/index.ts', 'lib/logger.ts'].includes(f))).toEqual([]);
  });
});
