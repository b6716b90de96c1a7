import type { SelectQueryBuilder } from 'kysely';
import type { ResourceKind } from '../domain/recording-resources.ts';
import type { Recording, RecordingListItem } from '../domain/types.ts';
import type { Db } from './db.ts';
import { encodeJsonColumn, parseObjectColumn } from './json-columns.ts';
import { prepared } from './prepared.ts';
import type { Database, RecordingResourcesTable, RecordingsTable } from './schema.ts';
import { adjustWorkspaceUsage } from './usage.ts';

/** A stored resource file of a recording (the row, mapped; paths are relative to DATA_DIR/files). */
export interface StoredResource {
  recordingId: string;
  kind: ResourceKind;
  storagePath: string;
  contentType: string;
  size: number;
  durationMs: number | null;
  createdAt: number;
}

/** A resource row to write, as services describe it (`droppedEntries`: log lines the recorder skipped). */
export interface NewStoredResource extends StoredResource {
  droppedEntries?: number;
}

/** The row of a resource (sizes and paths as given). */
export function toResourceRow(resource: NewStoredResource): RecordingResourcesTable {
  return {
    recording_id: resource.recordingId,
    kind: resource.kind,
    storage_path: resource.storagePath,
    content_type: resource.contentType,
    size: resource.size,
    duration_ms: resource.durationMs,
    ...(resource.droppedEntries !== undefined ? { dropped_entries: resource.droppedEntries } : {}),
    created_at: resource.createdAt,
  };
}

/** A new recording as services describe it; insertRecording encodes the row (metadata as JSON text). */
export interface NewStoredRecording {
  id: string;
  workspaceId: string;
  projectId: string;
  linkId: string;
  creatorMemberId: string;
  status: 'pending' | 'ready' | 'failed';
  durationMs: number | null;
  startedAt: number | null;
  systemMeta: Record<string, unknown>;
  customMeta: Record<string, unknown>;
  notes: string | null;
  expiresAt: number | null;
  failureReason?: string | null;
  /** Also its first updated_at. */
  createdAt: number;
  /** Set only to store an already deleted recording (backups, tests); a new one is live. */
  deletedAt?: number | null;
}

function toRecordingRow(recording: NewStoredRecording): RecordingsTable {
  return {
    id: recording.id,
    workspace_id: recording.workspaceId,
    project_id: recording.projectId,
    link_id: recording.linkId,
    creator_member_id: recording.creatorMemberId,
    status: recording.status,
    duration_ms: recording.durationMs,
    started_at: recording.startedAt,
    system_meta: encodeJsonColumn(recording.systemMeta),
    custom_meta: encodeJsonColumn(recording.customMeta),
    notes: recording.notes,
    expires_at: recording.expiresAt,
    ...(recording.failureReason !== undefined ? { failure_reason: recording.failureReason } : {}),
    created_at: recording.createdAt,
    updated_at: recording.createdAt,
    deleted_at: recording.deletedAt ?? null,
  };
}

/** What a new recording copies from its link, read in the transaction that creates it. */
export interface LinkForRecording {
  id: string;
  workspaceId: string;
  projectId: string;
  creatorMemberId: string;
  reusable: boolean;
  deletedAt: number | null;
  projectDeletedAt: number | null;
  projectRetentionDays: number | null;
}

/** List filters; at most one of them picks the index, the others are checked on its rows. */
export interface RecordingFilter {
  workspaceId: string;
  projectId?: string | undefined;
  linkId?: string | undefined;
  createdBy?: string | undefined;
}

function toResource(row: RecordingResourcesTable): StoredResource {
  return {
    recordingId: row.recording_id,
    kind: row.kind,
    storagePath: row.storage_path,
    contentType: row.content_type,
    size: row.size,
    durationMs: row.duration_ms,
    createdAt: row.created_at,
  };
}

