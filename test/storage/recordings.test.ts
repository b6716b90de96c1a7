import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.ts';
import type { Store } from '../../src/store/db.ts';
import {
  countLinkRecordings,
  countRecordings,
  findLinkForRecording,
  findRecording,
  findRecordingsByIds,
  findResource,
  insertRecording,
  insertResources,
  listRecordingsPage,
  listResources,
  type RecordingFilter,
  recordingListQuery,
  recordingPageQuery,
  softDeleteRecording,
  updateRecordingExpiry,
} from '../../src/store/recordings.ts';
import type { RecordingsTable } from '../../src/store/schema.ts';
import { newRecordingFromRow } from '../helpers/store-rows.ts';
import { openTestStore, testDialect } from '../helpers/test-app.ts';

// Rows are inserted directly: this suite checks the repository and the query plans, not the rules.

const T0 = Date.UTC(2026, 0, 1);
const ROWS = 3000;

interface Fixture {
  workspaceId: string;
  otherWorkspaceId: string;
  projects: string[];
  links: string[];
  members: string[];
}

async function seed(store: Store): Promise<Fixture> {
  const db = store.db;
  // Three people, each a member of both workspaces and the creator of one link in each.
  const userIds: string[] = [];
  for (let u = 0; u < 3; u++) {
    const userId = newId('usr', T0);
    userIds.push(userId);
    await db
      .insertInto('users')
      .values({
        id: userId,
        email: `store${u}@example.com`,
        email_normalized: `store${u}@example.com`,
        name: `Store Test ${u}`,
        password_hash: null,
        email_verified: 0,
        image: null,
        created_at: T0,
        updated_at: T0,
      })
      .execute();
  }
  const fixture: Fixture = { workspaceId: '', otherWorkspaceId: '', projects: [], links: [], members: [] };
  for (const label of ['main', 'other']) {
    const ws = newId('ws', T0);
    await db
      .insertInto('workspaces')
      .values({
        id: ws,
        name: label,
        owner_user_id: userIds[0]!,
        created_at: T0,
        updated_at: T0,
        deleted_at: null,
      })
      .execute();
    const members: string[] = [];
    for (let u = 0; u < 3; u++) {
      const member = newId('mem', T0);
      members.push(member);
      await db
        .insertInto('members')
        .values({
          id: member,
          workspace_id: ws,
          user_id: userIds[u]!,
          role: u === 0 ? 'owner' : 'member',
          joined_at: T0,
          removed_at: null,
        })
        .execute();
    }
    const domain = newId('dom', T0);
    await db
      .insertInto('domains')
      .values({
        id: domain,
        workspace_id: ws,
        host: `${label}.example.com`,
        status: 'verified',
        verification_token: 'x',
        verified_at: T0,
        created_at: T0,
        updated_at: T0,
        deleted_at: null,
      })
      .execute();
    for (let p = 0; p < 3; p++) {
      const project = newId('prj', T0);
      await db
        .insertInto('projects')
        .values({
          id: project,
          workspace_id: ws,
          title: `P${p}`,
          is_default: p === 0 ? 1 : 0,
          retention_days: p === 2 ? 30 : null,
          created_at: T0,
          updated_at: T0,
          deleted_at: null,
        })
        .execute();
      const link = newId('lnk', T0);
      await db
        .insertInto('links')
        .values({
          id: link,
          workspace_id: ws,
          project_id: project,
          domain_id: domain,
          creator_member_id: members[p]!,
          title: `Link ${p}`,
          type: 'file',
          reusable: p === 1 ? 0 : 1,
          provider_type: null,
          provider_id: null,
          provider_reference: null,
          meta: '{}',
          created_at: T0,
          updated_at: T0,
          deleted_at: null,
        })
        .execute();
      if (label === 'main') {
        fixture.projects.push(project);
        fixture.links.push(link);
        fixture.members.push(members[p]!);
      }
    }
    if (label === 'main') fixture.workspaceId = ws;
    else fixture.otherWorkspaceId = ws;
  }
  return fixture;
}

function recordingRow(f: Fixture, i: number, workspaceId = f.workspaceId): RecordingsTable {
  const createdAt = T0 + i * 1000;
  const which = i % 3;
  return {
    id: newId('rec', createdAt),
    workspace_id: workspaceId,
    project_id: f.projects[which]!,
    link_id: f.links[which]!,
    creator_member_id: f.members[which]!,
    status: 'ready',
    duration_ms: 15_000,
    started_at: createdAt,
    system_meta: JSON.stringify({ browser: 'Chrome', i }),
    custom_meta: '{}',
    notes: null,
    expires_at: null,
    created_at: createdAt,
    updated_at: createdAt,
    // Every tenth row is soft-deleted, so the partial index has something to leave out.
    deleted_at: i % 10 === 9 ? createdAt + 1 : null,
  };
}

