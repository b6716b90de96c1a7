import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_KINDS } from '../../src/domain/recording-resources.ts';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { json, type TestUser } from '../helpers/builders.ts';
import {
  DEMO_THUMBNAIL,
  DEMO_VIDEO,
  insertDomainRow,
  insertLinkRow,
  insertProjectRow,
  makeRecording,
  recordingsWorkspace,
  sampleResources,
} from '../helpers/builders-recordings.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof recordingsWorkspace>>;

describe(`recording resources and signed file URLs [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1, 12));
  let t: TestApp;
  let w: Team;
  let full: string;
  let videoOnly: string;

  const base = () => `/api/v1/public/workspace/${w.workspace.id}/recordings`;
  const get = (who: TestUser, path: string) => t.request(path, { headers: who.headers });
  const resourceOf = async (who: TestUser, id: string, kind: string) => {
    const res = await get(who, `${base()}/${id}/${kind}`);
    return { status: res.status, body: await res.json() };
  };
  /** The signed URL as the in-process app receives it (path + query of the absolute URL). */
  const local = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };

  beforeAll(async () => {
    t = await createTestApp({ clock });
    w = await recordingsWorkspace(t.deps);
    full = (await makeRecording(t.deps, w.links.member)).id;
    videoOnly = (await makeRecording(t.deps, w.links.owner, { resources: sampleResources(['video']) })).id;
  });
  afterAll(async () => t.close());

  it.each(['owner', 'admin', 'member'] as const)(
    'the %s gets a signed, absolute, short-lived video URL',
    async (role) => {
      const { status, body } = await resourceOf(w[role], full, 'video');
      expect(status).toBe(200);
      expect(body.data.recordingId).toBe(full);
      const { resource } = body.data;
      expect(resource).toEqual({
        url: expect.stringMatching(
          new RegExp(`^http://localhost:3000/files/${full}/video\\.webm\\?exp=\\d+&sig=[\\w-]{43}$`),
        ),
        message: expect.any(String),
        type: 'video/webm',
        size: DEMO_VIDEO.length,
        durationMs: 15_000,
        sources: [{ url: resource.url, type: 'video/webm' }],
        captureEnabled: true,
      });
      // Valid for FILE_URL_TTL_SECONDS (300 by default) from now.
      expect(Number(new URL(resource.url).searchParams.get('exp'))).toBe(
        Math.floor(clock.now() / 1000) + 300,
      );
    },
  );

  it('the signed URL serves the real bytes, whole and by Range (206)', async () => {
    const { body } = await resourceOf(w.member, full, 'video');
    const url = local(body.data.resource.url);
    const whole = await t.request(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/webm');
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(DEMO_VIDEO);
    const part = await t.request(url, { headers: { range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-3/${DEMO_VIDEO.length}`);
    // The EBML magic number every WebM starts with.
    expect(Buffer.from(await part.arrayBuffer())).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]));
  });

  it('serves every captured kind with its content type and bytes', async () => {
    const expected: Record<string, { type: string; bytes: Buffer }> = {
      thumbnail: { type: 'image/png', bytes: DEMO_THUMBNAIL },
    };
    for (const r of sampleResources(['console-log', 'network-log', 'action'])) {
      if ('data' in r) expected[r.kind] = { type: r.contentType, bytes: Buffer.from(r.data) };
    }
    for (const [kind, { type, bytes }] of Object.entries(expected)) {
      const { status, body } = await resourceOf(w.member, full, kind);
      expect(status).toBe(200);
      expect(body.data.resource).toMatchObject({ type, size: bytes.length, captureEnabled: true });
      expect(body.data.resource.durationMs).toBeUndefined();
      expect(body.data.resource.sources).toBeUndefined();
      const file = await t.request(local(body.data.resource.url));
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe(type);
      expect(Buffer.from(await file.arrayBuffer())).toEqual(bytes);
    }
  });

  it('a signed URL stops working when it expires (fake clock); a fresh one works again', async () => {
    const { body } = await resourceOf(w.member, full, 'thumbnail');
    const url = local(body.data.resource.url);
    clock.advance(299_000);
    expect((await t.request(url)).status).toBe(200);
    clock.advance(1_000);
    const late = await t.request(url);
    expect(late.status).toBe(403);
    expect((await late.json()).error).toBe('URL_EXPIRED');
    const fresh = await resourceOf(w.member, full, 'thumbnail');
    expect((await t.request(local(fresh.body.data.resource.url))).status).toBe(200);
  });

  it('a tampered URL is refused: other signature, other expiry, other file', async () => {
    const { body } = await resourceOf(w.member, full, 'video');
    const u = new URL(body.data.resource.url);
    const sig = u.searchParams.get('sig')!;
    const exp = u.searchParams.get('exp')!;
    const flipped = `${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}${sig.at(-1)}`;
    const attempts = [
      `${u.pathname}?exp=${exp}&sig=${flipped}`,
      `${u.pathname}?exp=${Number(exp) + 3600}&sig=${sig}`,
      `/files/${full}/thumbnail.png?exp=${exp}&sig=${sig}`,
      `/files/${videoOnly}/video.webm?exp=${exp}&sig=${sig}`,
      u.pathname,
    ];
    for (const attempt of attempts) {
      const res = await t.request(attempt);
      expect(res.status).toBe(403);
      expect((await res.json()).error).toBe('URL_SIGNATURE_INVALID');
    }
  });

  it('a resource that was not captured has url null', async () => {
    for (const kind of ['console-log', 'network-log', 'action'] as const) {
      const { status, body } = await resourceOf(w.admin, videoOnly, kind);
      expect(status).toBe(200);
      expect(body.data).toEqual({
        recordingId: videoOnly,
        resource: {
          url: null,
          message: expect.stringContaining('No '),
          type: kind === 'console-log' ? 'application/x-ndjson' : 'application/json',
          size: 0,
          captureEnabled: false,
        },
      });
    }
    const thumb = await resourceOf(w.admin, videoOnly, 'thumbnail');
    expect(thumb.body.data.resource).toMatchObject({ url: null, type: 'image/png', size: 0 });
  });

  it('a pending recording has no video URL yet', async () => {
    const pending = await makeRecording(t.deps, w.links.admin, { resources: [] });
    await t.store.db
      .updateTable('recordings')
      .set({ status: 'pending' })
      .where('id', '=', pending.id)
      .execute();
    const { status, body } = await resourceOf(w.member, pending.id, 'video');
    expect(status).toBe(200);
    expect(body.data.resource).toMatchObject({ url: null, captureEnabled: true });
    expect(body.data.resource.message).toMatch(/uploading/);
  });

  it('an unknown kind is a 400 naming it', async () => {
    const { status, body } = await resourceOf(w.member, full, 'screenshot');
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'VALIDATION_FAILED', message: expect.stringContaining('kind') });
  });

  it('an expired recording: 410 RECORDING_EXPIRED for every resource, metadata still readable', async () => {
    const project = await insertProjectRow(t.deps, w.workspace.id, { retentionDays: 1 });
    const link = await insertLinkRow(t.deps, {
      workspaceId: w.workspace.id,
      projectId: project,
      domainId: w.domainId,
      creatorMemberId: w.memberIds.member!,
    });
    const rec = await makeRecording(t.deps, link);
    const before = await resourceOf(w.member, rec.id, 'video');
    const oldUrl = local(before.body.data.resource.url);
    clock.advance(DAY_MS);
    for (const kind of RESOURCE_KINDS) {
      const { status, body } = await resourceOf(w.member, rec.id, kind);
      expect(status).toBe(410);
      expect(body.error).toBe('RECORDING_EXPIRED');
    }
    const meta = await get(w.member, `${base()}/${rec.id}`);
    expect(meta.status).toBe(200);
    expect((await meta.json()).data.recording.expired).toBe(true);
    // A URL handed out before expiry has itself run out long since (minutes vs. days).
    expect((await t.request(oldUrl)).status).toBe(403);
  });

  it('a deleted recording: 410 RECORDING_GONE; a URL already handed out runs out as usual', async () => {
    const rec = await makeRecording(t.deps, w.links.member);
    const { body } = await resourceOf(w.member, rec.id, 'video');
    const url = local(body.data.resource.url);
    expect((await t.request(`${base()}/${rec.id}`, json('DELETE', w.member))).status).toBe(200);
    for (const kind of RESOURCE_KINDS) {
      const after = await resourceOf(w.member, rec.id, kind);
      expect(after.status).toBe(410);
      expect(after.body.error).toBe('RECORDING_GONE');
    }
    // Soft delete keeps the files for a restore (issue 9), so a URL handed out before the delete
    // works until it runs out (FILE_URL_TTL_SECONDS, minutes), as a presigned S3 URL would; the API
    // hands out no new one. The retention job removes the files after the grace period.
    expect((await t.request(url)).status).toBe(200);
    clock.advance(301_000);
    const file = await t.request(url);
    expect(file.status).toBe(403);
    expect((await file.json()).error).toBe('URL_EXPIRED');
  });

  it('a non-member gets 403 NOT_A_MEMBER and no URL (S39); another workspace of the caller: mismatch', async () => {
    const res = await resourceOf(w.outsider, full, 'video');
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('NOT_A_MEMBER');
    expect(JSON.stringify(res.body)).not.toContain('/files/');

    const second = await createWorkspace(t.deps, { name: 'Second', ownerUserId: w.member.user.id });
    const domain = await insertDomainRow(t.deps, second.workspace.id);
    const link = await insertLinkRow(t.deps, {
      workspaceId: second.workspace.id,
      projectId: second.defaultProject.id,
      domainId: domain,
      creatorMemberId: second.ownerMemberId,
    });
    const elsewhere = (await makeRecording(t.deps, link)).id;
    const mismatch = await resourceOf(w.member, elsewhere, 'video');
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.error).toBe('RECORDING_WORKSPACE_MISMATCH');
    const hidden = await resourceOf(w.admin, elsewhere, 'video');
    expect(hidden.status).toBe(404);
    expect(hidden.body.error).toBe('RECORDING_NOT_FOUND');
  });
});