// A recording with the titles and names it is shown with; one query, joined on primary keys.
function selectRecordings(db: Db) {
  return db
    .selectFrom('recordings as r')
    .innerJoin('links as l', 'l.id', 'r.link_id')
    .innerJoin('projects as p', 'p.id', 'r.project_id')
    .innerJoin('domains as d', 'd.id', 'l.domain_id')
    .innerJoin('members as m', 'm.id', 'r.creator_member_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .selectAll('r')
    .select([
      'l.title as link_title',
      'p.title as project_title',
      'd.id as domain_id',
      'd.host as domain_host',
      'd.status as domain_status',
      'u.name as creator_name',
    ]);
}

type JoinedRow = RecordingsTable & {
  link_title: string | null;
  project_title: string;
  domain_id: string;
  domain_host: string;
  domain_status: Recording['domain']['status'];
  creator_name: string;
};

function toRecording(row: JoinedRow): Recording {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    status: row.status,
    durationMs: row.duration_ms,
    startedAt: row.started_at,
    systemMeta: parseObjectColumn(row.system_meta),
    customMeta: parseObjectColumn(row.custom_meta),
    notes: row.notes,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    filesDeletedAt: row.files_purge_started_at ?? null,
    link: { id: row.link_id, title: row.link_title },
    project: { id: row.project_id, title: row.project_title },
    domain: { id: row.domain_id, host: row.domain_host, status: row.domain_status },
    creator: { memberId: row.creator_member_id, name: row.creator_name },
  };
}

/** The link a recording is made for, with its project's retention, or undefined. */
export async function findLinkForRecording(db: Db, linkId: string): Promise<LinkForRecording | undefined> {
  const row = await db
    .selectFrom('links as l')
    .innerJoin('projects as p', 'p.id', 'l.project_id')
    .select([
      'l.id',
      'l.workspace_id',
      'l.project_id',
      'l.creator_member_id',
      'l.reusable',
      'l.deleted_at',
      'p.deleted_at as project_deleted_at',
      'p.retention_days',
    ])
    .where('l.id', '=', linkId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    projectId: row.project_id,
    creatorMemberId: row.creator_member_id,
    reusable: row.reusable === 1,
    deletedAt: row.deleted_at,
    projectDeletedAt: row.project_deleted_at,
    projectRetentionDays: row.retention_days,
  };
}

/**
 * Takes the link's row lock until the transaction ends, so two recordings racing for a single-use
 * link are checked one after the other. A no-op UPDATE locks the row on PostgreSQL and takes the
 * write lock on SQLite: the same statement on both, no dialect-only `FOR UPDATE`.
 */
export async function lockLink(db: Db, linkId: string): Promise<void> {
  await db
    .updateTable('links')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('id', '=', linkId)
    .execute();
}

