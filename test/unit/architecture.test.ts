import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// docs/architecture.md says what may import what; this test is that page as code. Each rule is a
// function of (path, source) so the last block can show a deliberately wrong file failing it.

const SRC = resolve(import.meta.dirname, '../../src');

/** Layers: imports point down only. http, mcp, cli → services → store, domain → lib. */
const LAYERS: Record<string, string[]> = {
  lib: ['lib'],
  config: ['config', 'lib'],
  domain: ['domain', 'lib'],
  store: ['store', 'domain', 'lib', 'config'],
  services: ['services', 'store', 'domain', 'lib', 'config'],
  http: ['http', 'services', 'domain', 'lib', 'config'],
  mcp: ['mcp', 'services', 'domain', 'lib', 'config'],
  cli: ['cli', 'services', 'domain', 'lib', 'config', 'app.ts', 'main.ts', 'store/db.ts'],
};

/**
 * Inside http/, the folders form a stack of their own: which sibling folders each may import.
 * middleware/ is the bottom (it throws errors the surfaces render); views/ holds the page layout
 * both pages/ and dashboard/ use, so those two never import each other.
 */
const HTTP_FOLDERS: Record<string, string[]> = {
  middleware: [],
  views: ['middleware'],
  pages: ['views', 'middleware'],
  dashboard: ['views', 'middleware'],
  api: ['middleware'],
  // /authorize shows the consent page.
  oauth: ['views', 'middleware', 'pages'],
  // The upload API answers validation failures as the REST API does.
  recorder: ['views', 'middleware', 'api'],
  files: ['middleware'],
  sdk: [],
};

/** Where `onError` may be installed inside http/: one handler per surface. */
const ERROR_HANDLERS = new Set([
  'http/api/index.ts',
  'http/dashboard/index.ts',
  'http/oauth/index.ts',
  'http/oauth/authorize.tsx',
  'http/pages/auth-pages.tsx',
  'http/pages/setup.tsx',
  'http/recorder/api.ts',
]);

