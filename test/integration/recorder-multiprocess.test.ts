import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_PART_BYTES } from '../../src/services/s3-file-store.ts';
import { API, jsonInit, recorderLink, startBody } from '../helpers/builders-recorder.ts';
import { DEMO_VIDEO } from '../helpers/builders-recordings.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { type ServerProcesses, startServerProcesses } from '../helpers/server-processes.ts';
import { testDialect } from '../helpers/test-app.ts';

// Issue 9: with STORAGE=s3 any instance takes any chunk of a resumable upload, because the upload's
// bytes and bookkeeping are in the bucket, not on one machine. Two real `userplane serve` processes
// share one database and one bucket, each with a DATA_DIR of its own (as two machines have); the
// chunks of one tus upload alternate between them (raw tus 1.0 requests, so which instance gets
// which request is ours to choose).
//
// PostgreSQL only: an SQLite file belongs to one process, so several instances need PostgreSQL
// (docs/operations.md, "Scaling out").

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const TUS = { 'tus-resumable': '1.0.0' };

describe.runIf(testDialect === 'postgres')('two server processes on one database and one bucket', () => {
  let s3: TestS3Server;
  let procs: ServerProcesses;
  const machines = mkdtempSync(join(tmpdir(), 'userplane-machines-'));
  beforeAll(async () => {
    s3 = await startS3Server({ prefix: 'shared/' });
    procs = await startServerProcesses(2, {
      env: s3.env,
      envFor: (index) => ({ DATA_DIR: join(machines, `instance-${index}`) }),
    });
  });
  afterAll(async () => {
    await procs?.stop();
    await s3?.stop();
    rmSync(machines, { recursive: true, force: true });
  });

  it('one upload whose chunks alternate between the instances completes, and the video downloads byte-identical', async () => {
    const [a, b] = procs.urls as [string, string];
    const link = await procs.withDeps((deps) => recorderLink(deps));
    // A real WebM header, then enough bytes for three parts; chunks cut across part boundaries.
    const video = Buffer.concat([DEMO_VIDEO, randomBytes(2 * UPLOAD_PART_BYTES + 1_234_567)]);
    const started = await fetch(
      `${a}${API}/links/${link.linkId}/recordings`,
      jsonInit('POST', startBody(video.length)),
    );
    expect(started.status).toBe(201);
    const { recordingId, uploadToken } = (
      (await started.json()) as {
        data: { recordingId: string; uploadToken: string };
      }
    ).data;
    const auth = { authorization: `Bearer ${uploadToken}` };

    // Creation on A.
    const created = await fetch(`${a}${API}/uploads`, {
      method: 'POST',
      headers: {
        ...TUS,
        ...auth,
        'upload-length': String(video.length),
        'upload-metadata': `filetype ${Buffer.from('video/webm').toString('base64')}`,
      },
    });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    expect(location).toBe(`${API}/uploads/${recordingId}`);

    // PATCH chunk 1 on B, chunk 2 on A, …: a whole part, a sliver, most of a part, the rest.
    const cuts = [UPLOAD_PART_BYTES, UPLOAD_PART_BYTES + 300_000, 2 * UPLOAD_PART_BYTES + 10, video.length];
    let offset = 0;
    for (const [index, end] of cuts.entries()) {
      const here = index % 2 === 0 ? b : a;
      const there = here === a ? b : a;
      // The other instance knows where the upload stands (a tus client's HEAD after a reconnect).
      const head = await fetch(`${there}${location}`, { method: 'HEAD', headers: { ...TUS, ...auth } });
      expect(head.status).toBe(200);
      expect(head.headers.get('upload-offset')).toBe(String(offset));
      const patch = await fetch(`${here}${location}`, {
        method: 'PATCH',
        headers: {
          ...TUS,
          ...auth,
          'upload-offset': String(offset),
          'content-type': 'application/offset+octet-stream',
        },
        body: video.subarray(offset, end),
      });
      expect(patch.status, await patch.clone().text()).toBe(204);
      expect(patch.headers.get('upload-offset')).toBe(String(end));
      offset = end;
    }

    const finish = await fetch(`${b}${API}/recordings/${recordingId}/finish`, {
      method: 'POST',
      headers: auth,
    });
    expect(finish.status).toBe(200);

    // The team sees it ready on either instance, and the video comes from the bucket, whole.
    const rest = (base: string, path = '') =>
      fetch(`${base}/api/v1/public/workspace/${link.workspace.id}/recordings/${recordingId}${path}`, {
        headers: link.owner.headers,
      });
    const detail = (await (await rest(a)).json()) as { data: { recording: { status: string } } };
    expect(detail.data.recording.status).toBe('ready');
    const resource = (
      (await (await rest(b, '/video')).json()) as {
        data: { resource: { url: string; size: number; type: string } };
      }
    ).data.resource;
    expect(resource).toMatchObject({ size: video.length, type: 'video/webm' });
    expect(new URL(resource.url).origin).toBe(s3.endpoint);
    const downloaded = await fetch(resource.url);
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get('content-type')).toBe('video/webm');
    expect(sha256(Buffer.from(await downloaded.arrayBuffer()))).toBe(sha256(video));
    const seek = await fetch(resource.url, {
      headers: { Range: `bytes=${UPLOAD_PART_BYTES - 5}-${UPLOAD_PART_BYTES + 4}` },
    });
    expect(seek.status).toBe(206);
    expect(Buffer.from(await seek.arrayBuffer())).toEqual(
      video.subarray(UPLOAD_PART_BYTES - 5, UPLOAD_PART_BYTES + 5),
    );

    expect(await s3.keys(`shared/${recordingId}`)).toEqual([`shared/${recordingId}/video.webm`]);
    expect(await s3.keys('shared/uploads/')).toEqual([]);
  });
});
