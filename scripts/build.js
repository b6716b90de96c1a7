#!/usr/bin/env node
// Compiles src/ into one ESM file with esbuild, so `userplane` runs JavaScript rather than loading
// the TypeScript sources through tsx (which keeps a compiler and every module's transform in the
// server's memory for its whole life, and costs seconds at each start).
//
// Where a build goes: dist/<fingerprint>/cli.mjs, the fingerprint being a hash of every file under
// src/, of tsconfig.json, of this script and of esbuild's version. A build is only ever looked up by
// the fingerprint of the sources as they are now, so a stale build cannot be run (or tested) by
// accident: edit any source and the next start finds no build under the new fingerprint and makes
// one (~0.3 s). Builds are written to a temporary folder and renamed into place, so processes that
// start at once (a test run) may each build, but none ever sees half a build.
//
// `node scripts/build.js` (npm's `prepare`, so `npm install` / `npm ci` build ahead of the first
// start) builds if needed and says where. bin/userplane.js calls compiledEntry(), which builds in a
// child process when needed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
export const DIST = join(ROOT, 'dist');
const ENTRY_SOURCE = join(SRC, 'cli/index.ts');
const ENTRY_NAME = 'cli.mjs';
// Older builds are removed after a new one, unless this recent: a process that started from them a
// moment ago may still be loading its file.
const KEEP_RECENT_MS = 10 * 60_000;

function sourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function esbuildVersion() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules/esbuild/package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

/**
 * A hash of everything a build's output depends on: the contents of every file under src/ (not
 * modification times, which copies and checkouts do not keep faithfully), tsconfig.json (JSX
 * settings), this script (the build options) and esbuild's version. Takes ~20 ms.
 */
