import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFilesRoute } from '../../src/http/files/route.ts';
import { signFilePath } from '../../src/lib/signed-url.ts';

const SECRET = 'files-test-secret-0123456789abcdef0123456789';
const T0 = 1_700_000_000_000;
const EXP = T0 / 1000 + 300;
const VIDEO = '/files/rec_abc/video.webm';
// Distinct bytes at every offset, so a wrong slice cannot pass by accident.
const VIDEO_BYTES = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) % 251));
const SECRET_TEXT = 'outside the files directory';

let dataDir: string;
let nowMs = T0;
const app = () => createFilesRoute({ secret: SECRET, dataDir, now: () => nowMs });

// Reads the whole body so no file handle is left open behind an unread stream.
async function fetchFile(url: string, init?: RequestInit): Promise<{ res: Response; body: Buffer }> {
  const res = await app().request(url, init);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

async function errorOf(url: string, init?: RequestInit): Promise<{ status: number; error: string }> {
  const { res, body } = await fetchFile(url, init);
  return { status: res.status, error: (JSON.parse(body.toString('utf8')) as { error: string }).error };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'userplane-files-'));
  const rec = path.join(dataDir, 'files', 'rec_abc');
  await mkdir(rec, { recursive: true });
  await writeFile(path.join(rec, 'video.webm'), VIDEO_BYTES);
  await writeFile(path.join(rec, 'thumbnail.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await writeFile(path.join(rec, 'console-log.ndjson'), '{"ts":1,"level":"log","message":"hi"}\n');
  await writeFile(path.join(rec, 'network-log.json'), '[]');
  await writeFile(path.join(rec, 'empty.webm'), '');
  await mkdir(path.join(rec, 'subdir.webm'));
  await writeFile(path.join(dataDir, 'secret.txt'), SECRET_TEXT);
  await symlink(path.join(dataDir, 'secret.txt'), path.join(rec, 'escape.webm'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  nowMs = T0;
});

describe('GET /files/* with a signed URL', () => {
  it('serves the whole file before expiry, with the expected headers', async () => {
    const { res, body } = await fetchFile(signFilePath(SECRET, VIDEO, EXP));
    expect(res.status).toBe(200);
    expect(body).toEqual(VIDEO_BYTES);
    expect(res.headers.get('content-type')).toBe('video/webm');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toBe('inline');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-range')).toBeNull();
  });

  it('lets caches keep the answer only until the URL expires', async () => {
    nowMs = T0 + 290_500;
    const { res } = await fetchFile(signFilePath(SECRET, VIDEO, EXP));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, max-age=10');
  });

  it('answers 403 URL_EXPIRED once the URL has expired', async () => {
    const url = signFilePath(SECRET, VIDEO, EXP);
    nowMs = EXP * 1000;
    expect(await errorOf(url)).toEqual({ status: 403, error: 'URL_EXPIRED' });
    nowMs = EXP * 1000 + 86_400_000;
    const { res } = await fetchFile(url);
    expect(res.status).toBe(403);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 403 URL_SIGNATURE_INVALID for a tampered path, exp or signature', async () => {
    const signed = signFilePath(SECRET, VIDEO, EXP);
    const query = signed.slice(signed.indexOf('?'));
    const sig = new URL(signed, 'http://x').searchParams.get('sig') ?? '';
    const invalid = { status: 403, error: 'URL_SIGNATURE_INVALID' };
    expect(await errorOf(`/files/rec_abc/thumbnail.png${query}`)).toEqual(invalid);
    expect(await errorOf(signed.replace(`exp=${EXP}`, `exp=${EXP + 3600}`))).toEqual(invalid);
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(await errorOf(signed.replace(sig, flipped))).toEqual(invalid);
    expect(await errorOf(`${VIDEO}?exp=${EXP}`)).toEqual(invalid);
    expect(await errorOf(VIDEO)).toEqual(invalid);
  });

  it('answers 403 URL_SIGNATURE_INVALID for a URL signed with another secret', async () => {
    const url = signFilePath('some-other-secret-0123456789abcdef0123456789', VIDEO, EXP);
    expect(await errorOf(url)).toEqual({ status: 403, error: 'URL_SIGNATURE_INVALID' });
  });

  it('answers 404 FILE_NOT_FOUND for a signed URL to a missing file or a directory', async () => {
    expect(await errorOf(signFilePath(SECRET, '/files/rec_abc/missing.webm', EXP))).toEqual({
      status: 404,
      error: 'FILE_NOT_FOUND',
    });
    expect(await errorOf(signFilePath(SECRET, '/files/rec_zzz/video.webm', EXP))).toEqual({
      status: 404,
      error: 'FILE_NOT_FOUND',
    });
    expect(await errorOf(signFilePath(SECRET, '/files/rec_abc/subdir.webm', EXP))).toEqual({
      status: 404,
      error: 'FILE_NOT_FOUND',
    });
  });

  it('sets Content-Type from the extension; images show inline, logs download under a telling name', async () => {
    const cases: Array<[string, string, string]> = [
      ['/files/rec_abc/thumbnail.png', 'image/png', 'inline'],
      [
        '/files/rec_abc/console-log.ndjson',
        'application/x-ndjson',
        'attachment; filename="rec_abc-console-log.ndjson"',
      ],
      [
        '/files/rec_abc/network-log.json',
        'application/json',
        'attachment; filename="rec_abc-network-log.json"',
      ],
    ];
    for (const [file, type, disposition] of cases) {
      const { res } = await fetchFile(signFilePath(SECRET, file, EXP));
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toBe(type);
      expect(res.headers.get('content-disposition'), file).toBe(disposition);
    }
  });

  it('serves an empty file with Content-Length 0', async () => {
    const { res, body } = await fetchFile(signFilePath(SECRET, '/files/rec_abc/empty.webm', EXP));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('0');
    expect(body.length).toBe(0);
  });
});

describe('path traversal', () => {
  it('answers 400 FILE_PATH_INVALID for encoded dot segments, slashes, backslashes and NUL', async () => {
    for (const raw of [
      '/files/rec_abc/..%2f..%2fsecret.txt',
      '/files/%2e%2e%2fsecret.txt',
      '/files/rec_abc/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/files/rec_abc/..%5c..%5csecret.txt',
      '/files/rec_abc/video.webm%00.png',
      '/files/rec_abc/.%2e',
      '/files/rec_abc//video.webm',
      '/files/rec_abc/%zz.webm',
    ]) {
      expect(await errorOf(raw), raw).toEqual({ status: 400, error: 'FILE_PATH_INVALID' });
    }
  });

  it('refuses a traversing path even when it carries a valid signature', async () => {
    const url = signFilePath(SECRET, '/files/..%2fsecret.txt', EXP);
    expect(await errorOf(url)).toEqual({ status: 400, error: 'FILE_PATH_INVALID' });
  });

  it('never serves a file outside the files directory, whatever the spelling', async () => {
    for (const raw of [
      '/files/../secret.txt',
      '/files/rec_abc/../../secret.txt',
      '/files/%2e%2e/secret.txt',
      '/files/rec_abc\\..\\..\\secret.txt',
    ]) {
      // The URL parser resolves these before routing; they must not reach a file either way.
      const { res, body } = await fetchFile(`${raw}?exp=${EXP}&sig=x`);
      expect(res.status, raw).toBeGreaterThanOrEqual(400);
      expect(body.toString('utf8'), raw).not.toContain(SECRET_TEXT);
    }
  });

  it('does not follow a symlink out of the files directory', async () => {
    const { res, body } = await fetchFile(signFilePath(SECRET, '/files/rec_abc/escape.webm', EXP));
    expect(res.status).toBe(404);
    expect(body.toString('utf8')).not.toContain(SECRET_TEXT);
  });
});

describe('Range requests', () => {
  const url = () => signFilePath(SECRET, VIDEO, EXP);
  const ranged = (range: string) => fetchFile(url(), { headers: { Range: range } });

  it('answers bytes=a-b with 206 and exactly those bytes', async () => {
    const { res, body } = await ranged('bytes=10-19');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(res.headers.get('content-length')).toBe('10');
    expect(res.headers.get('content-type')).toBe('video/webm');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(body).toEqual(VIDEO_BYTES.subarray(10, 20));
  });

  it('answers a suffix range with the last n bytes', async () => {
    const { res, body } = await ranged('bytes=-100');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 900-999/1000');
    expect(res.headers.get('content-length')).toBe('100');
    expect(body).toEqual(VIDEO_BYTES.subarray(900));
  });

  it('answers a suffix longer than the file with the whole file as 206', async () => {
    const { res, body } = await ranged('bytes=-5000');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 0-999/1000');
    expect(body).toEqual(VIDEO_BYTES);
  });

  it('answers an open range to the end of the file', async () => {
    const { res, body } = await ranged('bytes=990-');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 990-999/1000');
    expect(res.headers.get('content-length')).toBe('10');
    expect(body).toEqual(VIDEO_BYTES.subarray(990));
  });

  it('clips a last position beyond the end of the file', async () => {
    const { res, body } = await ranged('bytes=995-5000');
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 995-999/1000');
    expect(body).toEqual(VIDEO_BYTES.subarray(995));
  });

  it('answers 416 with Content-Range bytes */size when no byte can be served', async () => {
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const { res, body } = await ranged(range);
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range'), range).toBe('bytes */1000');
      expect(JSON.parse(body.toString('utf8')).error).toBe('RANGE_NOT_SATISFIABLE');
    }
  });

  it('answers multiple ranges and ranges it does not understand with the full 200', async () => {
    for (const range of ['bytes=0-1,5-6', 'bytes=abc', 'items=0-5', 'bytes=20-10', 'bytes=-']) {
      const { res, body } = await ranged(range);
      expect(res.status, range).toBe(200);
      expect(res.headers.get('content-range'), range).toBeNull();
      expect(body).toEqual(VIDEO_BYTES);
    }
  });

  it('checks the signature before looking at the range', async () => {
    nowMs = EXP * 1000;
    expect(await errorOf(url(), { headers: { Range: 'bytes=0-1' } })).toEqual({
      status: 403,
      error: 'URL_EXPIRED',
    });
  });
});

describe('HEAD and OPTIONS', () => {
  it('HEAD returns the headers of GET and no body', async () => {
    const { res, body } = await fetchFile(signFilePath(SECRET, VIDEO, EXP), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(body.length).toBe(0);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('content-type')).toBe('video/webm');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe('private, max-age=300');
    expect(res.headers.get('content-disposition')).toBe('inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('HEAD with a range describes the partial response', async () => {
    const { res, body } = await fetchFile(signFilePath(SECRET, VIDEO, EXP), {
      method: 'HEAD',
      headers: { Range: 'bytes=100-199' },
    });
    expect(res.status).toBe(206);
    expect(body.length).toBe(0);
    expect(res.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(res.headers.get('content-length')).toBe('100');
  });

  it('HEAD is refused like GET when the URL is not valid', async () => {
    const { res } = await fetchFile(VIDEO, { method: 'HEAD' });
    expect(res.status).toBe(403);
  });

  it('answers a CORS preflight that asks for Range', async () => {
    const { res } = await fetchFile(VIDEO, {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Headers': 'range' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('Range');
    expect(res.headers.get('access-control-allow-methods')).toContain('GET');
  });
});
