import type { FileHandle } from 'node:fs/promises';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { verifyFilePath } from '../../lib/signed-url.ts';
import { contentDispositionFor } from '../../services/file-store.ts';

/** Settings for the signed file route. */
export interface FilesRouteOptions {
  /** The server secret; the same one that signed the URLs. */
  secret: string | Buffer;
  /** Files are served from `<dataDir>/files`. */
  dataDir: string;
  /** Clock in epoch milliseconds (tests pass a fake one). */
  now?: () => number;
}

const PREFIX = '/files/';
// Longer than any path we generate; keeps hostile input away from the file system.
const MAX_PATH_LENGTH = 1024;
// Stored files are named by the app (`rec_…/video.webm`), so anything outside this set is not one of
// ours. It excludes `/`, `\`, NUL, `%` and a leading dot, which rules out `.`, `..` and dotfiles
// whichever way they were encoded.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  webm: 'video/webm',
  mp4: 'video/mp4',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
};

// Open CORS like the REST API (PRODUCT.md §3): the signed URL is itself the capability, and no
// cookie is involved. Content-Range and Accept-Ranges are not CORS-safelisted, so a player or a
// script reading a partial response needs them exposed.
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Accept-Ranges, Content-Range, Content-Disposition',
};

type ByteRange =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

interface OpenedFile {
  handle: FileHandle;
  size: number;
  contentType: string;
}

function errorResponse(
  status: 400 | 403 | 404 | 416,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error: code, message }), {
    status,
    headers: {
      ...CORS_HEADERS,
      ...extra,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

// Decodes the part after `/files/` into checked segments, or null when it could name anything other
// than a plain file below the files directory.
function fileSegments(rawPath: string): string[] | null {
  if (!rawPath.startsWith(PREFIX) || rawPath.length > MAX_PATH_LENGTH) return null;
  const segments: string[] = [];
  for (const raw of rawPath.slice(PREFIX.length).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (!SEGMENT.test(segment)) return null;
    segments.push(segment);
  }
  return segments;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP';
}

// Resolves symlinks before opening so that a link inside the files directory cannot hand out a file
// from elsewhere; size and type come from the open handle, so they describe the file we stream.
async function openUnder(root: string, segments: string[]): Promise<OpenedFile | null> {
  let target: string;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    target = await realpath(path.join(root, ...segments));
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  if (!target.startsWith(realRoot + path.sep)) return null;
  let handle: FileHandle;
  try {
    handle = await open(target, 'r');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return null;
  }
  const ext = path.extname(target).slice(1).toLowerCase();
  return { handle, size: stat.size, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' };
}

// RFC 9110 §14.2: a Range header we do not understand (another unit, bad syntax) is ignored and the
// whole file is sent. Several ranges would need multipart/byteranges; the full file is also a valid
// answer to them, and players ask for one range at a time anyway.
function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return { kind: 'full' };
  const match = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last n bytes (RFC 9110 §14.1.2); n = 0 or an empty file selects nothing.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  // last < first makes the header invalid (ignored), not unsatisfiable.
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Builds the hono app that serves `GET`/`HEAD /files/*` from `<dataDir>/files` behind signed, expiring URLs. */
export function createFilesRoute(opts: FilesRouteOptions): Hono {
  const root = path.resolve(opts.dataDir, 'files');
  const now = opts.now ?? Date.now;
  const app = new Hono();

  app.options('/files/*', () => {
    return new Response(null, {
      status: 204,
      headers: {
        ...CORS_HEADERS,
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Headers': 'Range',
        'Access-Control-Max-Age': '86400',
      },
    });
  });

  // Hono routes HEAD to GET handlers and drops the body afterwards; we answer HEAD ourselves so the
  // file handle is closed at once instead of waiting for an unread stream to be collected.
  app.get('/files/*', async (c) => {
    // Verify what the client sent, not hono's decoded `c.req.path`: the URL was signed in its
    // encoded form (see signFilePath).
    const rawPath = new URL(c.req.url).pathname;
    const segments = fileSegments(rawPath);
    if (!segments) return errorResponse(400, 'FILE_PATH_INVALID', 'The file path is not valid.');

    const nowSec = Math.floor(now() / 1000);
    const exp = c.req.query('exp');
    const check = verifyFilePath(opts.secret, rawPath, exp, c.req.query('sig'), nowSec);
    if (check === 'expired') {
      return errorResponse(403, 'URL_EXPIRED', 'This file URL has expired; request a new one from the API.');
    }
    if (check === 'invalid') {
      return errorResponse(403, 'URL_SIGNATURE_INVALID', 'This file URL is not validly signed.');
    }

    const file = await openUnder(root, segments);
    if (!file) return errorResponse(404, 'FILE_NOT_FOUND', 'The file does not exist.');

    const headers: Record<string, string> = {
      ...CORS_HEADERS,
      'Accept-Ranges': 'bytes',
      // The URL stops working at exp, so no cache should keep the answer longer than that.
      'Cache-Control': `private, max-age=${Math.max(0, Number(exp) - nowSec)}`,
      // The same as the S3 store's presigned URLs: media inline, logs as a named download.
      'Content-Disposition': contentDispositionFor(segments.join('/'), file.contentType),
      'Content-Type': file.contentType,
      'X-Content-Type-Options': 'nosniff',
    };
    const range = parseRange(c.req.header('Range'), file.size);
    if (range.kind === 'unsatisfiable') {
      await file.handle.close();
      return errorResponse(416, 'RANGE_NOT_SATISFIABLE', 'The requested range is outside the file.', {
        'Accept-Ranges': 'bytes',
        'Content-Range': `bytes */${file.size}`,
      });
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : file.size - 1;
    const status = range.kind === 'partial' ? 206 : 200;
    headers['Content-Length'] = String(end - start + 1);
    if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;

    if (c.req.method === 'HEAD' || file.size === 0) {
      await file.handle.close();
      return new Response(null, { status, headers });
    }
    // The stream owns the handle from here: it closes it when it ends, fails or is cancelled (a
    // client that disconnects mid-video).
    const stream = file.handle.createReadStream({ start, end });
    const body = Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>;
    return new Response(body, { status, headers });
  });

  return app;
}
