import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireMember } from '../../src/services/access.ts';
import { updateProject } from '../../src/services/projects.ts';
import { getRecorderLink, startRecording } from '../../src/services/recorder.ts';
import { recorderLink, startBody } from '../helpers/builders-recorder.ts';
import { DEMO_VIDEO } from '../helpers/builders-recordings.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// A project's recording length limit (projects.max_recording_seconds, set by an admin through the
// projects service) is the limit the recorder applies to new recordings of its links.

describe(`recorder honours the project's recording length limit [${testDialect}]`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const recordingsOf = async (linkId: string) =>
    t.deps.db.selectFrom('recordings').select(['id', 'duration_ms']).where('link_id', '=', linkId).execute();

  it('with a 5 s limit: 6000 ms is refused naming durationMs, 5000 ms is accepted, the link reports 5000', async () => {
    const link = await recorderLink(t.deps, { reusable: true });
    const size = DEMO_VIDEO.length;

    // Without a limit the default (180 s) applies: 6 s is fine.
    expect((await getRecorderLink(t.deps, link.linkId)).maxDurationMs).toBe(180_000);
    await startRecording(t.deps, link.linkId, startBody(size, { durationMs: 6_000 }));
    expect(await recordingsOf(link.linkId)).toHaveLength(1);

    const admin = await requireMember(t.deps, link.admin.user.id, link.workspace.id);
    await updateProject(t.deps, admin, link.defaultProject.id, { maxRecordingSeconds: 5 });

    const view = await getRecorderLink(t.deps, link.linkId);
    expect(view.state).toBe('open');
    expect(view.maxDurationMs).toBe(5_000);

    await expect(
      startRecording(t.deps, link.linkId, startBody(size, { durationMs: 6_000 })),
    ).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      field: 'durationMs',
      message: expect.stringContaining('5000'),
    });
    expect(await recordingsOf(link.linkId)).toHaveLength(1);

    const started = await startRecording(t.deps, link.linkId, startBody(size, { durationMs: 5_000 }));
    expect(started.recordingId).toMatch(/^rec_/);
    const rows = await recordingsOf(link.linkId);
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.id === started.recordingId)?.duration_ms).toBe(5_000);
  });
});