function relativeImports(source: string): string[] {
  const specs: string[] = [];
  for (const m of source.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g))
    specs.push(m[1]!);
  for (const m of source.matchAll(/import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

/** The rule violations of one source file (`path` relative to src/). */
function violationsOf(path: string, source: string): string[] {
  const out: string[] = [];
  const [layer, folder] = path.split('/');
  const targets = relativeImports(source).map((spec) => relative(SRC, resolve(SRC, dirname(path), spec)));
  const under = (target: string, rule: string) => target === rule || target.startsWith(`${rule}/`);

  const layerRules = LAYERS[layer!];
  for (const target of targets) {
    if (layerRules && !layerRules.some((rule) => under(target, rule)))
      out.push(`${path} → ${target} (layer)`);
    if (layer === 'http' && folder && HTTP_FOLDERS[folder] && target.startsWith('http/')) {
      const other = target.split('/')[1]!;
      if (other !== folder && !HTTP_FOLDERS[folder]!.includes(other))
        out.push(`${path} → ${target} (http stack)`);
    }
    // Row shapes (store/schema.ts) stay inside the store: services hand domain-shaped input over.
    if (layer !== 'store' && target === 'store/schema.ts') out.push(`${path} → store/schema.ts (row types)`);
  }
  if (
    (layer === 'services' || layer === 'store' || layer === 'domain') &&
    /\bc\.req\b|: Request\b|HonoRequest/.test(source)
  ) {
    out.push(`${path} sees an HTTP request`);
  }
  if (layer !== 'store') {
    for (const m of source.matchAll(/import\s+(type\s+)?[^'"]*?from\s+['"]kysely['"]/g)) {
      // Deps may name the database handle's type; nothing else outside the store knows Kysely.
      if (!(path === 'services/deps.ts' && m[1])) out.push(`${path} imports kysely`);
    }
    if (/\b(?:Selectable|Insertable|Updateable)</.test(source)) out.push(`${path} names a row type`);
    for (const m of source.matchAll(
      /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s+['"](\.{1,2}\/[^'"]*store\/[^'"]+)['"]/g,
    )) {
      for (const name of m[1]!.split(',').map(
        (s) =>
          s
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]!,
      )) {
        if (/^[A-Z]\w*(?:Row|Table)$/.test(name)) out.push(`${path} imports the row type ${name}`);
      }
    }
  }
  if (layer === 'http' && /\.onError\(/.test(source) && !ERROR_HANDLERS.has(path))
    out.push(`${path} installs an error handler`);
  return out;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? files(join(dir, entry.name))
      : entry.name.endsWith('.ts') || entry.name.endsWith('.tsx')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('architecture', () => {
  const sources = files(SRC).map((file) => ({
    path: relative(SRC, file),
    source: readFileSync(file, 'utf8'),
  }));
  const all = sources.flatMap(({ path, source }) => violationsOf(path, source));

  it('imports point down only (http, mcp, cli → services → store, domain → lib)', () => {
    expect(all.filter((v) => v.endsWith('(layer)') || v.endsWith('sees an HTTP request'))).toEqual([]);
  });

  it('http/ is a stack: middleware imports no sibling, pages and dashboard share only views', () => {
    expect(all.filter((v) => v.endsWith('(http stack)'))).toEqual([]);
  });

  it('the store keeps its rows: no kysely, schema.ts or row type outside store/', () => {
    expect(all.filter((v) => /kysely|row type/.test(v))).toEqual([]);
  });

  it('one error handler per surface', () => {
    expect(all.filter((v) => v.endsWith('installs an error handler'))).toEqual([]);
  });

  it('only src/config reads process.env', () => {
    const readers = sources.filter(
      ({ path, source }) => !path.startsWith('config/') && /process\.env\b/.test(source),
    );
    // The CLI passes process.env to loadConfig; the logger only asks whether it runs under CI.
    expect(readers.map((r) => r.path).filter((f) => !['cli/index.ts', 'lib/logger.ts'].includes(f))).toEqual(
      [],
    );
  });

  it('catches a deliberately wrong file for every rule', () => {
    expect(violationsOf('http/middleware/csrf.ts', "import { x } from '../pages/error-page.tsx';")).toEqual([
      'http/middleware/csrf.ts → http/pages/error-page.tsx (http stack)',
    ]);
    expect(
      violationsOf('http/pages/signin.tsx', "import { DashboardPage } from '../dashboard/shell.tsx';"),
    ).toEqual(['http/pages/signin.tsx → http/dashboard/shell.tsx (http stack)']);
    expect(
      violationsOf('http/dashboard/links.tsx', "import {\n  Page,\n} from '../pages/layout.tsx';"),
    ).toHaveLength(1);
    expect(
      violationsOf('services/links.ts', "import type { LinksTable } from '../store/schema.ts';"),
    ).toEqual([
      'services/links.ts → store/schema.ts (row types)',
      'services/links.ts imports the row type LinksTable',
    ]);
    expect(violationsOf('services/rate-limit.ts', "import { sql } from 'kysely';")).toEqual([
      'services/rate-limit.ts imports kysely',
    ]);
    expect(violationsOf('services/deps.ts', "import type { Kysely } from 'kysely';")).toEqual([]);
    expect(violationsOf('services/deps.ts', "import { Kysely } from 'kysely';")).toHaveLength(1);
    expect(violationsOf('mcp/tools/links.ts', "import { x } from '../../http/api/links.ts';")).toHaveLength(
      1,
    );
    expect(violationsOf('http/dashboard/team.tsx', 'app.onError(handler);')).toEqual([
      'http/dashboard/team.tsx installs an error handler',
    ]);
    expect(violationsOf('store/links.ts', "const m = await import('../services/links.ts');")).toHaveLength(1);
  });
});