describe(`recordings repository [${testDialect}]`, () => {
  let dataDir: string;
  let store: Store;
  let drop: () => Promise<void>;
  let f: Fixture;
  let rows: RecordingsTable[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'userplane-store-rec-'));
    ({ store, drop } = await openTestStore(dataDir));
    f = await seed(store);
    rows = Array.from({ length: ROWS }, (_, i) => recordingRow(f, i));
    // The single-use link (index 1) would hold many rows here; the repository does not enforce that rule.
    for (let i = 0; i < rows.length; i += 200) {
      await store.db
        .insertInto('recordings')
        .values(rows.slice(i, i + 200))
        .execute();
    }
    // The other workspace holds as many rows, so workspace_id is selective like in a real deployment.
    const other = Array.from({ length: ROWS }, (_, i) => recordingRow(f, i, f.otherWorkspaceId));
    for (let i = 0; i < other.length; i += 200) {
      await store.db
        .insertInto('recordings')
        .values(other.slice(i, i + 200))
        .execute();
    }
    // Only this table: a bare ANALYZE on PostgreSQL would also walk (and lock) other test files' schemas.
    await store.db.executeQuery(CompiledQuery.raw('ANALYZE recordings'));
  }, 120_000);

  afterAll(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const live = () => rows.filter((r) => r.deleted_at === null);
  const newestFirst = (list: RecordingsTable[]) =>
    [...list].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1)).map((r) => r.id);

  it('lists live recordings of one workspace newest first, page by page', async () => {
    const filter = { workspaceId: f.workspaceId };
    const first = await listRecordingsPage(store.db, filter, 10, 0);
    const second = await listRecordingsPage(store.db, filter, 10, 10);
    const expected = newestFirst(live());
    expect(first.total).toBe(expected.length);
    expect(first.items.map((r) => r.id)).toEqual(expected.slice(0, 10));
    expect(second.items.map((r) => r.id)).toEqual(expected.slice(10, 20));
    expect(first.items.every((r) => r.workspaceId === f.workspaceId && r.deletedAt === null)).toBe(true);
  });

  it.each([
    ['projectId', 'project_id', () => f.projects[2]!],
    ['linkId', 'link_id', () => f.links[1]!],
    ['createdBy', 'creator_member_id', () => f.members[0]!],
  ] as const)('filters by %s', async (key, column, value) => {
    const filter: RecordingFilter = { workspaceId: f.workspaceId, [key]: value() };
    const page = await listRecordingsPage(store.db, filter, 20, 0);
    const expected = newestFirst(live().filter((r) => r[column] === value()));
    expect(page.total).toBe(expected.length);
    expect(page.items.map((r) => r.id)).toEqual(expected.slice(0, 20));
    expect(await countRecordings(store.db, filter)).toBe(expected.length);
  });

  it('maps a recording with its link, project, domain and creator; finds deleted ones too', async () => {
    const row = rows[9]!;
    const rec = await findRecording(store.db, row.id);
    expect(rec).toMatchObject({
      id: row.id,
      workspaceId: f.workspaceId,
      status: 'ready',
      durationMs: 15_000,
      systemMeta: { browser: 'Chrome', i: 9 },
      customMeta: {},
      deletedAt: row.deleted_at,
      link: { id: f.links[0], title: 'Link 0' },
      project: { id: f.projects[0], title: 'P0' },
      domain: { host: 'main.example.com', status: 'verified' },
      creator: { memberId: f.members[0], name: 'Store Test 0' },
    });
    expect(await findRecording(store.db, 'rec_nope')).toBeUndefined();
    const ids = [rows[2]!.id, rows[0]!.id, 'rec_missing', rows[1]!.id];
    expect((await findRecordingsByIds(store.db, ids)).map((r) => r.id)).toEqual([
      rows[2]!.id,
      rows[0]!.id,
      rows[1]!.id,
    ]);
  });

  it('soft-deletes once, updates expiry only while live, counts every recording of a link', async () => {
    const row = rows[0]!;
    const before = await countLinkRecordings(store.db, f.links[0]!);
    expect(await updateRecordingExpiry(store.db, row.id, T0 + 5, T0 + 1)).toBe(true);
    expect((await findRecording(store.db, row.id))?.expiresAt).toBe(T0 + 5);
    expect(await softDeleteRecording(store.db, row.id, T0 + 2)).toBe(true);
    expect(await softDeleteRecording(store.db, row.id, T0 + 3)).toBe(false);
    expect(await updateRecordingExpiry(store.db, row.id, null, T0 + 4)).toBe(false);
    expect((await findRecording(store.db, row.id))?.deletedAt).toBe(T0 + 2);
    // Deleted recordings still count: a single-use link stays used.
    expect(await countLinkRecordings(store.db, f.links[0]!)).toBe(before);
  });

  it('stores resources and reads a link with its project retention', async () => {
    const id = newId('rec', T0);
    await insertRecording(store.db, { ...newRecordingFromRow(recordingRow(f, 5000)), id });
    await insertResources(store.db, [
      {
        recordingId: id,
        kind: 'video',
        storagePath: `${id}/video.webm`,
        contentType: 'video/webm',
        size: 62_415,
        durationMs: 15_000,
        createdAt: T0,
      },
      {
        recordingId: id,
        kind: 'console-log',
        storagePath: `${id}/console-log.ndjson`,
        contentType: 'application/x-ndjson',
        size: 10,
        durationMs: null,
        createdAt: T0,
      },
    ]);
    expect(await findResource(store.db, id, 'video')).toEqual({
      recordingId: id,
      kind: 'video',
      storagePath: `${id}/video.webm`,
      contentType: 'video/webm',
      size: 62_415,
      durationMs: 15_000,
      createdAt: T0,
    });
    expect(await findResource(store.db, id, 'thumbnail')).toBeUndefined();
    expect((await listResources(store.db, id)).map((r) => r.kind).sort()).toEqual(['console-log', 'video']);
    expect(await findLinkForRecording(store.db, f.links[2]!)).toMatchObject({
      workspaceId: f.workspaceId,
      projectId: f.projects[2],
      reusable: true,
      projectRetentionDays: 30,
      deletedAt: null,
    });
    expect((await findLinkForRecording(store.db, f.links[1]!))?.reusable).toBe(false);
  });

  // The list must stay fast whatever a workspace holds: each variant walks its partial index
  // backwards and stops after one page, with no sort of the matching rows.
  describe('list query plans use the partial indexes without a sort', () => {
    it.each([
      ['no filter', 'recordings_live_newest', {}],
      ['project_id', 'recordings_live_by_project_id', { projectId: 'p' }],
      ['link_id', 'recordings_live_by_link_id', { linkId: 'l' }],
      ['created_by', 'recordings_live_by_creator_member_id', { createdBy: 'm' }],
    ] as const)('%s → %s', async (_name, index, extra) => {
      const values: Partial<RecordingFilter> = {};
      if ('projectId' in extra) values.projectId = f.projects[1]!;
      if ('linkId' in extra) values.linkId = f.links[1]!;
      if ('createdBy' in extra) values.createdBy = f.members[1]!;
      const compiled = recordingPageQuery(
        store.db,
        { workspaceId: f.workspaceId, ...values },
        10,
        20,
      ).compile();
      if (testDialect === 'sqlite') {
        const plan = await store.db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]),
        );
        const text = plan.rows.map((r) => r.detail).join('\n');
        expect(text).toContain(index);
        expect(text).not.toMatch(/TEMP B-TREE/);
      } else {
        const plan = await store.db.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]),
        );
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(text).toMatch(new RegExp(`Index (Only )?Scan( Backward)? using ${index}\\b`));
        expect(text).not.toMatch(/\bSort\b/);
      }
    });
  });

  // The MCP list runs the page query as a subquery of the joined one (one round trip): the index
  // walk must survive inside it, so a page costs the same whatever the workspace holds.
  describe('the joined list query keeps the page query’s index walk', () => {
    it.each([
      ['no filter', 'recordings_live_newest', {}],
      ['link_id', 'recordings_live_by_link_id', { linkId: 'l' }],
    ] as const)('%s → %s', async (_name, index, extra) => {
      const values: Partial<RecordingFilter> = 'linkId' in extra ? { linkId: f.links[1]! } : {};
      const compiled = recordingListQuery(
        store.db,
        { workspaceId: f.workspaceId, ...values },
        11,
        20,
      ).compile();
      const explain = testDialect === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN';
      const plan = await store.db.executeQuery<Record<string, string>>(
        CompiledQuery.raw(`${explain} ${compiled.sql}`, [...compiled.parameters]),
      );
      const text = plan.rows.map((r) => r.detail ?? r['QUERY PLAN']).join('\n');
      expect(text).toContain(index);
      if (testDialect === 'postgres') expect(text).not.toMatch(/Seq Scan on recordings/);
      else expect(text).not.toMatch(/SCAN r\b(?! USING)/);
    });
  });
});
