import { randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Upload } from '@tus/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { uploadsDir } from '../../src/services/file-store.ts';
import { failAbandonedUploads, startRecording } from '../../src/services/recorder.ts';
import { API, recorderLink, startBody } from '../helpers/builders-recorder.ts';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// Uploads left unfinished: after 24 h without activity the maintenance job marks them failed with a
// reason, removes their parts, and gives a single-use link its slot back.

describe(`abandoned uploads [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 11, 1));
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  // As main.ts runs it: the file store says when an upload last moved and removes its parts.
  const job = () => failAbandonedUploads(t.deps);

  it('marks uploads idle for 24 h failed, removes their parts, and lets a single-use link record again; a slow upload still moving is kept', async () => {
    const idle = await recorderLink(t.deps);
    const slow = await recorderLink(t.deps);
    const idleRec = await startRecording(t.deps, idle.linkId, startBody(1000));
    const slowRec = await startRecording(t.deps, slow.linkId, startBody(1000));
    // Both have parts on disk; the slow one's bytes are still arriving.
    const dir = uploadsDir(t.config.dataDir);
    mkdirSync(dir, { recursive: true });
    for (const id of [idleRec.recordingId, slowRec.recordingId]) {
      writeFileSync(join(dir, id), 'partial');
      writeFileSync(join(dir, `${id}.json`), '{}');
    }
    const old = (clock.now() - 1000) / 1000;
    utimesSync(join(dir, idleRec.recordingId), old, old);

    clock.advance(DAY_MS - 60_000);
    expect(await job()).toBe(0);
    clock.advance(2 * 60_000);
    const after = clock.now();
    utimesSync(join(dir, slowRec.recordingId), after / 1000, after / 1000);
    expect(await job()).toBe(1);

    const rows = await t.store.db
      .selectFrom('recordings')
      .select(['id', 'status', 'failure_reason'])
      .where('id', 'in', [idleRec.recordingId, slowRec.recordingId])
      .execute();
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[idleRec.recordingId]).toMatchObject({ status: 'failed' });
    expect(byId[idleRec.recordingId]!.failure_reason).toMatch(/abandoned/);
    expect(byId[slowRec.recordingId]!.status).toBe('pending');
    expect(await t.deps.files.uploadLastActivity(idleRec.recordingId)).toBeUndefined();

    // The single-use link takes a recording again.
    const res = await t.request(`${API}/links/${idle.linkId}`);
    expect(((await res.json()) as { data: { state: string } }).data.state).toBe('open');
    await expect(startRecording(t.deps, idle.linkId, startBody(1000))).resolves.toMatchObject({
      recordingId: expect.stringMatching(/^rec_/),
    });
  });
});

describe(`abandoned uploads on S3 [${testDialect}]`, () => {
  // The bucket dates an upload's activity by its own clock (the real one), so this clock starts now.
  const clock = fakeClock(Date.now());
  let s3: TestS3Server;
  let t: TestApp;
  beforeAll(async () => {
    s3 = await startS3Server();
    t = await createTestApp({ clock, env: s3.env });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
  });

  it('marks an upload idle for 24 h failed and removes its parts from the bucket', async () => {
    const link = await recorderLink(t.deps);
    const rec = await startRecording(t.deps, link.linkId, startBody(8 * 1024 * 1024));
    const store = t.deps.files.uploadStore();
    await store.create(new Upload({ id: rec.recordingId, size: 8 * 1024 * 1024, offset: 0, metadata: {} }));
    // A whole part and a tail: a multipart upload with a part, and the tail object.
    await store.write(Readable.from([randomBytes(6 * 1024 * 1024)]), rec.recordingId, 0);
    expect(await s3.keys(`uploads/${rec.recordingId}`)).toEqual([
      `uploads/${rec.recordingId}.info`,
      `uploads/${rec.recordingId}.tail`,
    ]);

    clock.advance(DAY_MS - 60 * 60_000);
    expect(await failAbandonedUploads(t.deps)).toBe(0);
    clock.advance(2 * 60 * 60_000);
    expect(await failAbandonedUploads(t.deps)).toBe(1);

    const row = await t.store.db
      .selectFrom('recordings')
      .select(['status', 'failure_reason'])
      .where('id', '=', rec.recordingId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(await s3.keys(`uploads/${rec.recordingId}`)).toEqual([]);
    expect(await t.deps.files.uploadLastActivity(rec.recordingId)).toBeUndefined();
  });
});
