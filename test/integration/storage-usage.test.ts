import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_KINDS } from '../../src/domain/recording-resources.ts';
import { formatBytes } from '../../src/http/dashboard/settings-general.tsx';
import { DAY_MS, fakeClock } from '../../src/lib/clock.ts';
import { createApiKey } from '../../src/services/api-keys.ts';
import { runDemo } from '../../src/services/demo.ts';
import {
  failAbandonedUploads,
  removeUploadParts,
  startRecording,
  uploadLastActivity,
} from '../../src/services/recorder.ts';
import { createRecordings, type NewRecording, type NewResource } from '../../src/services/recordings.ts';
import type { TestUser } from '../helpers/builders.ts';
import { API, jsonInit, recorderLink, startBody, tusUpload } from '../helpers/builders-recorder.ts';
import {
  DEMO_THUMBNAIL,
  DEMO_VIDEO,
  insertLinkRow,
  makeRecording,
  sampleResources,
} from '../helpers/builders-recordings.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { PageBrowser } from '../helpers/page-browser.ts';
import { createTestApp, type TestApp, testDialect } from '../helpers/test-app.ts';

// Storage use per workspace (issue 9): `storage: {bytes, recordings}` in GET /public/workspace/{id}
// and "Storage: … in N recordings" on Workspace Settings > General, kept current as recordings are
// made (through the service and through the recorder's upload API), their files replaced, and
// recordings deleted. Every figure is checked against the exact sizes the REST API reports for each
// resource, and against the bytes the test itself sent.

type Storage = { bytes: number; recordings: number };
type Headers = Record<string, string>;

const sizeOf = (resource: NewResource): number =>
  'data' in resource
    ? typeof resource.data === 'string'
      ? Buffer.byteLength(resource.data)
      : resource.data.length
    : 0;

