import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

// GET /sdk/v1/userplane.js and /sdk/v1/userplane.mjs: the embed script customers put on their
// sites (docs/recorder.md "Embedding the script").
//
// One source, two forms. userplane.js is a classic script (one IIFE that sets window.Userplane);
// the module runs the same text with `__userplaneModuleUrl` declared first, because a module has no
// document.currentScript and the script takes its default server origin from its own URL. The
// IIFE is idempotent, so the module then re-exports whichever copy of the API the page already has.

const CLASSIC = readFileSync(new URL('./userplane.js', import.meta.url), 'utf8');

const MODULE = [
  '// Userplane embed script as an ES module: the classic script, told its own URL.',
  'const __userplaneModuleUrl = import.meta.url;',
  CLASSIC,
  'const Userplane = globalThis.Userplane;',
  'export default Userplane;',
  'export const { init, open, setMetadata, _snapshot } = Userplane;',
  '',
].join('\n');

interface Served {
  body: string;
  etag: string;
}

function served(body: string): Served {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

// Public on purpose: any site may load the script (the server checks the Origin of the uploads
// instead). Five minutes of caching spreads a new version quickly without a versioned URL;
// revalidation after that costs a 304. CORP lets pages with COEP: require-corp load it too.
const HEADERS = {
  'Content-Type': 'text/javascript; charset=utf-8',
  'Cache-Control': 'public, max-age=300',
  'Access-Control-Allow-Origin': '*',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'X-Content-Type-Options': 'nosniff',
} as const;

// RFC 9110 §13.1.2: If-None-Match is a list of entity tags (weak comparison) or `*`.
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((raw) => {
    const tag = raw.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

function respond(file: Served, ifNoneMatch: string | undefined): Response {
  const headers = { ...HEADERS, ETag: file.etag };
  if (matches(ifNoneMatch, file.etag)) return new Response(null, { status: 304, headers });
  return new Response(file.body, { status: 200, headers });
}

/** The embed script routes (classic script and ES module), both built once at start. */
export function createSdkRoutes(): Hono {
  const classic = served(CLASSIC);
  const esModule = served(MODULE);
  const app = new Hono();
  app.get('/sdk/v1/userplane.js', (c) => respond(classic, c.req.header('if-none-match')));
  app.get('/sdk/v1/userplane.mjs', (c) => respond(esModule, c.req.header('if-none-match')));
  return app;
}
