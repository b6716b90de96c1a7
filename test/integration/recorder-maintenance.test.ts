import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import {
  failAbandonedUploads,
  removeUploadParts,
  startRecording,
  uploadLastActivity,
  uploadsDir,
} from '../../src/services/recorder.ts';
import { API, recorderLink, startBody } from '../helpers/builders-recorder.ts';
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

  const job = () =>
    failAbandonedUploads(t.deps, {
      lastActivity: (id) => uploadLastActivity(t.config.dataDir, id),
      removeParts: (id) => removeUploadParts(t.config.dataDir, id),
    });

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
    expect(await uploadLastActivity(t.config.dataDir, idleRec.recordingId)).toBeUndefined();

    // The single-use link takes a recording again.
    const res = await t.request(`${API}/links/${idle.linkId}`);
    expect(((await res.json()) as { data: { state: string } }).data.state).toBe('open');
    await expect(startRecording(t.deps, idle.linkId, startBody(1000))).resolves.toMatchObject({
      recordingId: expect.stringMatching(/^rec_/),
    });
  });
});