export function sourceFingerprint() {
  const hash = createHash('sha256');
  const files = sourceFiles(SRC).sort();
  for (const file of [...files, join(ROOT, 'tsconfig.json'), join(ROOT, 'scripts/build.js')]) {
    hash.update(relative(ROOT, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  hash.update(esbuildVersion());
  return hash.digest('hex').slice(0, 20);
}

/** The entry file of the build of the sources as they are now (it may not exist yet). */
export function entryFor(fingerprint) {
  return join(DIST, fingerprint, ENTRY_NAME);
}

function exists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The bundle keeps each module's own `import.meta.url`: three modules read files next to them
 * (the recorder's and the embed's browser scripts, the demo assets), which stay in src/ and
 * assets/. Each such module gets `import.meta.url` (and `.dirname`, `.filename`) replaced in its
 * syntax tree — not in its strings: src/http/sdk/route.ts writes `import.meta.url` into a browser
 * module's text — by a constant computed from the bundle's own URL, relative so the checkout can
 * move.
 */
function moduleUrlPlugin(esbuild, outDir, tsconfigRaw) {
  return {
    name: 'userplane-module-url',
    setup(build) {
      build.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta')) return undefined;
        const loader = args.path.endsWith('.tsx') ? 'tsx' : 'ts';
        const result = await esbuild.transform(text, {
          loader,
          format: 'esm',
          target: 'node20',
          sourcefile: args.path,
          sourcemap: 'inline',
          tsconfigRaw,
          define: {
            'import.meta.url': '__userplane_module_url',
            'import.meta.dirname': '__userplane_module_dirname',
            'import.meta.filename': '__userplane_module_filename',
          },
        });
        const fromBundle = relative(outDir, args.path).split('\\').join('/');
        // On the first line, before the module's own first line, so its line numbers stay as they were.
        const prelude =
          `import { fileURLToPath as __userplane_path } from 'node:url';` +
          `const __userplane_module_url = new URL(${JSON.stringify(fromBundle)}, import.meta.url).href;` +
          `const __userplane_module_filename = __userplane_path(__userplane_module_url);` +
          `const __userplane_module_dirname = __userplane_path(new URL('.', __userplane_module_url));`;
        return { contents: prelude + result.code, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * V8 keeps a module's source text for its whole life (functions compile lazily from it), and one
 * character beyond ASCII makes the whole text two bytes per character: ~1 MB more for the bundle.
 * esbuild escapes such characters in strings but keeps them in comments and template literals, so
 * the rest are escaped here: `\uXXXX` means the same in strings, templates, regular expressions and
 * identifiers (only a tagged template's raw text would differ, and src/ has none that is non-ASCII).
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  // An odd run of backslashes before the character escapes it (`\…` is `…`): the last one goes, so
  // it does not escape the new escape's own backslash.
  const escaped = text.replace(/(\\*)([\u0080-\uffff])/g, (_, slashes, c) => {
    const kept = slashes.length % 2 === 1 ? slashes.slice(1) : slashes;
    return `${kept}\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  if (escaped !== text) writeFileSync(file, escaped);
}

/** Builds src/ into dist/<fingerprint>/ (through a temporary folder renamed into place). */
export async function build(fingerprint = sourceFingerprint()) {
  const esbuild = await import('esbuild');
  const finalDir = join(DIST, fingerprint);
  const tmpDir = join(DIST, `${fingerprint}.tmp-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(tmpDir, { recursive: true });
  const tsconfigRaw = readFileSync(join(ROOT, 'tsconfig.json'), 'utf8');
  try {
    await esbuild.build({
      entryPoints: [ENTRY_SOURCE],
      outfile: join(tmpDir, ENTRY_NAME),
      bundle: true,
      // Dependencies stay in node_modules, loaded by Node as usual (native modules, pino's workers,
      // packages that read their own files); only our own code is bundled.
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      tsconfig: join(ROOT, 'tsconfig.json'),
      // Stack traces name src/ files and lines when Node runs with --enable-source-maps.
      sourcemap: 'linked',
      sourcesContent: false,
      // Class and function names stay as written: logs, error names and tests read them.
      keepNames: true,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [moduleUrlPlugin(esbuild, finalDir, tsconfigRaw)],
    });
    asciiOnly(join(tmpDir, ENTRY_NAME));
    writeFileSync(
      join(tmpDir, 'build.json'),
      `${JSON.stringify({ fingerprint, builtAt: new Date().toISOString(), esbuild: esbuildVersion() })}\n`,
    );
    try {
      renameSync(tmpDir, finalDir);
    } catch (error) {
      // Another process finished the same build first; its copy is identical and complete.
      if (!exists(join(finalDir, ENTRY_NAME))) throw error;
      rmSync(tmpDir, { recursive: true, force: true });
      return entryFor(fingerprint);
    }
  } catch (error) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw error;
  }
  pruneOldBuilds(fingerprint);
  return entryFor(fingerprint);
}

/** Removes builds of other sources (and abandoned temporary folders) older than a few minutes. */
function pruneOldBuilds(keep) {
  let entries;
  try {
    entries = readdirSync(DIST, { withFileTypes: true });
  } catch {
    return;
  }
  const now = Date.now();
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === keep || !/^[0-9a-f]{20}(\.tmp-.*)?$/.test(entry.name))
      continue;
    const path = join(DIST, entry.name);
    try {
      if (now - statSync(path).mtimeMs > KEEP_RECENT_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile, or not ours to remove: leave it.
    }
  }
}

/** Exit code of `node scripts/build.js` when dist/ cannot be written (the bin then runs the sources). */
export const EXIT_NOT_WRITABLE = 3;

/**
 * The compiled entry for the sources as they are now. When there is no build of them yet, one is made
 * in a child process, so the process that runs the server never loads esbuild (nor keeps its service
 * process alive). Returns undefined when dist/ cannot be written.
 */
export function compiledEntry() {
  const entry = entryFor(sourceFingerprint());
  if (exists(entry)) return entry;
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--print-entry'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (child.status === EXIT_NOT_WRITABLE) return undefined;
  if (child.status !== 0) {
    throw new Error(
      `userplane: building the sources failed (${child.error?.message ?? `exit ${child.status}`})`,
    );
  }
  // The child's build is of the sources as they were when it ran, the newest there are.
  return child.stdout.trim();
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const fingerprint = sourceFingerprint();
  let entry = entryFor(fingerprint);
  try {
    if (!exists(entry)) entry = await build(fingerprint);
  } catch (error) {
    if (['EACCES', 'EPERM', 'EROFS'].includes(error?.code)) {
      console.error(`userplane: cannot write ${DIST} (${error.code})`);
      process.exit(EXIT_NOT_WRITABLE);
    }
    throw error;
  }
  if (process.argv.includes('--print-entry')) console.log(entry);
  else console.log(`userplane: compiled sources in ${relative(process.cwd(), entry)}`);
}
