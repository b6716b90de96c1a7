import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUploadToken } from '../../src/lib/upload-token.ts';
import { filesRoot, uploadsDir } from '../../src/services/file-store.ts';
import { API, jsonInit, recorderLink, startBody, tusUpload } from '../helpers/builders-recorder.ts';
import { DEMO_THUMBNAIL, DEMO_VIDEO } from '../helpers/builders-recordings.ts';
import { type ListeningApp, startListeningApp } from '../helpers/listening-app.ts';
import { testDialect } from '../helpers/test-app.ts';

// S38 for the recorder's upload API: every bad request gets a 4xx naming the problem, never a 500,
// and changes nothing — no recording row, no resource row, no file.

describe(`recorder upload API refuses bad input [${testDialect}]`, () => {
  let server: ListeningApp;
  beforeAll(async () => {
    server = await startListeningApp();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('S38: a table of bad requests: each a 4xx with its code, nothing stored', async () => {
    const { deps } = server.t;
    const base = `${server.url}${API}`;
    const link = await recorderLink(deps, { reusable: true });
    const other = await recorderLink(deps, { reusable: true });
    const startOn = async (linkId: string) => {
      const res = await fetch(
        `${base}/links/${linkId}/recordings`,
        jsonInit('POST', startBody(DEMO_VIDEO.length)),
      );
      expect(res.status).toBe(201);
      return ((await res.json()) as { data: { recordingId: string; uploadToken: string } }).data;
    };
    const mine = await startOn(link.linkId);
    const theirs = await startOn(other.linkId);
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const fromSite = { ...auth(mine.uploadToken), origin: link.origin };

    const deletedLink = await recorderLink(deps, { reusable: true });
    const deletedStarted = await startOn(deletedLink.linkId);
    await deps.db
      .updateTable('links')
      .set({ deleted_at: Date.now() })
      .where('id', '=', deletedLink.linkId)
      .execute();
    const revoked = await recorderLink(deps, { reusable: true });
    const revokedStarted = await startOn(revoked.linkId);
    await deps.db
      .updateTable('domains')
      .set({ status: 'revoked' })
      .where('id', '=', revoked.domainId)
      .execute();
    const expired = signUploadToken(deps.config.secret, mine.recordingId, Math.floor(Date.now() / 1000) - 10);
    const tusCreate = (headers: Record<string, string>) =>
      fetch(`${base}/uploads`, {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': String(DEMO_VIDEO.length), ...headers },
      });
    // Another recording's upload exists, for the "token of another recording" PATCH.
    const theirUpload = await tusCreate(auth(theirs.uploadToken));
    expect(theirUpload.status).toBe(201);
    const theirUploadUrl = new URL(theirUpload.headers.get('location')!, server.url).toString();

    const recordingsBefore = (await deps.db.selectFrom('recordings').select('id').execute()).length;
    const start = (linkId: string, body: unknown) =>
      fetch(`${base}/links/${linkId}/recordings`, jsonInit('POST', body));
    const html = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');

    const cases: Array<{ name: string; send: () => Promise<Response>; status: number; code?: RegExp }> = [
      {
        name: 'start: unknown link',
        send: () => start('lnk_nope', startBody(1000)),
        status: 404,
        code: /LINK_NOT_FOUND/,
      },
      {
        name: 'start: deleted link',
        send: () => start(deletedLink.linkId, startBody(1000)),
        status: 410,
        code: /LINK_GONE/,
      },
      {
        name: 'start: domain no longer verified',
        send: () => start(revoked.linkId, startBody(1000)),
        status: 403,
        code: /DOMAIN_NOT_VERIFIED/,
      },
      {
        name: 'start: too short',
        send: () => start(link.linkId, startBody(1000, { durationMs: 400 })),
        status: 400,
        code: /durationMs/,
      },
      {
        name: 'start: too long',
        send: () => start(link.linkId, startBody(1000, { durationMs: 181_000 })),
        status: 400,
        code: /durationMs/,
      },
      {
        name: 'start: oversized video',
        send: () => start(link.linkId, startBody(501 * 1024 * 1024)),
        status: 413,
        code: /video\.size/,
      },
      {
        name: 'start: not a video type',
        send: () => start(link.linkId, startBody(1000, { video: { type: 'text/html', size: 1000 } })),
        status: 415,
        code: /video\.type/,
      },
      {
        name: 'start: unknown field',
        send: () => start(link.linkId, { ...startBody(1000), admin: true }),
        status: 400,
        code: /admin/,
      },
      {
        name: 'start: body not JSON',
        send: () => fetch(`${base}/links/${link.linkId}/recordings`, { method: 'POST', body: '{nope' }),
        status: 400,
        code: /body/,
      },
      {
        name: 'start: customMeta over 10 KB',
        send: () => start(link.linkId, startBody(1000, { customMeta: { blob: 'x'.repeat(11_000) } })),
        status: 400,
        code: /customMeta/,
      },
      { name: 'tus: no token', send: () => tusCreate({}), status: 401, code: /UPLOAD_TOKEN_REQUIRED/ },
      {
        name: 'tus: wrong token',
        send: () => tusCreate(auth('upt_forged')),
        status: 401,
        code: /UPLOAD_TOKEN_INVALID/,
      },
      {
        name: 'tus: expired token',
        send: () => tusCreate(auth(expired)),
        status: 401,
        code: /UPLOAD_TOKEN_EXPIRED/,
      },
      {
        name: 'tus: token of another recording',
        send: () =>
          fetch(theirUploadUrl, {
            method: 'PATCH',
            headers: {
              ...auth(mine.uploadToken),
              'tus-resumable': '1.0.0',
              'upload-offset': '0',
              'content-type': 'application/offset+octet-stream',
            },
            body: DEMO_VIDEO,
          }),
        status: 403,
        code: /UPLOAD_TOKEN_MISMATCH/,
      },
      {
        name: 'tus: oversized video',
        send: () => tusCreate({ ...auth(mine.uploadToken), 'upload-length': String(501 * 1024 * 1024) }),
        status: 413,
      },
      {
        name: 'tus: upload to a deleted link',
        send: () => tusCreate(auth(deletedStarted.uploadToken)),
        status: 410,
        code: /LINK_GONE/,
      },
      {
        name: 'tus: upload after the domain was revoked',
        send: () => tusCreate(auth(revokedStarted.uploadToken)),
        status: 403,
        code: /DOMAIN_NOT_VERIFIED/,
      },
      {
        name: 'thumbnail: a PNG that is really a script',
        send: () =>
          fetch(`${base}/recordings/${mine.recordingId}/thumbnail`, {
            method: 'PUT',
            headers: { ...auth(mine.uploadToken), 'content-type': 'image/png' },
            body: '<script>alert(1)</script>',
          }),
        status: 415,
        code: /thumbnail/,
      },
      {
        name: 'thumbnail: over 10 MB',
        send: () =>
          fetch(`${base}/recordings/${mine.recordingId}/thumbnail`, {
            method: 'PUT',
            headers: { ...auth(mine.uploadToken), 'content-type': 'image/png' },
            body: Buffer.concat([DEMO_THUMBNAIL, Buffer.alloc(10 * 1024 * 1024)]),
          }),
        status: 413,
        code: /thumbnail/,
      },
      {
        name: 'thumbnail: token of another recording',
        send: () =>
          fetch(`${base}/recordings/${mine.recordingId}/thumbnail`, {
            method: 'PUT',
            headers: { ...auth(theirs.uploadToken), 'content-type': 'image/png' },
            body: DEMO_THUMBNAIL,
          }),
        status: 403,
        code: /UPLOAD_TOKEN_MISMATCH/,
      },
      {
        name: 'console-log: malformed NDJSON',
        send: () =>
          fetch(`${base}/recordings/${mine.recordingId}/console-log`, {
            method: 'PUT',
            headers: { ...fromSite, 'content-type': 'application/x-ndjson' },
            body: '{"ts":1,"level":\nnot json at all\n{"ts":"soon"}\n',
          }),
        status: 400,
        code: /console-log/,
      },
      {
        name: 'network-log: from an origin that is not a verified domain',
        send: () =>
          fetch(
            `${base}/recordings/${mine.recordingId}/network-log`,
            jsonInit('PUT', [], { ...auth(mine.uploadToken), origin: 'https://evil.example' }),
          ),
        status: 403,
        code: /ORIGIN_NOT_ALLOWED/,
      },
      {
        name: 'action: without an Origin',
        send: () =>
          fetch(`${base}/recordings/${mine.recordingId}/action`, jsonInit('PUT', [], auth(mine.uploadToken))),
        status: 403,
        code: /ORIGIN_NOT_ALLOWED/,
      },
      {
        name: 'action: over http from a verified host name',
        send: () =>
          fetch(
            `${base}/recordings/${mine.recordingId}/action`,
            jsonInit('PUT', [], { ...auth(mine.uploadToken), origin: `http://${link.host}` }),
          ),
        status: 403,
        code: /ORIGIN_NOT_ALLOWED/,
      },
      {
        name: 'metadata: customMeta over 10 KB',
        send: () =>
          fetch(
            `${base}/recordings/${mine.recordingId}/metadata`,
            jsonInit('PUT', { customMeta: { blob: 'x'.repeat(11_000) } }, fromSite),
          ),
        status: 400,
        code: /customMeta/,
      },
      {
        name: 'finish: before the video',
        send: () =>
          fetch(`${base}/recordings/${mine.recordingId}/finish`, {
            method: 'POST',
            headers: auth(mine.uploadToken),
          }),
        status: 409,
        code: /VIDEO_INCOMPLETE/,
      },
      {
        name: 'finish: expired token',
        send: () =>
          fetch(`${base}/recordings/${mine.recordingId}/finish`, { method: 'POST', headers: auth(expired) }),
        status: 401,
        code: /UPLOAD_TOKEN_EXPIRED/,
      },
    ];
    for (const c of cases) {
      const res = await c.send();
      const text = await res.text();
      expect(res.status, `${c.name}: ${text}`).toBe(c.status);
      if (c.code) expect(text, c.name).toMatch(c.code);
    }

    // A "video" that is really HTML: refused once whole, and nothing of it kept.
    const asHtml = await tusUpload(server.url, mine.uploadToken, html).catch((error: Error) => error);
    expect(asHtml).toBeInstanceOf(Error);
    expect(String(asHtml)).toMatch(/415/);

    // Nothing was stored by any of it.
    expect((await deps.db.selectFrom('recordings').select('id').execute()).length).toBe(recordingsBefore);
    const resources = await deps.db
      .selectFrom('recording_resources')
      .select('kind')
      .where('recording_id', '=', mine.recordingId)
      .execute();
    expect(resources).toEqual([]);
    const status = await deps.db
      .selectFrom('recordings')
      .select('status')
      .where('id', '=', mine.recordingId)
      .executeTakeFirstOrThrow();
    expect(status.status).toBe('pending');
    expect(existsSync(join(filesRoot(deps.config.dataDir), mine.recordingId))).toBe(false);
    expect(
      readdirSync(uploadsDir(deps.config.dataDir)).filter((f) => f.startsWith(mine.recordingId)),
    ).toEqual([]);
  });
});
