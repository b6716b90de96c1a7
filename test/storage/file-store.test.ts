import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { Upload } from '@tus/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesRoute } from '../../src/http/files/route.ts';
import { type FileStore, localFileStore } from '../../src/services/file-store.ts';
import { s3FileStore, UPLOAD_PART_BYTES } from '../../src/services/s3-file-store.ts';
import { freePort } from '../helpers/listening-app.ts';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '../helpers/s3-server.ts';

// One contract, two backends: the local disk (DATA_DIR/files, served by the signed /files route)
// and an S3 bucket on a real S3 server (s3rver). Every caller sees the same behaviour from both.

const SECRET = 'file-store-contract-secret-0123456789abcdef';
const PREFIX = 'userplane/';

interface Backend {
  /** Two stores on the same place, as two instances of the server have. */
  files: FileStore;
  other: FileStore;
  s3?: TestS3Server;
  stop(): Promise<void>;
}

async function localBackend(): Promise<Backend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'userplane-fstore-'));
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const route = createFilesRoute({ secret: SECRET, dataDir });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: route.fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const make = () => localFileStore({ dataDir, publicUrl, secret: SECRET });
  return {
    files: make(),
    other: make(),
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function s3Backend(): Promise<Backend> {
  const s3 = await startS3Server();
  const make = () =>
    s3FileStore({
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      prefix: PREFIX,
    });
  return { files: make(), other: make(), s3, stop: () => s3.stop() };
}

const VIDEO = Buffer.concat([Buffer.from('1a45dfa3', 'hex'), randomBytes(2000)]);
const NDJSON = '{"ts":1,"level":"log","message":"hi"}\n';

async function fetchBytes(url: string, init?: RequestInit): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(url, init);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

describe.each([
  ['local disk', localBackend],
  ['S3 (s3rver)', s3Backend],
] as const)('FileStore contract: %s', (_name, makeBackend) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await makeBackend();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  it('writes, reads, sizes and lists files; a missing file or folder is undefined or empty', async () => {
    const { files } = backend;
    const video = await files.write('rec_a/video.webm', VIDEO, { contentType: 'video/webm' });
    expect(video).toEqual({ storagePath: 'rec_a/video.webm', size: VIDEO.length });
    const log = await files.write('rec_a/console-log.ndjson', NDJSON, {
      contentType: 'application/x-ndjson',
    });
    expect(log.size).toBe(Buffer.byteLength(NDJSON));
    expect(await files.read('rec_a/video.webm')).toEqual(VIDEO);
    expect(await files.size('rec_a/video.webm')).toBe(VIDEO.length);
    expect((await files.list('rec_a')).sort()).toEqual(['rec_a/console-log.ndjson', 'rec_a/video.webm']);
    // What one instance wrote, the other reads.
    expect((await backend.other.read('rec_a/console-log.ndjson'))?.toString('utf8')).toBe(NDJSON);

    expect(await files.read('rec_a/missing.webm')).toBeUndefined();
    expect(await files.size('rec_a/missing.webm')).toBeUndefined();
    expect(await files.read('rec_none/video.webm')).toBeUndefined();
    expect(await files.list('rec_none')).toEqual([]);
  });

  it('a write replaces the file whole', async () => {
    const { files } = backend;
    await files.write('rec_b/network-log.json', '[1,2,3]', { contentType: 'application/json' });
    await files.write('rec_b/network-log.json', '[]', { contentType: 'application/json' });
    expect((await files.read('rec_b/network-log.json'))?.toString('utf8')).toBe('[]');
    expect(await files.size('rec_b/network-log.json')).toBe(2);
  });

  it('refuses paths that are not ours', async () => {
    for (const bad of [
      '../x/video.webm',
      'rec_c/../../x',
      '/abs/video.webm',
      'rec_c//video.webm',
      '.hidden/x',
    ]) {
      await expect(backend.files.write(bad, 'x', { contentType: 'application/json' }), bad).rejects.toThrow(
        /not a storable path/,
      );
    }
    await expect(backend.files.removeRecording('rec_c/..')).rejects.toThrow();
  });

  it('removeRecording removes every file of that recording and nothing else; a missing one is fine', async () => {
    const { files } = backend;
    for (const id of ['rec_d1', 'rec_d2']) {
      await files.write(`${id}/video.webm`, VIDEO, { contentType: 'video/webm' });
      await files.write(`${id}/thumbnail.png`, Buffer.from([0x89, 0x50]), { contentType: 'image/png' });
    }
    await files.removeRecording('rec_d1');
    expect(await files.list('rec_d1')).toEqual([]);
    expect(await files.read('rec_d1/video.webm')).toBeUndefined();
    expect((await files.list('rec_d2')).length).toBe(2);
    await expect(files.removeRecording('rec_d1')).resolves.toBeUndefined();
    await expect(files.removeRecording('rec_never')).resolves.toBeUndefined();
  });

  it('moveIn takes a local file, which is gone after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'userplane-movein-'));
    try {
      const local = join(dir, 'finished');
      writeFileSync(local, VIDEO);
      const stored = await backend.files.moveIn('rec_e/video.webm', local, { contentType: 'video/webm' });
      expect(stored).toEqual({ storagePath: 'rec_e/video.webm', size: VIDEO.length });
      expect(await backend.files.read('rec_e/video.webm')).toEqual(VIDEO);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('downloadUrl serves the file with its type and disposition, and Range: bytes=0-9 answers 206 with those bytes', async () => {
    const { files } = backend;
    await files.write('rec_f/video.webm', VIDEO, { contentType: 'video/webm' });
    await files.write('rec_f/console-log.ndjson', NDJSON, { contentType: 'application/x-ndjson' });
    const expiresAtSec = Math.floor(Date.now() / 1000) + 300;
    const url = await files.downloadUrl('rec_f/video.webm', { contentType: 'video/webm', expiresAtSec });

    const whole = await fetchBytes(url);
    expect(whole.res.status).toBe(200);
    expect(whole.body).toEqual(VIDEO);
    expect(whole.res.headers.get('content-type')).toBe('video/webm');
    expect(whole.res.headers.get('content-disposition')).toBe('inline');
    expect(whole.res.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.res.headers.get('cache-control')).toMatch(/^private, max-age=(29\d|300)$/);

    const part = await fetchBytes(url, { headers: { Range: 'bytes=0-9' } });
    expect(part.res.status).toBe(206);
    expect(part.body).toEqual(VIDEO.subarray(0, 10));
    expect(part.res.headers.get('content-range')).toBe(`bytes 0-9/${VIDEO.length}`);
    expect(part.res.headers.get('content-type')).toBe('video/webm');
    const end = await fetchBytes(url, { headers: { Range: `bytes=${VIDEO.length - 5}-` } });
    expect(end.res.status).toBe(206);
    expect(end.body).toEqual(VIDEO.subarray(VIDEO.length - 5));

    const logUrl = await files.downloadUrl('rec_f/console-log.ndjson', {
      contentType: 'application/x-ndjson',
      expiresAtSec,
    });
    const log = await fetchBytes(logUrl);
    expect(log.res.status).toBe(200);
    expect(log.body.toString('utf8')).toBe(NDJSON);
    expect(log.res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(log.res.headers.get('content-disposition')).toBe(
      'attachment; filename="rec_f-console-log.ndjson"',
    );

    if (!backend.s3) expect(files.downloadOrigin).toBeNull();
    if (backend.s3) {
      // A presigned GET of the object, valid exactly until expiresAtSec (s3rver does not check
      // signatures, so the URL's own terms are what this asserts).
      const signed = new URL(url);
      expect(signed.origin).toBe(backend.s3.endpoint);
      // What pages list in their CSP is where the URLs really point.
      expect(files.downloadOrigin).toBe(signed.origin);
      expect(signed.pathname).toBe(`/${backend.s3.bucket}/${PREFIX}rec_f/video.webm`);
      expect(signed.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      const date = signed.searchParams.get('X-Amz-Date')!;
      const signedAt = Date.parse(
        `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
      );
      expect(signedAt / 1000 + Number(signed.searchParams.get('X-Amz-Expires'))).toBeCloseTo(
        expiresAtSec,
        -1,
      );
    }
  });

  it('takes a resumable upload in chunks of any size, alternating between two instances, then adopts it whole', async () => {
    const { files, other } = backend;
    const id = 'rec_up1';
    // More than two parts, cut so that chunks end inside parts and parts end inside chunks.
    const data = Buffer.concat([VIDEO, randomBytes(2 * UPLOAD_PART_BYTES + 300_000)]);
    const chunks = [
      data.subarray(0, 1024 * 1024),
      data.subarray(1024 * 1024, UPLOAD_PART_BYTES + 1024 * 1024 + 7),
      data.subarray(UPLOAD_PART_BYTES + 1024 * 1024 + 7, UPLOAD_PART_BYTES + 1024 * 1024 + 100),
      data.subarray(UPLOAD_PART_BYTES + 1024 * 1024 + 100),
    ];
    const stores = [files.uploadStore(), other.uploadStore()];
    await stores[0]!.create(new Upload({ id, size: data.length, offset: 0, metadata: {} }));
    let offset = 0;
    for (const [index, chunk] of chunks.entries()) {
      const store = stores[index % 2]!;
      // Each instance learns the offset from the shared state, as a HEAD would.
      expect((await store.getUpload(id)).offset).toBe(offset);
      offset = await store.write(Readable.from([chunk]), id, offset);
      expect(offset).toBe(chunks.slice(0, index + 1).reduce((n, c) => n + c.length, 0));
    }
    const finished = await stores[1]!.getUpload(id);
    expect(finished.offset).toBe(data.length);
    expect(finished.size).toBe(data.length);
    expect(await files.uploadLastActivity(id)).toBeGreaterThan(Date.now() - 60_000);

    const head = await other.uploadHead(id);
    expect(head).toEqual({ head: data.subarray(0, 16), size: data.length });
    const stored = await files.adoptUpload(id, `${id}/video.webm`, { contentType: 'video/webm' });
    expect(stored).toEqual({ storagePath: `${id}/video.webm`, size: data.length });
    expect((await files.read(`${id}/video.webm`))?.equals(data)).toBe(true);

    // Nothing of the upload is left.
    expect(await files.uploadHead(id)).toBeUndefined();
    expect(await files.uploadLastActivity(id)).toBeUndefined();
    await expect(stores[0]!.getUpload(id)).rejects.toMatchObject({ status_code: 404 });
    if (backend.s3) {
      expect(await backend.s3.keys(`${PREFIX}uploads/${id}`)).toEqual([]);
      expect(await backend.s3.keys(`${PREFIX}${id}/`)).toEqual([`${PREFIX}${id}/video.webm`]);
    }
  });

  it('after a chunk that breaks off, the offset says where to resume, and resuming gives the whole file', async () => {
    const store = backend.files.uploadStore();
    const id = 'rec_up2';
    const data = randomBytes(UPLOAD_PART_BYTES + 500_000);
    await store.create(new Upload({ id, size: data.length, offset: 0, metadata: {} }));
    // 3 MiB arrive, then the connection fails.
    const broken = new Readable({
      read() {
        this.push(data.subarray(0, 3 * 1024 * 1024));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store.write(broken, id, 0)).rejects.toThrow();
    const offset = (await backend.other.uploadStore().getUpload(id)).offset;
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(await store.write(Readable.from([data.subarray(offset)]), id, offset)).toBe(data.length);
    await backend.files.adoptUpload(id, `${id}/video.webm`, { contentType: 'video/webm' });
    expect((await backend.files.read(`${id}/video.webm`))?.equals(data)).toBe(true);
  });

  it('refuses a chunk at the wrong offset', async () => {
    const store = backend.files.uploadStore();
    const id = 'rec_up3';
    await store.create(new Upload({ id, size: 100, offset: 0, metadata: {} }));
    await store.write(Readable.from([Buffer.alloc(10, 1)]), id, 0);
    if (backend.s3) {
      // The tus server checks offsets before it writes; the S3 store checks again, since another
      // instance may have written meanwhile.
      await expect(store.write(Readable.from([Buffer.alloc(10)]), id, 0)).rejects.toMatchObject({
        status_code: 409,
      });
    }
    expect((await store.getUpload(id)).offset).toBe(10);
  });

  it('removeUpload removes an unfinished upload; an empty upload is finished at once', async () => {
    const { files } = backend;
    const store = files.uploadStore();
    await store.create(new Upload({ id: 'rec_up4', size: UPLOAD_PART_BYTES * 2, offset: 0, metadata: {} }));
    await store.write(Readable.from([randomBytes(UPLOAD_PART_BYTES + 10)]), 'rec_up4', 0);
    expect(await files.uploadLastActivity('rec_up4')).toBeDefined();
    await files.removeUpload('rec_up4');
    await expect(store.getUpload('rec_up4')).rejects.toMatchObject({ status_code: 404 });
    expect(await files.uploadLastActivity('rec_up4')).toBeUndefined();
    await expect(files.removeUpload('rec_up4')).resolves.toBeUndefined();

    await store.create(new Upload({ id: 'rec_up5', size: 0, offset: 0, metadata: {} }));
    expect((await store.getUpload('rec_up5')).offset).toBe(0);
    expect(await files.uploadHead('rec_up5')).toEqual({ head: Buffer.alloc(0), size: 0 });
    await files.removeUpload('rec_up5');
    if (backend.s3)
      expect(await backend.s3.keys(`${PREFIX}uploads/`)).not.toContainEqual(
        expect.stringContaining('rec_up4'),
      );
  });

  it('check() passes', async () => {
    await expect(backend.files.check()).resolves.toBeUndefined();
  });
});

describe('S3 store: what check() says when the bucket cannot be used', () => {
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3?.stop();
  });
  const store = (overrides: Partial<Parameters<typeof s3FileStore>[0]>) =>
    s3FileStore({
      bucket: s3.bucket,
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      prefix: '',
      ...overrides,
    });

  it('a bucket that does not exist names S3_BUCKET and the endpoint', async () => {
    await expect(store({ bucket: 'no-such-bucket' }).check()).rejects.toThrow(
      `S3_BUCKET "no-such-bucket" is not usable: there is no such bucket at ${s3.endpoint} (S3_ENDPOINT)`,
    );
  });

  it('refused credentials name S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY', async () => {
    await expect(
      store({ credentials: { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } }).check(),
    ).rejects.toThrow(/S3_BUCKET "userplane-test" is not usable: access denied .*S3_ACCESS_KEY_ID/);
  });

  it('an endpoint nobody answers at names S3_ENDPOINT', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    await expect(store({ endpoint }).check()).rejects.toThrow(
      `S3_BUCKET "userplane-test" is not usable: S3_ENDPOINT ${endpoint} is not reachable`,
    );
  });
});
