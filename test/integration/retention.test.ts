import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import type { Access } from '../../src/services/access.ts';
import type { Deps } from '../../src/services/deps.ts';
import { deleteLink } from '../../src/services/links.ts';
import { deleteProject } from '../../src/services/projects.ts';
import { deleteRecording, restoreRecording, setRecordingExpiry } from '../../src/services/recordings.ts';
import { RETENTION_LEASE, runRetention } from '../../src/services/retention.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { json, type TestUser } from '../helpers/builders.ts';
import { accessOf } from '../helpers/builders-links.ts';
import {
  DEMO_VIDEO,
  insertLinkRow,
  insertProjectRow,
  makeRecording,
  recordingsWorkspace,
} from '../helpers/builders-recordings.ts';
import { mcpClientFor, type TestMcpClient } from '../helpers/mcp-client.ts';
import { hiddenValue, PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp, testDialect, testPostgresUrl } from '../helpers/test-app.ts';

// Retention that deletes (issue 9), with a fake clock, on SQLite and PostgreSQL: the job removes
// expired recordings' files (the rows stay, answering as expired on REST, MCP and the dashboard),
// purges soft-deleted recordings, links and projects after DELETED_RETENTION_DAYS (files first,
// then rows), restores inside the window bring everything back (REST, MCP, dashboard, with the
// delete's role rules), audit events are written per batch, and one process at a time does the
// work (the lease). The crash test is retention-crash.test.ts.

const START = Date.UTC(2026, 3, 1, 9, 0, 0);
const PASSWORD = 'correct horse battery';
const GRACE_MS = 30 * DAY_MS;
let ipCounter = 0;

type Team = Awaited<ReturnType<typeof recordingsWorkspace>>;

let clock: ReturnType<typeof fakeClock>;
let t: TestApp;
let w: Team;
let ws: string;
let ownerAccess: Access;

beforeEach(async () => {
  clock = fakeClock(START);
  t = await createTestApp({ clock });
  w = await recordingsWorkspace(t.deps);
  ws = w.workspace.id;
  ownerAccess = await accessOf(t.deps, w.owner, ws);
});

afterEach(async () => {
  await t.close();
});

const api = (path: string) => `/api/v1/public/workspace/${ws}${path}`;
const get = (who: TestUser, path: string) => t.request(api(path), { headers: who.headers });
const post = (who: TestUser, path: string) => t.request(api(path), json('POST', who));
const del = (who: TestUser, path: string) => t.request(api(path), json('DELETE', who));

/** The stored resources of a recording (paths and sizes), straight from the table. */
async function resourcesOf(recordingId: string) {
  return t.store.db
    .selectFrom('recording_resources')
    .select(['storage_path', 'size'])
    .where('recording_id', '=', recordingId)
    .execute();
}

async function bytesOf(recordingId: string): Promise<number> {
  return (await resourcesOf(recordingId)).reduce((sum, r) => sum + Number(r.size), 0);
}

async function recordingRow(recordingId: string) {
  return t.store.db.selectFrom('recordings').selectAll().where('id', '=', recordingId).executeTakeFirst();
}

async function usage(): Promise<{ bytes: number; recordings: number }> {
  const row = await t.store.db
    .selectFrom('workspace_usage')
    .select(['bytes', 'recordings'])
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  return { bytes: Number(row?.bytes ?? 0), recordings: Number(row?.recordings ?? 0) };
}