describe(`storage use per workspace [${testDialect}]`, () => {
  let server: ListeningApp;
  let link: Awaited<ReturnType<typeof recorderLink>>;
  /** Recordings made in `link`'s workspace, in order. */
  const made: string[] = [];

  beforeAll(async () => {
    server = await startListeningApp();
    link = await recorderLink(server.t.deps, { reusable: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  const rest = (path: string, who: { headers: Headers }, init: RequestInit = {}) =>
    fetch(`${server.url}/api/v1/public${path}`, { ...init, headers: { ...who.headers } });

  async function storageOf(workspaceId: string, who: { headers: Headers }): Promise<Storage> {
    const res = await rest(`/workspace/${workspaceId}`, who);
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { storage: Storage } }).data.storage;
  }

  /** The sizes the REST API reports for each captured resource of a recording. */
  async function restSizes(
    workspaceId: string,
    recordingId: string,
    who: { headers: Headers },
  ): Promise<Record<string, number>> {
    const sizes: Record<string, number> = {};
    for (const kind of RESOURCE_KINDS) {
      const res = await rest(`/workspace/${workspaceId}/recordings/${recordingId}/${kind}`, who);
      expect(res.status).toBe(200);
      const { resource } = (
        (await res.json()) as { data: { resource: { url: string | null; size: number } } }
      ).data;
      if (resource.url !== null) sizes[kind] = resource.size;
    }
    return sizes;
  }

  const total = (sizes: Record<string, number>) => Object.values(sizes).reduce((s, n) => s + n, 0);

  async function restTotal(workspaceId: string, who: { headers: Headers }, ids: string[]) {
    let sum = 0;
    for (const id of ids) sum += total(await restSizes(workspaceId, id, who));
    return sum;
  }

  it('counts recordings made through createRecording and through the upload API: bytes are the exact sum of their resource sizes', async () => {
    const { deps } = server.t;
    const ws = link.workspace.id;
    expect(await storageOf(ws, link.owner)).toEqual({ bytes: 0, recordings: 0 });

    // Through the service: every kind, then a video only.
    const all = sampleResources();
    const first = await makeRecording(deps, link.linkId, { resources: all });
    made.push(first.id);
    const firstBytes = all.reduce((s, r) => s + sizeOf(r), 0);
    expect(await restSizes(ws, first.id, link.owner)).toEqual(
      Object.fromEntries(all.map((r) => [r.kind, sizeOf(r)])),
    );
    expect(await storageOf(ws, link.owner)).toEqual({ bytes: firstBytes, recordings: 1 });
    const second = await makeRecording(deps, link.linkId, { resources: sampleResources(['video']) });
    made.push(second.id);
    expect(await storageOf(ws, link.owner)).toEqual({
      bytes: firstBytes + DEMO_VIDEO.length,
      recordings: 2,
    });

    // Through the recorder's upload API. A started upload is a recording (pending) with no bytes yet.
    const started = await fetch(
      `${server.url}${API}/links/${link.linkId}/recordings`,
      jsonInit('POST', startBody(DEMO_VIDEO.length)),
    );
    expect(started.status).toBe(201);
    const { recordingId, uploadToken } = (
      (await started.json()) as {
        data: { recordingId: string; uploadToken: string };
      }
    ).data;
    made.push(recordingId);
    let expected = firstBytes + DEMO_VIDEO.length;
    expect(await storageOf(ws, link.owner)).toEqual({ bytes: expected, recordings: 3 });

    await tusUpload(server.url, uploadToken, DEMO_VIDEO);
    expected += DEMO_VIDEO.length;
    expect(await storageOf(ws, link.owner)).toEqual({ bytes: expected, recordings: 3 });

    const auth = { authorization: `Bearer ${uploadToken}` };
    const putThumbnail = (bytes: Buffer) =>
      fetch(`${server.url}${API}/recordings/${recordingId}/thumbnail`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'image/png' },
        body: new Uint8Array(bytes),
      });
    expect((await putThumbnail(DEMO_THUMBNAIL)).status).toBe(200);
    expected += DEMO_THUMBNAIL.length;
    expect((await storageOf(ws, link.owner)).bytes).toBe(expected);
    // Sent again, larger: the old file's size leaves, the new one's comes.
    const larger = Buffer.concat([DEMO_THUMBNAIL, Buffer.alloc(1_000)]);
    expect((await putThumbnail(larger)).status).toBe(200);
    expected += 1_000;
    expect((await storageOf(ws, link.owner)).bytes).toBe(expected);

    // A log, then a replacement of it that is smaller; what counts is the stored (capped) file.
    const putConsole = (text: string) =>
      fetch(`${server.url}${API}/recordings/${recordingId}/console-log`, {
        method: 'PUT',
        headers: { ...auth, origin: link.origin, 'content-type': 'application/x-ndjson' },
        body: text,
      });
    const entry = (i: number) =>
      JSON.stringify({ ts: i, level: 'error', message: `boom ${'x'.repeat(200)}` });
    expect((await putConsole([1, 2, 3, 4, 5].map(entry).join('\n'))).status).toBe(200);
    expect((await putConsole(entry(9))).status).toBe(200);
    expect(
      (await fetch(`${server.url}${API}/recordings/${recordingId}/finish`, { method: 'POST', headers: auth }))
        .status,
    ).toBe(200);

    const uploaded = await restSizes(ws, recordingId, link.owner);
    expect(uploaded.video).toBe(DEMO_VIDEO.length);
    expect(uploaded.thumbnail).toBe(larger.length);
    expect(uploaded['console-log']).toBe(Buffer.byteLength(`${entry(9)}\n`));
    expected += uploaded['console-log']!;
    const storage = await storageOf(ws, link.owner);
    expect(storage).toEqual({ bytes: expected, recordings: 3 });
    expect(storage.bytes).toBe(await restTotal(ws, link.owner, made));

    // Every member reads the same figures; someone outside learns nothing.
    for (const who of [link.admin, link.member]) expect(await storageOf(ws, who)).toEqual(storage);
    const outsider = await rest(`/workspace/${ws}`, link.outsider);
    expect(outsider.status).toBe(403);
    expect(((await outsider.json()) as { error: string }).error).toBe('NOT_A_MEMBER');
    // Another workspace's counters did not move.
    const other = await recorderLink(deps);
    expect(await storageOf(other.workspace.id, other.owner)).toEqual({ bytes: 0, recordings: 0 });
  });

  it('a batch that fails rolls its counts back with it (the counters change in the same transaction)', async () => {
    const { deps } = server.t;
    const ws = link.workspace.id;
    const before = await storageOf(ws, link.owner);
    // A single-use link cannot take two recordings: the second fails inside the transaction that
    // already inserted the first (and counted it).
    const singleUse = await insertLinkRow(deps, {
      workspaceId: ws,
      projectId: link.defaultProject.id,
      domainId: link.domainId,
      creatorMemberId: link.memberIds.member!,
      reusable: false,
    });
    const input: NewRecording = {
      linkId: singleUse,
      durationMs: 15_000,
      startedAt: deps.clock.now(),
      systemMeta: {},
      customMeta: {},
      notes: null,
      resources: sampleResources(['video', 'thumbnail']),
    };
    await expect(createRecordings(deps, [input, input])).rejects.toMatchObject({ status: 409 });
    expect(await storageOf(ws, link.owner)).toEqual(before);
  });

  it('deleting a recording over REST counts one recording fewer at once; its bytes stay until its files are purged', async () => {
    const ws = link.workspace.id;
    const before = await storageOf(ws, link.owner);
    const path = `/workspace/${ws}/recordings/${made[1]}`;
    const deleted = await rest(path, link.owner, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await storageOf(ws, link.owner)).toEqual({
      bytes: before.bytes,
      recordings: before.recordings - 1,
    });
    // A second delete is 410 and counts nothing twice.
    expect((await rest(path, link.owner, { method: 'DELETE' })).status).toBe(410);
    expect(await storageOf(ws, link.owner)).toEqual({
      bytes: before.bytes,
      recordings: before.recordings - 1,
    });
  });

  it('Workspace Settings > General shows "Storage: <size> in <n> recordings" to every member', async () => {
    const ws = link.workspace.id;
    const storage = await storageOf(ws, link.owner);
    expect(storage.recordings).toBe(2);
    // About 230 KB: three copies of the 62 KB demo video, a 19 KB thumbnail and small logs.
    const shown = formatBytes(storage.bytes);
    expect(shown).toMatch(/^\d{3} KB$/);
    for (const who of [link.owner, link.member]) {
      const browser = new PageBrowser(server.t.app, '198.51.100.77');
      const csrf = await browser.csrfFrom('/signin');
      const signin = await browser.post('/signin', {
        csrf,
        email: who.email,
        password: 'correct horse battery',
        return_to: '/',
      });
      expect(signin.status).toBe(303);
      const res = await browser.get(`/w/${ws}/settings`);
      const html = await res.text();
      expect(res.status, html.slice(0, 300)).toBe(200);
      expect(html).toContain(
        `<dt>Storage</dt><dd><span title="${storage.bytes} bytes">${shown} in 2 recordings</span></dd>`,
      );
    }
  });

  it('the demo counts every recording’s video and thumbnail, although they share one file', async () => {
    const { deps } = server.t;
    const summary = await runDemo(deps, { recordings: 3, seed: 'storage-usage' });
    const owner = summary.users.find((u) => u.role === 'owner')!;
    const { secret } = await createApiKey(deps, { userId: owner.userId });
    const who = { headers: { authorization: `Bearer ${secret}` } };
    const list = await rest(`/workspace/${summary.workspaceId}/recordings`, who);
    const ids = (
      (await list.json()) as { data: { recordings: Array<{ recordingId: string }> } }
    ).data.recordings.map((r) => r.recordingId);
    expect(ids).toHaveLength(3);
    const storage = await storageOf(summary.workspaceId, who);
    expect(storage).toEqual({ bytes: await restTotal(summary.workspaceId, who, ids), recordings: 3 });
    for (const id of ids) {
      expect((await restSizes(summary.workspaceId, id, who)).video).toBe(DEMO_VIDEO.length);
    }
    expect(storage.bytes).toBeGreaterThan(3 * DEMO_VIDEO.length);
  });
});

