import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { requireMember } from '../../src/services/access.ts';
import { createRecording, setRecordingExpiry } from '../../src/services/recordings.ts';
import { createWorkspace } from '../../src/services/workspaces.ts';
import { json, type TestUser } from '../helpers/builders.ts';
import {
  insertDomainRow,
  insertLinkRow,
  insertProjectRow,
  makeRecording,
  recordingsWorkspace,
  sampleResources,
} from '../helpers/builders-recordings.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

type Team = Awaited<ReturnType<typeof recordingsWorkspace>>;

describe(`recordings over HTTP [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 5, 1));
  let t: TestApp;
  let w: Team;
  /** Recording ids by the link owner's label, oldest first. */
  const recs: Record<string, string[]> = { owner: [], admin: [], member: [], member2: [] };
  let secondWorkspaceId: string;
  let secondRecordingId: string;
  let outsiderRecordingId: string;

  const base = () => `/api/v1/public/workspace/${w.workspace.id}/recordings`;
  const get = (who: TestUser, path: string) => t.request(path, { headers: who.headers });

  beforeAll(async () => {
    t = await createTestApp({ clock });
    w = await recordingsWorkspace(t.deps);
    // 3 recordings per link, one second apart, interleaved so "newest first" crosses links.
    for (let i = 0; i < 3; i++) {
      for (const who of ['owner', 'admin', 'member', 'member2'] as const) {
        clock.advance(1000);
        recs[who]!.push((await makeRecording(t.deps, w.links[who])).id);
      }
    }
    // A second workspace the owner also belongs to, and one of the outsider's.
    const second = await createWorkspace(t.deps, { name: 'Second', ownerUserId: w.owner.user.id });
    secondWorkspaceId = second.workspace.id;
    const secondDomain = await insertDomainRow(t.deps, secondWorkspaceId);
    const secondLink = await insertLinkRow(t.deps, {
      workspaceId: secondWorkspaceId,
      projectId: second.defaultProject.id,
      domainId: secondDomain,
      creatorMemberId: second.ownerMemberId,
    });
    secondRecordingId = (await makeRecording(t.deps, secondLink)).id;
    const theirs = await createWorkspace(t.deps, { name: 'Theirs', ownerUserId: w.outsider.user.id });
    const theirDomain = await insertDomainRow(t.deps, theirs.workspace.id);
    const theirLink = await insertLinkRow(t.deps, {
      workspaceId: theirs.workspace.id,
      projectId: theirs.defaultProject.id,
      domainId: theirDomain,
      creatorMemberId: theirs.ownerMemberId,
    });
    outsiderRecordingId = (await makeRecording(t.deps, theirLink)).id;
  });
  afterAll(async () => t.close());

  const allNewestFirst = () => {
    const out: string[] = [];
    for (let i = 2; i >= 0; i--)
      for (const who of ['member2', 'member', 'admin', 'owner']) out.push(recs[who]![i]!);
    return out;
  };

  describe('GET /recordings', () => {
    it.each(['owner', 'admin', 'member'] as const)(
      'lists newest first for the %s, 10 by default',
      async (role) => {
        const res = await get(w[role], base());
        expect(res.status).toBe(200);
        const body = await res.json();
        expect(body.message).toEqual(expect.any(String));
        expect(body.data.recordings.map((r: { recordingId: string }) => r.recordingId)).toEqual(
          allNewestFirst().slice(0, 10),
        );
        expect(body.data.pagination).toEqual({
          page: 1,
          perPage: 10,
          total: 12,
          totalPages: 2,
          hasMore: true,
        });
      },
    );

    it('pages with page/per_page and caps per_page at 20 (S38)', async () => {
      const res = await get(w.member, `${base()}?page=2&per_page=5`);
      const body = await res.json();
      expect(body.data.recordings.map((r: { recordingId: string }) => r.recordingId)).toEqual(
        allNewestFirst().slice(5, 10),
      );
      expect(body.data.pagination).toEqual({ page: 2, perPage: 5, total: 12, totalPages: 3, hasMore: true });
      const max = await get(w.member, `${base()}?per_page=20`);
      expect((await max.json()).data.recordings).toHaveLength(12);
      const tooMany = await get(w.member, `${base()}?per_page=21`);
      expect(tooMany.status).toBe(400);
      expect(await tooMany.json()).toMatchObject({
        error: 'VALIDATION_FAILED',
        message: expect.stringContaining('per_page'),
      });
      const zero = await get(w.member, `${base()}?page=0`);
      expect((await zero.json()).error).toBe('VALIDATION_FAILED');
    });

    it('filters by project_id, link_id and created_by', async () => {
      const ids = async (query: string) =>
        (await (await get(w.admin, `${base()}?${query}`)).json()).data.recordings.map(
          (r: { recordingId: string }) => r.recordingId,
        );
      expect(await ids(`project_id=${w.otherProjectId}`)).toEqual([...recs.member2!].reverse());
      expect(await ids(`link_id=${w.links.admin}`)).toEqual([...recs.admin!].reverse());
      expect(await ids(`created_by=${w.memberIds.member}`)).toEqual([...recs.member!].reverse());
      expect(await ids(`created_by=${w.memberIds.member}&project_id=${w.otherProjectId}`)).toEqual([]);
      expect(await ids('link_id=lnk_unknown')).toEqual([]);
      const long = await get(w.admin, `${base()}?project_id=${'x'.repeat(65)}`);
      expect(long.status).toBe(400);
      expect((await long.json()).message).toContain('project_id');
    });

    it('answers a non-member and an unknown workspace alike: 403 NOT_A_MEMBER (S39)', async () => {
      const real = await get(w.outsider, base());
      const unknown = await get(
        w.outsider,
        '/api/v1/public/workspace/ws_00000000000000000000000000/recordings',
      );
      expect(real.status).toBe(403);
      expect(unknown.status).toBe(403);
      expect(await real.json()).toEqual(await unknown.json());
    });

    it('never shows another workspace’s recordings', async () => {
      const body = await (await get(w.owner, `${base()}?per_page=20`)).json();
      const ids = body.data.recordings.map((r: { recordingId: string }) => r.recordingId);
      expect(ids).not.toContain(secondRecordingId);
      expect(ids).not.toContain(outsiderRecordingId);
    });
  });

  describe('GET /recordings/{id}', () => {
    it('returns the recording in the public wire shape', async () => {
      const id = recs.member![0]!;
      const res = await get(w.admin, `${base()}/${id}`);
      expect(res.status).toBe(200);
      const { recording } = (await res.json()).data;
      expect(recording).toEqual({
        recordingId: id,
        recordingDurationMs: 15_000,
        recordingStartedAt: expect.stringMatching(/^2026-06-01T00:00:\d\d\.000Z$/),
        status: 'ready',
        expiresAt: null,
        expired: false,
        createdAt: expect.stringMatching(/Z$/),
        updatedAt: expect.stringMatching(/Z$/),
        systemMeta: { browser: 'Chrome 126', os: 'macOS 14.5', screen: { width: 1440, height: 900 } },
        customMeta: { ticketId: 42 },
        notes: 'It broke',
        playerUrl: `http://localhost:3000/recordings/${id}`,
        link: { linkId: w.links.member, linkTitle: "member's link" },
        project: { projectId: w.defaultProject.id, title: 'Default' },
        domain: { domainId: w.domainId, url: 'app.example.com', status: 'verified' },
        creator: { workspaceMemberId: w.memberIds.member, name: 'member' },
      });
    });

    it('404 RECORDING_NOT_FOUND for an unknown id; 400 for an overlong one (S38)', async () => {
      const res = await get(w.member, `${base()}/rec_00000000000000000000000000`);
      expect(res.status).toBe(404);
      expect((await res.json()).error).toBe('RECORDING_NOT_FOUND');
      const long = await get(w.member, `${base()}/${'r'.repeat(65)}`);
      expect(long.status).toBe(400);
      expect((await long.json()).error).toBe('VALIDATION_FAILED');
    });

    it('another workspace of the caller: 403 RECORDING_WORKSPACE_MISMATCH; otherwise 404 (S39)', async () => {
      const mismatch = await get(w.owner, `${base()}/${secondRecordingId}`);
      expect(mismatch.status).toBe(403);
      expect((await mismatch.json()).error).toBe('RECORDING_WORKSPACE_MISMATCH');
      // The admin is not in the second workspace, so for them it simply does not exist.
      const hidden = await get(w.admin, `${base()}/${secondRecordingId}`);
      const unknown = await get(w.admin, `${base()}/rec_00000000000000000000000000`);
      expect(hidden.status).toBe(404);
      expect(await hidden.json()).toEqual(await unknown.json());
      const foreign = await get(w.owner, `${base()}/${outsiderRecordingId}`);
      expect(foreign.status).toBe(404);
      expect((await foreign.json()).error).toBe('RECORDING_NOT_FOUND');
    });

    it('a non-member gets 403 NOT_A_MEMBER whether or not the recording exists (S39)', async () => {
      const real = await get(w.outsider, `${base()}/${recs.owner![0]}`);
      const fake = await get(w.outsider, `${base()}/rec_00000000000000000000000000`);
      expect(real.status).toBe(403);
      expect(await real.json()).toEqual(await fake.json());
    });
  });

  describe('DELETE /recordings/{id}', () => {
    it('a member may not delete a recording of someone else’s link: 403 RECORDING_DELETE_FORBIDDEN', async () => {
      const id = recs.owner![0]!;
      const res = await t.request(`${base()}/${id}`, json('DELETE', w.member));
      expect(res.status).toBe(403);
      const body = await res.json();
      expect(body.error).toBe('RECORDING_DELETE_FORBIDDEN');
      expect(body.message).toContain('admin or owner');
      expect((await get(w.owner, `${base()}/${id}`)).status).toBe(200);
    });

    it('a member deletes a recording of their own link; then it is gone (410), its files kept for a restore', async () => {
      const id = recs.member![0]!;
      const dir = join(t.config.dataDir, 'files', id);
      expect(existsSync(dir)).toBe(true);
      const res = await t.request(`${base()}/${id}`, json('DELETE', w.member));
      expect(res.status).toBe(200);
      expect((await res.json()).data).toEqual({ recordingId: id });
      const after = await get(w.member, `${base()}/${id}`);
      expect(after.status).toBe(410);
      expect((await after.json()).error).toBe('RECORDING_GONE');
      const again = await t.request(`${base()}/${id}`, json('DELETE', w.owner));
      expect(again.status).toBe(410);
      expect((await again.json()).error).toBe('RECORDING_GONE');
      const video = await get(w.member, `${base()}/${id}/video`);
      expect((await video.json()).error).toBe('RECORDING_GONE');
      const listed = await (await get(w.member, `${base()}?per_page=20`)).json();
      expect(listed.data.pagination.total).toBe(11);
      expect(listed.data.recordings.map((r: { recordingId: string }) => r.recordingId)).not.toContain(id);
      // Soft delete keeps the files (issue 9): a restore brings everything back within the grace
      // period; the retention job removes them after it (test/integration/retention.test.ts).
      expect(existsSync(dir)).toBe(true);
      // The row stays (soft delete): the single-use rule and audits still see it.
      const row = await t.store.db
        .selectFrom('recordings')
        .select('deleted_at')
        .where('id', '=', id)
        .executeTakeFirst();
      expect(row?.deleted_at).toBe(clock.now());
    });

    it.each(['admin', 'owner'] as const)('the %s deletes anyone’s recording', async (role) => {
      const id = role === 'admin' ? recs.member2![0]! : recs.admin![0]!;
      const res = await t.request(`${base()}/${id}`, json('DELETE', w[role]));
      expect(res.status).toBe(200);
      expect((await get(w[role], `${base()}/${id}`)).status).toBe(410);
    });

    it('a non-member: 403 NOT_A_MEMBER and nothing changes (S39)', async () => {
      const id = recs.owner![1]!;
      const res = await t.request(`${base()}/${id}`, json('DELETE', w.outsider));
      expect(res.status).toBe(403);
      expect((await res.json()).error).toBe('NOT_A_MEMBER');
      expect((await get(w.owner, `${base()}/${id}`)).status).toBe(200);
    });

    it('another workspace’s recording cannot be deleted through this one', async () => {
      const res = await t.request(`${base()}/${secondRecordingId}`, json('DELETE', w.owner));
      expect(res.status).toBe(403);
      expect((await res.json()).error).toBe('RECORDING_WORKSPACE_MISMATCH');
      const still = await get(
        w.owner,
        `/api/v1/public/workspace/${secondWorkspaceId}/recordings/${secondRecordingId}`,
      );
      expect(still.status).toBe(200);
    });

    it('role changes apply on the next request (S40)', async () => {
      await t.store.db
        .updateTable('members')
        .set({ role: 'member' })
        .where('id', '=', w.memberIds.admin!)
        .execute();
      const res = await t.request(`${base()}/${recs.owner![1]}`, json('DELETE', w.admin));
      expect(res.status).toBe(403);
      expect((await res.json()).error).toBe('RECORDING_DELETE_FORBIDDEN');
      await t.store.db
        .updateTable('members')
        .set({ removed_at: clock.now() })
        .where('id', '=', w.memberIds.admin!)
        .execute();
      const removed = await get(w.admin, `${base()}/${recs.owner![1]}`);
      expect(removed.status).toBe(403);
      expect((await removed.json()).error).toBe('NOT_A_MEMBER');
      await t.store.db
        .updateTable('members')
        .set({ role: 'admin', removed_at: null })
        .where('id', '=', w.memberIds.admin!)
        .execute();
      expect((await get(w.admin, `${base()}/${recs.owner![1]}`)).status).toBe(200);
    });
  });

  describe('expiry', () => {
    it('follows the project retention; an expired recording stays readable with expired: true', async () => {
      const project = await insertProjectRow(t.deps, w.workspace.id, { title: 'Short', retentionDays: 7 });
      const link = await insertLinkRow(t.deps, {
        workspaceId: w.workspace.id,
        projectId: project,
        domainId: w.domainId,
        creatorMemberId: w.memberIds.member!,
      });
      const rec = await makeRecording(t.deps, link);
      expect(rec.expiresAt).toBe(clock.now() + 7 * DAY_MS);
      const url = `${base()}/${rec.id}`;
      expect((await (await get(w.member, url)).json()).data.recording).toMatchObject({
        expired: false,
        expiresAt: new Date(clock.now() + 7 * DAY_MS).toISOString(),
      });
      clock.advance(7 * DAY_MS);
      const later = await get(w.member, url);
      expect(later.status).toBe(200);
      expect((await later.json()).data.recording.expired).toBe(true);
      const listed = await (await get(w.member, `${base()}?link_id=${link}`)).json();
      expect(listed.data.recordings[0]).toMatchObject({ recordingId: rec.id, expired: true });
      const video = await get(w.member, `${url}/video`);
      expect(video.status).toBe(410);
      expect((await video.json()).error).toBe('RECORDING_EXPIRED');
    });

    it('setRecordingExpiry: any member, future, at most a year ahead, or cleared', async () => {
      const id = recs.owner![2]!;
      const access = await requireMember(t.deps, w.member.user.id, w.workspace.id);
      const now = clock.now();
      for (const bad of [now, now - 1, now + 366 * DAY_MS]) {
        await expect(setRecordingExpiry(t.deps, access, id, bad)).rejects.toMatchObject({
          status: 400,
          code: 'VALIDATION_FAILED',
          field: 'expiresAt',
        });
      }
      const set = await setRecordingExpiry(t.deps, access, id, now + 365 * DAY_MS);
      expect(set.expiresAt).toBe(now + 365 * DAY_MS);
      const cleared = await setRecordingExpiry(t.deps, access, id, null);
      expect(cleared.expiresAt).toBeNull();
      await expect(setRecordingExpiry(t.deps, access, recs.member![0]!, null)).rejects.toMatchObject({
        status: 410,
        code: 'RECORDING_GONE',
      });
    });
  });

  describe('createRecording', () => {
    it('a single-use link takes one recording, even under concurrency, and stays used after a delete', async () => {
      const link = await insertLinkRow(t.deps, {
        workspaceId: w.workspace.id,
        projectId: w.defaultProject.id,
        domainId: w.domainId,
        creatorMemberId: w.memberIds.member!,
        reusable: false,
      });
      // Without files the attempts reach the database together, which is where the race would be.
      const results = await Promise.allSettled(
        [1, 2, 3, 4, 5].map(() => makeRecording(t.deps, link, { resources: [] })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results.filter((x) => x.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({ status: 409, code: 'CONFLICT' });
      }
      const rows = await t.store.db
        .selectFrom('recordings')
        .select('id')
        .where('link_id', '=', link)
        .execute();
      expect(rows).toHaveLength(1);
      // Losers left no files behind: every folder belongs to a recording row (deleted ones keep
      // their files until the retention job purges them).
      const winner = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
      const stored = await t.store.db.selectFrom('recordings').select('id').execute();
      const storedIds = new Set(stored.map((r) => r.id));
      expect(readdirSync(join(t.config.dataDir, 'files')).filter((d) => !storedIds.has(d))).toEqual([]);

      const res = await t.request(`${base()}/${winner}`, json('DELETE', w.member));
      expect(res.status).toBe(200);
      await expect(makeRecording(t.deps, link)).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    });

    it('copies workspace, project and creator from the link', async () => {
      const rec = await makeRecording(t.deps, w.links.member2);
      expect(rec).toMatchObject({
        workspaceId: w.workspace.id,
        project: { id: w.otherProjectId, title: 'Mobile' },
        creator: { memberId: w.memberIds.member2 },
        link: { id: w.links.member2 },
        status: 'ready',
      });
    });

    it('refuses unknown and deleted links, wrong types, oversize files and bad durations, changing nothing', async () => {
      const count = async () => (await t.store.db.selectFrom('recordings').select('id').execute()).length;
      const before = await count();
      await expect(makeRecording(t.deps, 'lnk_nope')).rejects.toMatchObject({
        status: 404,
        code: 'LINK_NOT_FOUND',
      });
      const deleted = await insertLinkRow(t.deps, {
        workspaceId: w.workspace.id,
        projectId: w.defaultProject.id,
        domainId: w.domainId,
        creatorMemberId: w.memberIds.owner!,
      });
      await t.store.db
        .updateTable('links')
        .set({ deleted_at: clock.now() })
        .where('id', '=', deleted)
        .execute();
      await expect(makeRecording(t.deps, deleted)).rejects.toMatchObject({ status: 410, code: 'LINK_GONE' });
      const link = w.links.owner;
      await expect(
        makeRecording(t.deps, link, {
          resources: [{ kind: 'video', contentType: 'video/x-msvideo', data: 'x' }],
        }),
      ).rejects.toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', field: 'resources.video' });
      await expect(
        makeRecording(t.deps, link, {
          resources: [
            { kind: 'thumbnail', contentType: 'image/png', data: Buffer.alloc(10 * 1024 * 1024 + 1) },
          ],
        }),
      ).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', field: 'resources.thumbnail' });
      for (const durationMs of [999, 180_001]) {
        await expect(
          makeRecording(t.deps, link, {
            resources: [{ kind: 'video', contentType: 'video/webm', data: 'x', durationMs }],
          }),
        ).rejects.toMatchObject({ status: 400, field: 'resources.video.durationMs' });
      }
      await expect(
        makeRecording(t.deps, link, {
          resources: [...sampleResources(['action']), ...sampleResources(['action'])],
        }),
      ).rejects.toMatchObject({ status: 400, field: 'resources.action' });
      await expect(
        createRecording(t.deps, {
          linkId: link,
          durationMs: -1,
          startedAt: null,
          systemMeta: {},
          customMeta: {},
          notes: null,
          resources: [],
        }),
      ).rejects.toMatchObject({ status: 400, field: 'durationMs' });
      await expect(makeRecording(t.deps, link, { notes: 'n'.repeat(5001) })).rejects.toMatchObject({
        status: 400,
        field: 'notes',
      });
      expect(await count()).toBe(before);
    });
  });
});
