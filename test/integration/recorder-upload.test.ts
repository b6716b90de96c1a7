import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, jsonInit, recorderLink, startBody, tusUpload } from '../helpers/builders-recorder.ts';
import { DEMO_THUMBNAIL, DEMO_VIDEO } from '../helpers/builders-recordings.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { testDialect } from '../helpers/test-app.ts';

// The recorder's upload API over real HTTP, with the real tus client (tus-js-client) for the video:
// start → resumable video → thumbnail → logs from the customer's origin → finish, and then the
// recording as the team sees it through REST. On both file stores: the local disk, and an S3
// bucket on a real S3 server (s3rver), where the video is uploaded into the bucket and downloaded
// through presigned URLs.

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function start(base: string, linkId: string, size: number, overrides: Record<string, unknown> = {}) {
  const res = await fetch(
    `${base}${API}/links/${linkId}/recordings`,
    jsonInit('POST', startBody(size, overrides)),
  );
  return {
    res,
    body: (await res.json()) as { data: { recordingId: string; uploadToken: string }; error?: string },
  };
}

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir: string, base = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesBelow(`${dir}/${entry.name}`, `${base}${entry.name}/`)
      : [`${base}${entry.name}`],
  );
}

describe.each(['fs', 's3'] as const)(`recorder upload API [${testDialect}, STORAGE=%s]`, (storage) => {
  let server: ListeningApp;
  let s3: TestS3Server | undefined;
  beforeAll(async () => {
    if (storage === 's3') s3 = await startS3Server({ prefix: 'userplane/' });
    server = await startListeningApp(s3 ? { env: s3.env } : {});
  });
  afterAll(async () => {
    await server?.close();
    await s3?.stop();
  });

  it('takes a recording end to end: start, tus video, thumbnail, logs and metadata from the site, finish; REST then shows it ready with masked, capped logs', async () => {
    const { deps } = server.t;
    const link = await recorderLink(deps);
    const { res, body } = await start(server.url, link.linkId, DEMO_VIDEO.length);
    expect(res.status).toBe(201);
    const { recordingId, uploadToken } = body.data;
    const auth = { authorization: `Bearer ${uploadToken}` };

    // While uploading, the recording is pending.
    const pending = await fetch(
      `${server.url}/api/v1/public/workspace/${link.workspace.id}/recordings/${recordingId}`,
      {
        headers: link.owner.headers,
      },
    );
    expect(
      ((await pending.json()) as { data: { recording: { status: string } } }).data.recording.status,
    ).toBe('pending');

    await tusUpload(server.url, uploadToken, DEMO_VIDEO);
    const thumb = await fetch(`${server.url}${API}/recordings/${recordingId}/thumbnail`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'image/png' },
      body: DEMO_THUMBNAIL,
    });
    expect(thumb.status).toBe(200);

    const fromSite = { ...auth, origin: link.origin };
    const consoleLog = [
      JSON.stringify({
        ts: 120,
        level: 'error',
        message: 'TypeError: x is undefined',
        stack: 'TypeError: x is undefined\n    at pay (cart.js:10:5)',
      }),
      'this line is not JSON',
      JSON.stringify({ ts: 300, level: 'log', message: 'x'.repeat(50_000) }),
    ].join('\n');
    const consoleRes = await fetch(`${server.url}${API}/recordings/${recordingId}/console-log`, {
      method: 'PUT',
      headers: { ...fromSite, 'content-type': 'application/x-ndjson' },
      body: consoleLog,
    });
    expect(consoleRes.status).toBe(200);
    expect(((await consoleRes.json()) as { data: unknown }).data).toMatchObject({ accepted: 2, dropped: 1 });
    const network = [
      {
        ts: 200,
        method: 'POST',
        url: 'https://shop.example.com/api/pay?session=abc123&item=7',
        status: 500,
        durationMs: 31,
        requestHeaders: { Authorization: 'Bearer sk_live_secret', 'content-type': 'application/json' },
      },
    ];
    const networkRes = await fetch(
      `${server.url}${API}/recordings/${recordingId}/network-log`,
      jsonInit('PUT', network, fromSite),
    );
    expect(networkRes.status).toBe(200);
    const actions = [{ ts: 50, type: 'input', selector: 'input#password' }];
    expect(
      (
        await fetch(
          `${server.url}${API}/recordings/${recordingId}/action`,
          jsonInit('PUT', actions, fromSite),
        )
      ).status,
    ).toBe(200);
    const meta = await fetch(
      `${server.url}${API}/recordings/${recordingId}/metadata`,
      jsonInit('PUT', { customMeta: { plan: 'pro', userId: 42 } }, fromSite),
    );
    expect(meta.status).toBe(200);

    const finish = await fetch(`${server.url}${API}/recordings/${recordingId}/finish`, {
      method: 'POST',
      headers: auth,
    });
    expect(finish.status).toBe(200);

    const rest = (path: string) =>
      fetch(`${server.url}/api/v1/public/workspace/${link.workspace.id}/recordings${path}`, {
        headers: link.owner.headers,
      });
    const list = (await (await rest('')).json()) as {
      data: { recordings: Array<{ recordingId: string; status: string }> };
    };
    expect(list.data.recordings[0]).toMatchObject({ recordingId, status: 'ready' });
    const detail = (await (await rest(`/${recordingId}`)).json()) as {
      data: { recording: Record<string, unknown> };
    };
    expect(detail.data.recording.customMeta).toEqual({ plan: 'pro', userId: 42 });
    expect(detail.data.recording.notes).toBe('It breaks when I press Pay');

    // The stored video is the uploaded bytes.
    const video = (await (await rest(`/${recordingId}/video`)).json()) as {
      data: { resource: { url: string; size: number } };
    };
    expect(video.data.resource.size).toBe(DEMO_VIDEO.length);
    const whole = await fetch(video.data.resource.url);
    expect(whole.headers.get('content-type')).toBe('video/webm');
    const served = Buffer.from(await whole.arrayBuffer());
    expect(sha256(served)).toBe(sha256(DEMO_VIDEO));
    // Players seek with ranges, from our /files route or the bucket alike.
    const ranged = await fetch(video.data.resource.url, { headers: { Range: 'bytes=0-9' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-9/${DEMO_VIDEO.length}`);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(DEMO_VIDEO.subarray(0, 10));
    if (s3) expect(new URL(video.data.resource.url).origin).toBe(s3.endpoint);

    const networkUrl = (
      (await (await rest(`/${recordingId}/network-log`)).json()) as { data: { resource: { url: string } } }
    ).data.resource.url;
    const storedNetwork = (await (await fetch(networkUrl)).json()) as Array<{
      url: string;
      requestHeaders: Record<string, string>;
    }>;
    expect(storedNetwork[0]!.requestHeaders.Authorization).toBe('[redacted]');
    expect(storedNetwork[0]!.url).toContain('session=%5Bredacted%5D');
    expect(JSON.stringify(storedNetwork)).not.toContain('sk_live_secret');
    const consoleUrl = (
      (await (await rest(`/${recordingId}/console-log`)).json()) as { data: { resource: { url: string } } }
    ).data.resource.url;
    const storedConsole = (await (await fetch(consoleUrl)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(storedConsole).toHaveLength(2);
    expect(storedConsole[1].message.length).toBeLessThan(11_000);

    // Finished: the token writes nothing more.
    const late = await fetch(`${server.url}${API}/recordings/${recordingId}/thumbnail`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'image/png' },
      body: DEMO_THUMBNAIL,
    });
    expect(late.status).toBe(409);
  });

  it.runIf(storage === 's3')(
    'on S3 the uploaded video is an object in the bucket (listed through the S3 API), and nothing of it is under DATA_DIR',
    async () => {
      const { deps } = server.t;
      const link = await recorderLink(deps);
      const video = Buffer.concat([DEMO_VIDEO, randomBytes(6 * 1024 * 1024)]);
      const { body } = await start(server.url, link.linkId, video.length);
      const { recordingId, uploadToken } = body.data;
      await tusUpload(server.url, uploadToken, video);
      const thumb = await fetch(`${server.url}${API}/recordings/${recordingId}/thumbnail`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${uploadToken}`, 'content-type': 'image/png' },
        body: DEMO_THUMBNAIL,
      });
      expect(thumb.status).toBe(200);

      expect(await s3!.keys(`userplane/${recordingId}`)).toEqual([
        `userplane/${recordingId}/thumbnail.png`,
        `userplane/${recordingId}/video.webm`,
      ]);
      // The upload's parts and bookkeeping are gone from the bucket once the video is kept.
      expect(await s3!.keys(`userplane/uploads/${recordingId}`)).toEqual([]);
      expect(sha256((await deps.files.read(`${recordingId}/video.webm`))!)).toBe(sha256(video));
      // Not on the local disk: no file under DATA_DIR names the recording.
      expect(filesBelow(deps.config.dataDir).filter((f) => f.includes(recordingId))).toEqual([]);
    },
  );

  it.runIf(storage === 'fs')(
    'a single-use link under 20 concurrent starts accepts exactly one; then it says "recorded"; a reusable link accepts many',
    async () => {
      const { deps } = server.t;
      const single = await recorderLink(deps);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => start(server.url, single.linkId, 1000)),
      );
      const statuses = results.map((r) => r.res.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      expect(results.find((r) => r.res.status === 409)!.body.error).toBe('LINK_ALREADY_RECORDED');
      const rows = await deps.db
        .selectFrom('recordings')
        .select('id')
        .where('link_id', '=', single.linkId)
        .execute();
      expect(rows).toHaveLength(1);
      const state = (await (await fetch(`${server.url}${API}/links/${single.linkId}`)).json()) as {
        data: { state: string };
      };
      expect(state.data.state).toBe('recorded');

      const reusable = await recorderLink(deps, { reusable: true });
      const many = await Promise.all(
        Array.from({ length: 5 }, () => start(server.url, reusable.linkId, 1000)),
      );
      expect(many.map((r) => r.res.status)).toEqual([201, 201, 201, 201, 201]);
    },
  );

  it('resumes an upload cut midway: the stored video is byte-identical and the bytes were not sent twice', async () => {
    const { deps } = server.t;
    const link = await recorderLink(deps);
    // A real WebM header followed by 3 MiB: large enough to cut in the middle.
    const video = Buffer.concat([DEMO_VIDEO, randomBytes(3 * 1024 * 1024)]);
    const { body } = await start(server.url, link.linkId, video.length);
    const { recordingId, uploadToken } = body.data;

    // A proxy in front of the server that drops the first connection carrying a PATCH after 1 MiB.
    const target = new URL(server.url);
    let cut = false;
    let forwarded = 0;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(client);
      sockets.add(upstream);
      let sent = 0;
      client.on('data', (chunk: Buffer) => {
        forwarded += chunk.length;
        sent += chunk.length;
        upstream.write(chunk);
        if (!cut && sent > 1024 * 1024) {
          cut = true;
          client.destroy();
          upstream.destroy();
        }
      });
      upstream.on('data', (chunk) => client.write(chunk));
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      await tusUpload(proxyUrl, uploadToken, video, { retryDelays: [100, 300, 1000] });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    expect(cut).toBe(true);
    // Resumed from the server's offset, not from zero.
    expect(forwarded).toBeLessThan(video.length * 1.5);
    const stored = (await deps.files.read(`${recordingId}/video.webm`))!;
    expect(stored.length).toBe(video.length);
    expect(sha256(stored)).toBe(sha256(video));
    const finish = await fetch(`${server.url}${API}/recordings/${recordingId}/finish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploadToken}` },
    });
    expect(finish.status).toBe(200);
  });

  it.runIf(storage === 'fs')(
    'is documented in the OpenAPI document, with the upload token as its security scheme',
    async () => {
      const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { security?: unknown[] }>>;
        components: { securitySchemes: Record<string, unknown> };
      };
      for (const path of [
        '/recorder/links/{linkId}',
        '/recorder/links/{linkId}/recordings',
        '/recorder/uploads',
        '/recorder/recordings/{recordingId}/thumbnail',
        '/recorder/recordings/{recordingId}/console-log',
        '/recorder/recordings/{recordingId}/network-log',
        '/recorder/recordings/{recordingId}/action',
        '/recorder/recordings/{recordingId}/metadata',
        '/recorder/recordings/{recordingId}/finish',
      ]) {
        expect(doc.paths[path], path).toBeDefined();
      }
      expect(doc.paths['/recorder/recordings/{recordingId}/finish']!.post!.security).toEqual([
        { uploadToken: [] },
      ]);
      expect(doc.paths['/recorder/links/{linkId}/recordings']!.post!.security).toEqual([]);
      expect(doc.components.securitySchemes.uploadToken).toBeDefined();
    },
  );
});