async function auditEvents(type: string) {
  const rows = await t.store.db
    .selectFrom('audit_events')
    .select(['workspace_id', 'detail', 'user_id'])
    .where('type', '=', type)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

/** The files of a recording as the store itself sees them: listed, and each stored path's size. */
async function filesOf(recordingId: string, paths: string[]) {
  return {
    listed: await t.deps.files.list(recordingId),
    sizes: await Promise.all(paths.map((p) => t.deps.files.size(p))),
  };
}

async function signIn(email: string): Promise<PageBrowser> {
  ipCounter += 1;
  const browser = new PageBrowser(t.app, `198.51.100.${ipCounter}`);
  const csrf = await browser.csrfFrom('/signin');
  const res = await browser.post('/signin', { csrf, email, password: PASSWORD, return_to: '/' });
  expect(res.status).toBe(303);
  return browser;
}

async function withMcp<T>(who: TestUser, fn: (client: TestMcpClient) => Promise<T>): Promise<T> {
  const client = await mcpClientFor(t.deps, who.user.id);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** A link in a project whose recordings expire after `days`. */
async function expiringLink(days: number): Promise<string> {
  const projectId = await insertProjectRow(t.deps, ws, { title: `Keep ${days} days`, retentionDays: days });
  return insertLinkRow(t.deps, {
    workspaceId: ws,
    projectId,
    domainId: w.domainId,
    creatorMemberId: w.memberIds.member!,
    title: 'Expiring link',
  });
}

describe(`retention: expired recordings [${testDialect}]`, () => {
  it('after expiry the job removes the files; the row stays and answers expired on REST, MCP and the dashboard', async () => {
    const rec = await makeRecording(t.deps, await expiringLink(7));
    const kept = await makeRecording(t.deps, w.links.member);
    const paths = (await resourcesOf(rec.id)).map((r) => r.storage_path);
    const bytes = await bytesOf(rec.id);
    expect(paths).toHaveLength(5);
    expect((await filesOf(rec.id, paths)).listed).toHaveLength(5);
    const before = await usage();

    // Not expired yet: the job leaves it alone.
    clock.set(rec.expiresAt! - 1);
    expect((await runRetention(t.deps)).expired.recordings).toBe(0);
    expect((await filesOf(rec.id, paths)).listed).toHaveLength(5);

    clock.set(rec.expiresAt! + 60_000);
    const report = await runRetention(t.deps);
    expect(report).toMatchObject({ ran: true, expired: { recordings: 1, bytes } });

    // Gone from the store, checked through its own API.
    const after = await filesOf(rec.id, paths);
    expect(after.listed).toEqual([]);
    expect(after.sizes).toEqual(paths.map(() => undefined));
    expect(await resourcesOf(rec.id)).toEqual([]);
    const row = await recordingRow(rec.id);
    expect(row?.deleted_at).toBeNull();
    expect(Number(row?.files_purged_at)).toBe(clock.now());
    // The other recording's files are untouched; storage use lost exactly these bytes, once.
    expect((await t.deps.files.list(kept.id)).length).toBe(5);
    expect(await usage()).toEqual({ bytes: before.bytes - bytes, recordings: before.recordings });
    expect((await runRetention(t.deps)).expired.recordings).toBe(0);
    expect(await usage()).toEqual({ bytes: before.bytes - bytes, recordings: before.recordings });

    const events = await auditEvents('retention.expired_files_removed');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      workspace_id: ws,
      user_id: null,
      detail: { reason: 'expired', recordings: 1, bytes, recordingIds: [rec.id] },
    });

    // REST: the details stay, marked expired; the files answer 410 RECORDING_EXPIRED.
    const info = await get(w.member, `/recordings/${rec.id}`);
    expect(info.status).toBe(200);
    expect((await info.json()).data.recording).toMatchObject({ recordingId: rec.id, expired: true });
    for (const kind of ['video', 'thumbnail', 'console-log', 'network-log', 'action']) {
      const res = await get(w.member, `/recordings/${rec.id}/${kind}`);
      expect(res.status, kind).toBe(410);
      expect((await res.json()).error, kind).toBe('RECORDING_EXPIRED');
    }

    // MCP: reported as expired, never as not found.
    await withMcp(w.member, async (mcp) => {
      const details = await mcp.call('userplane_get_rec_info', { workspaceId: ws, recordingId: rec.id });
      expect(details.structuredContent).toMatchObject({ recordingId: rec.id, expired: true });
      const video = await mcp.call('userplane_get_rec_video', { workspaceId: ws, recordingId: rec.id });
      expect(video.isError).toBe(true);
      expect(mcp.text(video)).toMatch(/^RECORDING_EXPIRED/);
    });

    // The dashboard: the player says so, and offers no new expiry date for files that are gone.
    const browser = await signIn(w.member.email);
    const page = await browser.get(`/w/${ws}/recordings/${rec.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('This recording has expired.');
    expect(html).toContain('Its video and logs have been deleted');
    expect(html).not.toContain('name="expires_on"');
    expect(html).not.toContain('<video');

    // A new expiry date cannot bring back files that are gone.
    const memberAccess = await accessOf(t.deps, w.member, ws);
    await expect(
      setRecordingExpiry(t.deps, memberAccess, rec.id, clock.now() + DAY_MS),
    ).rejects.toMatchObject({ status: 410, code: 'RECORDING_EXPIRED' });
  });

  it('a new expiry date set before the job runs keeps the files', async () => {
    const rec = await makeRecording(t.deps, await expiringLink(1));
    clock.set(rec.expiresAt! + 1000);
    const memberAccess = await accessOf(t.deps, w.member, ws);
    await setRecordingExpiry(t.deps, memberAccess, rec.id, clock.now() + 10 * DAY_MS);
    expect((await runRetention(t.deps)).expired.recordings).toBe(0);
    expect(await t.deps.files.list(rec.id)).toHaveLength(5);
  });
});

describe(`retention: deleted recordings, links and projects [${testDialect}]`, () => {
  it('a deleted recording keeps its files, is restored inside the grace period (REST), and is purged after it', async () => {
    const restored = await makeRecording(t.deps, w.links.member);
    const purged = await makeRecording(t.deps, w.links.member);
    const purgedPaths = (await resourcesOf(purged.id)).map((r) => r.storage_path);
    const purgedBytes = await bytesOf(purged.id);
    const start = await usage();

    expect((await del(w.member, `/recordings/${restored.id}`)).status).toBe(200);
    expect((await get(w.member, `/recordings/${restored.id}`)).status).toBe(410);
    // Soft delete keeps the files; it stops counting as a recording, its bytes still count.
    expect(await t.deps.files.list(restored.id)).toHaveLength(5);
    expect(await usage()).toEqual({ bytes: start.bytes, recordings: start.recordings - 1 });

    clock.advance(GRACE_MS - 60_000);
    expect((await runRetention(t.deps)).purged.recordings).toBe(0);
    const res = await post(w.member, `/recordings/${restored.id}/restore`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.message).toBe('Recording restored');
    expect(body.data).toMatchObject({ recording: { recordingId: restored.id }, linkDeleted: false });
    expect(await usage()).toEqual(start);
    // Everything is back: the details, and the video itself.
    expect((await get(w.member, `/recordings/${restored.id}`)).status).toBe(200);
    const video = await (await get(w.member, `/recordings/${restored.id}/video`)).json();
    const url = new URL(video.data.resource.url);
    const download = await t.request(`${url.pathname}${url.search}`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(DEMO_VIDEO)).toBe(true);
    // Restoring what is not deleted is a conflict, named.
    const again = await post(w.member, `/recordings/${restored.id}/restore`);
    expect(again.status).toBe(409);
    expect((await again.json()).error).toBe('RECORDING_NOT_DELETED');

    // The other one is deleted and left past the grace period.
    expect((await del(w.owner, `/recordings/${purged.id}`)).status).toBe(200);
    const deletedAt = clock.now();
    clock.advance(GRACE_MS + 60_000);
    const late = await post(w.owner, `/recordings/${purged.id}/restore`);
    expect(late.status).toBe(410);
    const lateBody = await late.json();
    expect(lateBody.error).toBe('RECORDING_GONE');
    expect(lateBody.message).toContain('can no longer be restored');
    expect(lateBody.message).toContain(new Date(deletedAt).toISOString());

    const beforePurge = await usage();
    const report = await runRetention(t.deps);
    expect(report.purged).toMatchObject({ recordings: 1, bytes: purgedBytes });
    expect(await recordingRow(purged.id)).toBeUndefined();
    expect(await resourcesOf(purged.id)).toEqual([]);
    const files = await filesOf(purged.id, purgedPaths);
    expect(files.listed).toEqual([]);
    expect(files.sizes).toEqual(purgedPaths.map(() => undefined));
    expect(await usage()).toEqual({
      bytes: beforePurge.bytes - purgedBytes,
      recordings: beforePurge.recordings,
    });
    // The restored one is live and whole; the purged one no longer exists at all.
    expect(await t.deps.files.list(restored.id)).toHaveLength(5);
    expect((await get(w.owner, `/recordings/${purged.id}`)).status).toBe(404);

    const events = await auditEvents('retention.recordings_purged');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      workspace_id: ws,
      detail: {
        reason: 'deleted',
        recordings: 1,
        bytes: purgedBytes,
        recordingIds: [purged.id],
        retentionDays: 30,
      },
    });
    // A second run has nothing left to do.
    expect((await runRetention(t.deps)).purged).toEqual({ recordings: 0, links: 0, projects: 0, bytes: 0 });
  });

  it('a deleted link goes after the grace period; one whose recordings live on stays until they are gone', async () => {
    const empty = await insertLinkRow(t.deps, {
      workspaceId: ws,
      projectId: w.defaultProject.id,
      domainId: w.domainId,
      creatorMemberId: w.memberIds.member!,
    });
    const withRecording = w.links.admin;
    const rec = await makeRecording(t.deps, withRecording);
    expect((await del(w.member, `/links/${empty}`)).status).toBe(200);
    expect((await del(w.admin, `/links/${withRecording}`)).status).toBe(200);

    clock.advance(GRACE_MS + 60_000);
    const report = await runRetention(t.deps);
    expect(report.purged.links).toBe(1);
    expect(
      await t.store.db.selectFrom('links').select('id').where('id', '=', empty).executeTakeFirst(),
    ).toBeUndefined();
    expect((await get(w.member, `/links/${empty}`)).status).toBe(404);
    // The other link stays as its recording's (deleted) link; the recording reads as before.
    const kept = await get(w.member, `/links/${withRecording}`);
    expect(kept.status).toBe(410);
    expect((await kept.json()).error).toBe('LINK_GONE');
    expect((await get(w.member, `/recordings/${rec.id}`)).status).toBe(200);
    const late = await post(w.admin, `/links/${withRecording}/restore`);
    expect(late.status).toBe(410);
    expect((await late.json()).message).toContain('can no longer be restored');
    const events = await auditEvents('retention.links_purged');
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({ reason: 'deleted', links: 1, linkIds: [empty] });

    // Once its last recording is deleted and purged, the link goes too.
    expect((await del(w.admin, `/recordings/${rec.id}`)).status).toBe(200);
    clock.advance(GRACE_MS + 60_000);
    const second = await runRetention(t.deps);
    expect(second.purged).toMatchObject({ recordings: 1, links: 1 });
    expect(
      await t.store.db.selectFrom('links').select('id').where('id', '=', withRecording).executeTakeFirst(),
    ).toBeUndefined();
  });

  it('a deleted project goes after the grace period with its links and recordings, files first', async () => {
    const projectId = await insertProjectRow(t.deps, ws, { title: 'Old campaign' });
    const linkId = await insertLinkRow(t.deps, {
      workspaceId: ws,
      projectId,
      domainId: w.domainId,
      creatorMemberId: w.memberIds.member!,
    });
    const live = await makeRecording(t.deps, linkId);
    const deleted = await makeRecording(t.deps, linkId);
    const paths = [
      ...(await resourcesOf(live.id)).map((r) => r.storage_path),
      ...(await resourcesOf(deleted.id)).map((r) => r.storage_path),
    ];
    const bytes = (await bytesOf(live.id)) + (await bytesOf(deleted.id));
    await deleteRecording(t.deps, ownerAccess, deleted.id);
    await deleteProject(t.deps, ownerAccess, projectId);
    const before = await usage();

    // Inside the grace period nothing goes, and a recording of a deleted project cannot be restored.
    clock.advance(GRACE_MS - 60_000);
    expect((await runRetention(t.deps)).purged.projects).toBe(0);
    const refused = await post(w.owner, `/recordings/${deleted.id}/restore`);
    expect(refused.status).toBe(410);
    expect((await refused.json()).error).toBe('PROJECT_GONE');
    const refusedLink = await post(w.owner, `/links/${linkId}/restore`);
    expect(refusedLink.status).toBe(409);

    clock.advance(2 * 60_000);
    const report = await runRetention(t.deps);
    expect(report.purged).toEqual({ recordings: 2, links: 1, projects: 1, bytes });
    expect(
      await t.store.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst(),
    ).toBeUndefined();
    expect(
      await t.store.db.selectFrom('links').select('id').where('id', '=', linkId).executeTakeFirst(),
    ).toBeUndefined();
    for (const id of [live.id, deleted.id]) {
      expect(await recordingRow(id)).toBeUndefined();
      expect(await t.deps.files.list(id)).toEqual([]);
    }
    expect(await Promise.all(paths.map((p) => t.deps.files.size(p)))).toEqual(paths.map(() => undefined));
    // The live recording stops counting; both recordings' bytes are subtracted.
    expect(await usage()).toEqual({ bytes: before.bytes - bytes, recordings: before.recordings - 1 });
    expect((await get(w.owner, `/projects/${projectId}`)).status).toBe(404);

    const recordingEvents = await auditEvents('retention.recordings_purged');
    // The deleted recording's own grace period ended too: it goes first, as a deleted recording;
    // the live one goes with its project.
    expect(recordingEvents.map((e) => e.detail)).toEqual([
      expect.objectContaining({ reason: 'deleted', recordings: 1, recordingIds: [deleted.id] }),
      expect.objectContaining({ reason: 'project', projectId, recordings: 1, recordingIds: [live.id] }),
    ]);
    expect((await auditEvents('retention.links_purged')).map((e) => e.detail)).toEqual([
      expect.objectContaining({ reason: 'project', projectId, links: 1 }),
    ]);
    expect((await auditEvents('retention.project_purged')).map((e) => e.detail)).toEqual([
      expect.objectContaining({ projectId, projects: 1 }),
    ]);
  });

  it('works in batches, one audit event each, and a deleted recording that expired can still be restored', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await makeRecording(t.deps, w.links.owner)).id);
    for (const id of ids) await deleteRecording(t.deps, ownerAccess, id);
    clock.advance(GRACE_MS + 1);
    const report = await runRetention(t.deps, { batchSize: 2 });
    expect(report.purged.recordings).toBe(5);
    const events = await auditEvents('retention.recordings_purged');
    expect(events.map((e) => e.detail.recordings)).toEqual([2, 2, 1]);
    expect(events.flatMap((e) => e.detail.recordingIds as string[]).sort()).toEqual([...ids].sort());

    // Deleted, then expired: the job takes its files at expiry (retention is kept for deleted
    // recordings too); restoring it inside the grace period still brings back its details.
    const rec = await makeRecording(t.deps, await expiringLink(1));
    await deleteRecording(t.deps, ownerAccess, rec.id);
    clock.set(rec.expiresAt! + 1);
    expect((await runRetention(t.deps)).expired.recordings).toBe(1);
    expect(await t.deps.files.list(rec.id)).toEqual([]);
    const restored = await post(w.owner, `/recordings/${rec.id}/restore`);
    expect(restored.status).toBe(200);
    expect((await restored.json()).data.recording).toMatchObject({ recordingId: rec.id, expired: true });
  });

  it('a restore and the purge do not both win: once the purge has claimed the files, the restore is refused', async () => {
    const rec = await makeRecording(t.deps, w.links.member);
    await deleteRecording(t.deps, ownerAccess, rec.id);
    const deletedAt = clock.now();
    clock.advance(GRACE_MS + 1);
    // Roll the clock back under the running job, as a restoring instance with a slow clock would
    // see it: by its clock the grace period has not ended, but the row says the files are taken.
    let refusal: unknown;
    await runRetention(t.deps, {
      hooks: {
        async afterFilesRemoved() {
          clock.set(deletedAt + 1000);
          refusal = await restoreRecording(t.deps, ownerAccess, rec.id).catch((error: unknown) => error);
          clock.set(deletedAt + GRACE_MS + 1);
        },
      },
    });
    expect(refusal).toMatchObject({ status: 410, code: 'RECORDING_GONE' });
    expect(await recordingRow(rec.id)).toBeUndefined();
  });
});

describe(`retention: restore through MCP and the dashboard, with the delete's role rules [${testDialect}]`, () => {
  it('a member who did not create the link is refused, naming the role (REST and MCP)', async () => {
    const rec = await makeRecording(t.deps, w.links.admin);
    await deleteRecording(t.deps, ownerAccess, rec.id);
    await deleteLink(t.deps, ownerAccess, w.links.admin);

    const restRec = await post(w.member, `/recordings/${rec.id}/restore`);
    expect(restRec.status).toBe(403);
    const restRecBody = await restRec.json();
    expect(restRecBody.error).toBe('RECORDING_RESTORE_FORBIDDEN');
    expect(restRecBody.message).toMatch(/requires the admin or owner role.*your role is member/);
    const restLink = await post(w.member, `/links/${w.links.admin}/restore`);
    expect(restLink.status).toBe(403);
    const restLinkBody = await restLink.json();
    expect(restLinkBody.error).toBe('LINK_RESTORE_FORBIDDEN');
    expect(restLinkBody.message).toMatch(/admin or owner role.*your role is member/);

    await withMcp(w.member, async (mcp) => {
      for (const [tool, args] of [
        ['userplane_restore_recording', { workspaceId: ws, recordingId: rec.id }],
        ['userplane_restore_link', { workspaceId: ws, linkId: w.links.admin }],
      ] as const) {
        const result = await mcp.call(tool, args);
        expect(result.isError, tool).toBe(true);
        expect(mcp.text(result), tool).toMatch(/_RESTORE_FORBIDDEN: .*your role is member/);
        expect(mcp.text(result), tool).toContain('Workspace Settings > Team');
      }
    });
    // Nothing changed.
    expect((await recordingRow(rec.id))?.deleted_at).not.toBeNull();
    // The link's creator may restore both; the recording first, which leaves the link deleted.
    const own = await post(w.admin, `/recordings/${rec.id}/restore`);
    expect(own.status).toBe(200);
    const ownBody = await own.json();
    expect(ownBody.data.linkDeleted).toBe(true);
    expect(ownBody.message).toContain('its link is still deleted');
    expect((await get(w.admin, `/links/${w.links.admin}`)).status).toBe(410);
    expect((await post(w.admin, `/links/${w.links.admin}/restore`)).status).toBe(200);
    expect((await get(w.admin, `/links/${w.links.admin}`)).status).toBe(200);
  });

  it('MCP: restore a recording and a link inside the window; refused when live or too late', async () => {
    const rec = await makeRecording(t.deps, w.links.member);
    const paths = (await resourcesOf(rec.id)).map((r) => r.storage_path);
    await withMcp(w.member, async (mcp) => {
      const call = async (tool: string, args: Record<string, unknown>) => {
        const result = await mcp.call(tool, { workspaceId: ws, ...args });
        if (!result.isError) expect(mcp.schemaErrors(tool, result.structuredContent)).toBeNull();
        return result;
      };
      expect((await call('userplane_delete_recording', { recordingId: rec.id })).isError).toBeFalsy();
      expect((await call('userplane_delete_link', { linkId: w.links.member })).isError).toBeFalsy();
      clock.advance(10 * DAY_MS);

      const restoredLink = await call('userplane_restore_link', { linkId: w.links.member });
      expect(restoredLink.isError, mcp.text(restoredLink)).toBeFalsy();
      expect(restoredLink.structuredContent).toMatchObject({ linkId: w.links.member });
      const restored = await call('userplane_restore_recording', { recordingId: rec.id });
      expect(restored.isError, mcp.text(restored)).toBeFalsy();
      expect(restored.structuredContent).toMatchObject({
        recordingId: rec.id,
        linkDeleted: false,
        expired: false,
      });
      expect(mcp.text(restored)).toContain(`Restored recording ${rec.id}`);
      const video = await call('userplane_get_rec_video', { recordingId: rec.id });
      expect(video.isError, mcp.text(video)).toBeFalsy();
      expect(await Promise.all(paths.map((p) => t.deps.files.size(p)))).not.toContain(undefined);

      const live = await call('userplane_restore_recording', { recordingId: rec.id });
      expect(mcp.text(live)).toMatch(/^RECORDING_NOT_DELETED/);
      const liveLink = await call('userplane_restore_link', { linkId: w.links.member });
      expect(mcp.text(liveLink)).toMatch(/^LINK_NOT_DELETED/);

      await call('userplane_delete_recording', { recordingId: rec.id });
      clock.advance(GRACE_MS);
      const late = await call('userplane_restore_recording', { recordingId: rec.id });
      expect(late.isError).toBe(true);
      expect(mcp.text(late)).toMatch(/^RECORDING_GONE: .*can no longer be restored/);
    });
  });

  it('the dashboard lists what can be restored, with the purge date, and restores it with a CSRF-protected form', async () => {
    const mine = await makeRecording(t.deps, w.links.member);
    const theirs = await makeRecording(t.deps, w.links.admin);
    const member = await signIn(w.member.email);

    // Reachable from the Recordings and Links pages.
    for (const page of ['recordings', 'links']) {
      expect(await (await member.get(`/w/${ws}/${page}`)).text()).toContain(`href="/w/${ws}/deleted"`);
    }
    const empty = await (await member.get(`/w/${ws}/deleted`)).text();
    expect(empty).toContain('No deleted recordings to restore.');
    expect(empty).toContain('No deleted links to restore.');

    // The member deletes their own recording through the player's form.
    const player = await (await member.get(`/w/${ws}/recordings/${mine.id}`)).text();
    expect(player).toContain('It can be restored from Recently');
    const deleted = await member.post(`/w/${ws}/recordings/${mine.id}/delete`, {
      csrf: hiddenValue(player, 'csrf'),
    });
    expect(deleted.status).toBe(303);
    await deleteRecording(t.deps, ownerAccess, theirs.id);
    await deleteLink(t.deps, ownerAccess, w.links.admin);
    const deletedAt = clock.now();
    clock.advance(DAY_MS);

    const list = await (await member.get(`/w/${ws}/deleted`)).text();
    const purgeDate = new Date(deletedAt + GRACE_MS).toISOString();
    const shown = `${purgeDate.slice(0, 10)} ${purgeDate.slice(11, 16)} UTC`;
    const rowOf = (id: string) =>
      new RegExp(`data-(?:recording|link)-id="${id}"[\\s\\S]*?</tr>`).exec(list)?.[0] ?? '';
    expect(rowOf(mine.id)).toContain(shown);
    expect(rowOf(mine.id)).toContain(`action="/w/${ws}/recordings/${mine.id}/restore"`);
    // Someone else's: listed, without a Restore button for this member.
    expect(rowOf(theirs.id)).toContain(shown);
    expect(rowOf(theirs.id)).not.toContain('/restore');
    expect(rowOf(w.links.admin)).not.toContain('/restore');
    expect(list).toContain('can be restored for 30 days');

    // A forged restore of someone else's recording is refused and changes nothing.
    const csrf = hiddenValue(list, 'csrf');
    const forged = await member.post(`/w/${ws}/recordings/${theirs.id}/restore`, { csrf });
    expect(forged.status).toBe(403);
    expect((await recordingRow(theirs.id))?.deleted_at).not.toBeNull();
    // Without the CSRF token nothing happens either.
    const noCsrf = await member.post(`/w/${ws}/recordings/${mine.id}/restore`, {});
    expect(noCsrf.status).toBe(403);
    expect((await recordingRow(mine.id))?.deleted_at).not.toBeNull();

    const restored = await member.post(`/w/${ws}/recordings/${mine.id}/restore`, { csrf });
    expect(restored.status).toBe(303);
    expect(restored.headers.get('location')).toBe(`/w/${ws}/recordings/${mine.id}?flash=recording-restored`);
    const back = await (await member.get(restored.headers.get('location')!)).text();
    expect(back).toContain('Recording restored.');
    expect(back).toContain('<video');

    // The admin restores the link from the same page.
    const admin = await signIn(w.admin.email);
    const adminList = await (await admin.get(`/w/${ws}/deleted`)).text();
    expect(adminList).toContain(`action="/w/${ws}/links/${w.links.admin}/restore"`);
    const linkBack = await admin.post(`/w/${ws}/links/${w.links.admin}/restore`, {
      csrf: hiddenValue(adminList, 'csrf'),
    });
    expect(linkBack.status).toBe(303);
    expect(linkBack.headers.get('location')).toBe(`/w/${ws}/links?flash=link-restored`);
    expect(await (await admin.get(`/w/${ws}/links?flash=link-restored`)).text()).toContain('Link restored');

    // A deleted recording's page says until when it can be restored, and offers the button.
    const gone = await admin.get(`/w/${ws}/recordings/${theirs.id}`);
    expect(gone.status).toBe(410);
    const goneHtml = await gone.text();
    expect(goneHtml).toContain('It can be restored until');
    expect(goneHtml).toContain(`action="/w/${ws}/recordings/${theirs.id}/restore"`);
    clock.advance(GRACE_MS);
    const later = await (await signIn(w.admin.email)).get(`/w/${ws}/recordings/${theirs.id}`);
    expect(later.status).toBe(410);
    expect(await later.text()).toContain('It can no longer be restored.');
  });

  it('the projects form says a retention change applies to new recordings only', async () => {
    const owner = await signIn(w.owner.email);
    const html = await (await owner.get(`/w/${ws}/settings/projects`)).text();
    expect(html).toContain('Changing retention applies to new recordings only');
  });

  it('the OpenAPI document describes both restore routes and their errors', async () => {
    const doc = await (await t.request('/api/v1/openapi.json')).json();
    for (const path of [
      '/api/v1/public/workspace/{workspaceId}/recordings/{recordingId}/restore',
      '/api/v1/public/workspace/{workspaceId}/links/{linkId}/restore',
    ]) {
      const op = doc.paths[path]?.post ?? doc.paths[path.replace('/api/v1', '')]?.post;
      expect(op, path).toBeDefined();
      expect(op.responses['409'].description, path).toMatch(/_NOT_DELETED/);
      expect(op.responses['410'].description, path).toMatch(/can no longer be restored/);
      expect(op.responses['403'].description, path).toMatch(/_RESTORE_FORBIDDEN/);
    }
  });
});

describe(`retention: one process at a time [${testDialect}]`, () => {
  /** A second, independent connection pool on the same database, as another instance has. */
  async function secondInstance(): Promise<{ deps: Deps; store: Store }> {
    let store: Store;
    if (testDialect === 'postgres') {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(t.store.db);
      store = openStore({ kind: 'postgres', url: testPostgresUrl }, { schema: rows[0]!.schema, poolSize: 2 });
    } else {
      store = openStore(t.deps.config.database);
    }
    const { deps } = buildApp({
      config: t.deps.config,
      store,
      log: silentLogger(),
      clock,
      files: t.deps.files,
    });
    return { deps, store };
  }

  it('two concurrent runs: only the lease holder does the work, and each batch is done once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await makeRecording(t.deps, w.links.owner)).id);
    for (const id of ids) await deleteRecording(t.deps, ownerAccess, id);
    clock.advance(GRACE_MS + 1);
    const other = await secondInstance();
    try {
      // The first holds the lease while it works (paused after its first file removal), and the
      // second, started meanwhile, does nothing.
      let release!: () => void;
      const paused = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let calls = 0;
      const first = runRetention(t.deps, {
        batchSize: 2,
        hooks: {
          async afterFilesRemoved() {
            calls += 1;
            if (calls === 1) {
              entered();
              await paused;
            }
          },
        },
      });
      await inside;
      const second = await runRetention(other.deps, { batchSize: 2 });
      expect(second).toMatchObject({ ran: false, purged: { recordings: 0 }, batches: 0 });
      release();
      const done = await first;
      expect(done).toMatchObject({ ran: true, interrupted: false, purged: { recordings: 6 }, batches: 3 });
      expect((await auditEvents('retention.recordings_purged')).map((e) => e.detail.recordings)).toEqual([
        2, 2, 2,
      ]);
      // Released at the end: the next run (on either instance) takes it at once.
      const lease = await t.store.db
        .selectFrom('maintenance_leases')
        .selectAll()
        .where('name', '=', RETENTION_LEASE)
        .executeTakeFirstOrThrow();
      expect(Number(lease.expires_at)).toBe(0);
      expect((await runRetention(other.deps)).ran).toBe(true);

      // Racing from the start: exactly one of them runs.
      const more = await makeRecording(t.deps, w.links.owner);
      await deleteRecording(t.deps, ownerAccess, more.id);
      clock.advance(GRACE_MS + 1);
      const raced = await Promise.all([runRetention(t.deps), runRetention(other.deps)]);
      expect(raced.filter((r) => r.ran)).toHaveLength(1);
      expect(raced.reduce((n, r) => n + r.purged.recordings, 0)).toBe(1);
    } finally {
      await other.store.close();
    }
  });

  it('a stalled holder loses the lease after it expires; the next holder finishes, nothing is done twice', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await makeRecording(t.deps, w.links.owner)).id);
    const bytes = (await Promise.all(ids.map(bytesOf))).reduce((a, b) => a + b, 0);
    for (const id of ids) await deleteRecording(t.deps, ownerAccess, id);
    clock.advance(GRACE_MS + 1);
    const before = await usage();
    const other = await secondInstance();
    try {
      let release!: () => void;
      const paused = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let calls = 0;
      const stalled = runRetention(t.deps, {
        leaseMs: 60_000,
        hooks: {
          async afterFilesRemoved() {
            calls += 1;
            if (calls === 1) {
              entered();
              await paused;
            }
          },
        },
      });
      await inside;
      clock.advance(61_000);
      const takeover = await runRetention(other.deps);
      expect(takeover).toMatchObject({ ran: true, purged: { recordings: 3, bytes } });
      release();
      expect(await stalled).toMatchObject({ ran: true, interrupted: true, purged: { recordings: 0 } });
      for (const id of ids) {
        expect(await recordingRow(id)).toBeUndefined();
        expect(await t.deps.files.list(id)).toEqual([]);
      }
      expect(await usage()).toEqual({ bytes: before.bytes - bytes, recordings: before.recordings });
    } finally {
      await other.store.close();
    }
  });
});