/** Recordings ever made through a link, deleted ones included (a single-use link stays used). */
export async function countLinkRecordings(db: Db, linkId: string): Promise<number> {
  const row = await db
    .selectFrom('recordings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('link_id', '=', linkId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Inserts a recording; a live one counts in its workspace's storage use (same handle). */
export async function insertRecording(db: Db, recording: NewStoredRecording): Promise<void> {
  const row = toRecordingRow(recording);
  await db.insertInto('recordings').values(row).execute();
  if (row.deleted_at === null)
    await adjustWorkspaceUsage(db, row.workspace_id, { bytes: 0, recordings: 1 }, row.created_at);
}

/**
 * Inserts the resource rows of a recording and adds their sizes to the workspace's storage use, in
 * the same handle (so in the caller's transaction). Each row counts its size, also where several rows
 * point at one shared file (the demo's video and thumbnail).
 */
export async function insertResources(db: Db, resources: NewStoredResource[]): Promise<void> {
  if (resources.length === 0) return;
  const rows = resources.map(toResourceRow);
  await db.insertInto('recording_resources').values(rows).execute();
  const owners = await db
    .selectFrom('recordings')
    .select(['id', 'workspace_id'])
    .where('id', 'in', [...new Set(rows.map((r) => r.recording_id))])
    .execute();
  const workspaceOf = new Map(owners.map((o) => [o.id, o.workspace_id]));
  const bytes = new Map<string, number>();
  let now = 0;
  for (const row of rows) {
    // The foreign key guarantees the recording exists.
    const workspaceId = workspaceOf.get(row.recording_id) ?? '';
    bytes.set(workspaceId, (bytes.get(workspaceId) ?? 0) + row.size);
    now = Math.max(now, row.created_at);
  }
  for (const [workspaceId, sum] of bytes) {
    await adjustWorkspaceUsage(db, workspaceId, { bytes: sum, recordings: 0 }, now);
  }
}

/**
 * Deletes every resource row of a recording (its files are gone for good) and subtracts their sizes
 * from the workspace's storage use, in the same handle. Returns the bytes removed.
 */
export async function deleteResources(db: Db, recordingId: string, now: number): Promise<number> {
  const removed = await db
    .deleteFrom('recording_resources')
    .where('recording_id', '=', recordingId)
    .returning('size')
    .execute();
  const bytes = removed.reduce((sum, r) => sum + Number(r.size), 0);
  if (bytes !== 0) {
    const owner = await db
      .selectFrom('recordings')
      .select('workspace_id')
      .where('id', '=', recordingId)
      .executeTakeFirstOrThrow();
    await adjustWorkspaceUsage(db, owner.workspace_id, { bytes: -bytes, recordings: 0 }, now);
  }
  return bytes;
}

/** A recording by id in any workspace, deleted or not (the service decides what the caller may learn). */
export async function findRecording(db: Db, id: string): Promise<Recording | undefined> {
  const row = await selectRecordings(db).where('r.id', '=', id).executeTakeFirst();
  return row && toRecording(row as JoinedRow);
}

/** Live recordings with these ids, in the order of `ids`. */
export async function findRecordingsByIds(db: Db, ids: string[]): Promise<Recording[]> {
  if (ids.length === 0) return [];
  const rows = await selectRecordings(db).where('r.id', 'in', ids).execute();
  const byId = new Map(rows.map((row) => [row.id, toRecording(row as JoinedRow)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

function applyFilter<O>(
  query: SelectQueryBuilder<Database, 'recordings', O>,
  filter: RecordingFilter,
): SelectQueryBuilder<Database, 'recordings', O> {
  // `deleted_at is null` matches the partial indexes' predicate word for word, which is what lets
  // both planners use them.
  let q = query.where('workspace_id', '=', filter.workspaceId).where('deleted_at', 'is', null);
  if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
  if (filter.linkId !== undefined) q = q.where('link_id', '=', filter.linkId);
  if (filter.createdBy !== undefined) q = q.where('creator_member_id', '=', filter.createdBy);
  return q;
}

/**
 * The ids of one page of live recordings, newest first. A single-table query on purpose: it is
 * answered by walking `recordings_live_newest` or `recordings_live_by_<column>` backwards, with no
 * sort step, whatever the workspace's size; the joined details are then fetched by primary key.
 * Exported so the storage test can check the plan of exactly this query.
 */
export function recordingPageQuery(db: Db, filter: RecordingFilter, limit: number, offset: number) {
  return applyFilter(db.selectFrom('recordings').select('id'), filter)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset);
}

/** Live recordings matching the filter (served by the same partial indexes, index-only on SQLite). */
export async function countRecordings(db: Db, filter: RecordingFilter): Promise<number> {
  const row = await applyFilter(
    db.selectFrom('recordings').select((eb) => eb.fn.countAll<number>().as('n')),
    filter,
  ).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of live recordings, newest first, and the total. */
export async function listRecordingsPage(
  db: Db,
  filter: RecordingFilter,
  limit: number,
  offset: number,
): Promise<{ items: Recording[]; total: number }> {
  const ids = (await recordingPageQuery(db, filter, limit, offset).execute()).map((r) => r.id);
  const [items, total] = await Promise.all([findRecordingsByIds(db, ids), countRecordings(db, filter)]);
  return { items, total };
}

/**
 * One page without a total: reads one id more than the page to learn whether another page
 * follows. Costs the same with a million recordings as with ten, unlike a count (MCP lists).
 */
export async function browseRecordingsPage(
  db: Db,
  filter: RecordingFilter,
  limit: number,
  offset: number,
): Promise<{ items: RecordingListItem[]; hasMore: boolean }> {
  const { projectId, linkId, createdBy } = filter;
  const variant =
    (projectId !== undefined ? 1 : 0) | (linkId !== undefined ? 2 : 0) | (createdBy !== undefined ? 4 : 0);
  let query = pageQueries[variant];
  if (!query) {
    query = preparedPage(variant);
    pageQueries[variant] = query;
  }
  const values = [filter.workspaceId];
  if (projectId !== undefined) values.push(projectId);
  if (linkId !== undefined) values.push(linkId);
  if (createdBy !== undefined) values.push(createdBy);
  const rows = await query(db, values, limit + 1, offset);
  return {
    items: rows.slice(0, limit).map((row) => ({
      id: row.id,
      durationMs: row.duration_ms,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      link: { id: row.link_id, title: row.link_title },
      creator: { memberId: row.creator_member_id, name: row.creator_name },
    })),
    hasMore: rows.length > limit,
  };
}

// The MCP list's page in one query, compiled once per filter combination (prepared.ts): the ids
// come from recordingPageQuery, exactly the index walk the storage test checks, and only their
// rows are joined. One row more than the page says whether another page follows.
const pageQueries: Array<ReturnType<typeof preparedPage> | undefined> = [];

function preparedPage(variant: number) {
  const count = 1 + (variant & 1) + ((variant >> 1) & 1) + ((variant >> 2) & 1);
  const query = prepared(count + 2, (db, ...params: unknown[]) => {
    let i = 0;
    const filter: RecordingFilter = { workspaceId: params[i++] as string };
    if (variant & 1) filter.projectId = params[i++] as string;
    if (variant & 2) filter.linkId = params[i++] as string;
    if (variant & 4) filter.createdBy = params[i++] as string;
    return recordingListQuery(db, filter, params[count] as number, params[count + 1] as number);
  });
  return (db: Db, values: string[], limit: number, offset: number) => query(db, ...values, limit, offset);
}

/**
 * One page of live recordings as a list shows them, newest first: recordingPageQuery's ids (the
 * index walk) in a subquery, joined by primary key to the link's title and the creator's name. Only
 * those columns: on SQLite each column of each row costs about as much as a join (measured:
 * 11 rows of every column and five joins ≈ 340 µs, these ≈ 130 µs). Exported for the storage test
 * of its plan.
 */
export function recordingListQuery(db: Db, filter: RecordingFilter, limit: number, offset: number) {
  return db
    .selectFrom('recordings as r')
    .innerJoin('links as l', 'l.id', 'r.link_id')
    .innerJoin('members as m', 'm.id', 'r.creator_member_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'r.id',
      'r.duration_ms',
      'r.created_at',
      'r.expires_at',
      'r.link_id',
      'r.creator_member_id',
      'l.title as link_title',
      'u.name as creator_name',
    ])
    .where('r.id', 'in', recordingPageQuery(db, filter, limit, offset))
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id', 'desc');
}

/**
 * Soft-deletes a live recording; false when it was already deleted. It stops counting as a recording
 * of its workspace at once (same handle); its bytes count until its files are purged.
 */
export async function softDeleteRecording(db: Db, id: string, now: number): Promise<boolean> {
  const deleted = await db
    .updateTable('recordings')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returning('workspace_id')
    .executeTakeFirst();
  if (!deleted) return false;
  await adjustWorkspaceUsage(db, deleted.workspace_id, { bytes: 0, recordings: -1 }, now);
  return true;
}

/**
 * Sets or clears the expiry of a live recording; false when it is deleted or the retention job has
 * claimed its files (conditional on the claim, so a new date and the job's removal never both win).
 */
export async function updateRecordingExpiry(
  db: Db,
  id: string,
  expiresAt: number | null,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('recordings')
    .set({ expires_at: expiresAt, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .where('files_purge_started_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** One resource of a recording, or undefined when it was not captured. */
export async function findResource(
  db: Db,
  recordingId: string,
  kind: ResourceKind,
): Promise<StoredResource | undefined> {
  const row = await db
    .selectFrom('recording_resources')
    .selectAll()
    .where('recording_id', '=', recordingId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return row && toResource(row);
}

/** Every resource stored for a recording. */
export async function listResources(db: Db, recordingId: string): Promise<StoredResource[]> {
  const rows = await db
    .selectFrom('recording_resources')
    .selectAll()
    .where('recording_id', '=', recordingId)
    .execute();
  return rows.map(toResource);
}