describe(`storage use and abandoned uploads [${testDialect}]`, () => {
  const clock = fakeClock(Date.UTC(2026, 8, 1));
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  const storageOf = async (workspaceId: string, who: TestUser): Promise<Storage> =>
    (
      (await (
        await t.request(`/api/v1/public/workspace/${workspaceId}`, { headers: who.headers })
      ).json()) as {
        data: { storage: Storage };
      }
    ).data.storage;

  it('an upload abandoned after its thumbnail stays a (failed) recording; its removed files leave the bytes', async () => {
    const link = await recorderLink(t.deps);
    const started = await startRecording(t.deps, link.linkId, startBody(DEMO_VIDEO.length));
    const thumb = await t.request(`${API}/recordings/${started.recordingId}/thumbnail`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${started.uploadToken}`, 'content-type': 'image/png' },
      body: DEMO_THUMBNAIL,
    });
    expect(thumb.status).toBe(200);
    expect(await storageOf(link.workspace.id, link.owner)).toEqual({
      bytes: DEMO_THUMBNAIL.length,
      recordings: 1,
    });

    clock.advance(DAY_MS + 60_000);
    const failed = await failAbandonedUploads(t.deps, {
      lastActivity: (id) => uploadLastActivity(t.config.dataDir, id),
      removeParts: (id) => removeUploadParts(t.config.dataDir, id),
    });
    expect(failed).toBe(1);
    expect(await storageOf(link.workspace.id, link.owner)).toEqual({ bytes: 0, recordings: 1 });
    const res = await t.request(
      `/api/v1/public/workspace/${link.workspace.id}/recordings/${started.recordingId}/thumbnail`,
      { headers: link.owner.headers },
    );
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { data: { resource: { url: string | null } } }).data.resource.url,
    ).toBeNull();
  });
});
