import type { LinkProviderType } from '../domain/types.ts';
import type { Db } from './db.ts';
import { encodeJsonColumn } from './json-columns.ts';
import { type NewStoredResource, toResourceRow } from './recordings.ts';
import { adjustWorkspaceUsage } from './usage.ts';

// Queries of the recorder (the public page behind a link and its upload API).

/** What the recorder needs to know about a link, in one query. */
export interface RecorderLink {
  id: string;
  title: string | null;
  workspaceId: string;
  workspaceName: string;
  workspaceDeletedAt: number | null;
  projectId: string;
  projectDeletedAt: number | null;
  projectRetentionDays: number | null;
  projectMaxRecordingSeconds: number | null;
  creatorMemberId: string;
  agentName: string;
  domainHost: string;
  domainStatus: 'pending' | 'verified' | 'revoked';
  domainDeletedAt: number | null;
  reusable: boolean;
  recordingCount: number;
  deletedAt: number | null;
}

/** The link with its workspace, project, domain and creator, or undefined. */
export async function findRecorderLink(db: Db, linkId: string): Promise<RecorderLink | undefined> {
  const row = await db
    .selectFrom('links as l')
    .innerJoin('workspaces as w', 'w.id', 'l.workspace_id')
    .innerJoin('projects as p', 'p.id', 'l.project_id')
    .innerJoin('domains as d', 'd.id', 'l.domain_id')
    .innerJoin('members as m', 'm.id', 'l.creator_member_id')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'l.id',
      'l.title',
      'l.workspace_id',
      'w.name as workspace_name',
      'w.deleted_at as workspace_deleted_at',
      'l.project_id',
      'p.deleted_at as project_deleted_at',
      'p.retention_days',
      'p.max_recording_seconds',
      'l.creator_member_id',
      'u.name as agent_name',
      'd.host as domain_host',
      'd.status as domain_status',
      'd.deleted_at as domain_deleted_at',
      'l.reusable',
      'l.recording_count',
      'l.deleted_at',
    ])
    .where('l.id', '=', linkId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    title: row.title,
    workspaceId: row.workspace_id,
    workspaceName: row.workspace_name,
    workspaceDeletedAt: row.workspace_deleted_at,
    projectId: row.project_id,
    projectDeletedAt: row.project_deleted_at,
    projectRetentionDays: row.retention_days,
    projectMaxRecordingSeconds: row.max_recording_seconds ?? null,
    creatorMemberId: row.creator_member_id,
    agentName: row.agent_name,
    domainHost: row.domain_host,
    domainStatus: row.domain_status,
    domainDeletedAt: row.domain_deleted_at,
    reusable: row.reusable === 1,
    recordingCount: row.recording_count ?? 0,
    deletedAt: row.deleted_at,
  };
}

/** Hosts (host[:port]) of the workspace's verified, live domains. */
export async function listVerifiedHosts(db: Db, workspaceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('domains')
    .select('host')
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'verified')
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((r) => r.host);
}

/**
 * Takes one recording slot of a link with ONE conditional write: always for a reusable link, only
 * the first time for a single-use one. Concurrent callers on any number of processes cannot both
 * win, whatever the isolation level, because the condition is checked by the row update itself.
 */
export async function claimRecordingSlot(db: Db, linkId: string): Promise<boolean> {
  const result = await db
    .updateTable('links')
    .set((eb) => ({ recording_count: eb('recording_count', '+', 1) }))
    .where('id', '=', linkId)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('reusable', '=', 1), eb('recording_count', '=', 0)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives a slot back (an abandoned upload), so a single-use link can be recorded again. */
export async function releaseRecordingSlot(db: Db, linkId: string): Promise<void> {
  await db
    .updateTable('links')
    .set((eb) => ({ recording_count: eb('recording_count', '-', 1) }))
    .where('id', '=', linkId)
    .where('recording_count', '>', 0)
    .execute();
}

/** The upload state of a recording: what the upload API checks on every call. */
export interface UploadTarget {
  id: string;
  workspaceId: string;
  linkId: string;
  status: 'pending' | 'ready' | 'failed';
  durationMs: number | null;
  deletedAt: number | null;
  updatedAt: number;
}

/** The recording an upload writes to, or undefined. */
export async function findUploadTarget(db: Db, recordingId: string): Promise<UploadTarget | undefined> {
  const row = await db
    .selectFrom('recordings')
    .select(['id', 'workspace_id', 'link_id', 'status', 'duration_ms', 'deleted_at', 'updated_at'])
    .where('id', '=', recordingId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    linkId: row.link_id,
    status: row.status,
    durationMs: row.duration_ms,
    deletedAt: row.deleted_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Replaces (or adds) one resource row of a recording; the workspace's storage use loses the replaced
 * row's size and gains the new one's, in the same handle (so in the caller's transaction).
 */
export async function upsertResource(db: Db, resource: NewStoredResource): Promise<void> {
  const replaced = await db
    .deleteFrom('recording_resources')
    .where('recording_id', '=', resource.recordingId)
    .where('kind', '=', resource.kind)
    .returning('size')
    .executeTakeFirst();
  await db.insertInto('recording_resources').values(toResourceRow(resource)).execute();
  const owner = await db
    .selectFrom('recordings')
    .select('workspace_id')
    .where('id', '=', resource.recordingId)
    .executeTakeFirstOrThrow();
  await adjustWorkspaceUsage(
    db,
    owner.workspace_id,
    { bytes: resource.size - Number(replaced?.size ?? 0), recordings: 0 },
    resource.createdAt,
  );
}

/** Whether a recording already has a resource of this kind. */
export async function hasResource(db: Db, recordingId: string, kind: string): Promise<boolean> {
  const row = await db
    .selectFrom('recording_resources')
    .select('recording_id')
    .where('recording_id', '=', recordingId)
    .where('kind', '=', kind as 'video')
    .executeTakeFirst();
  return row !== undefined;
}

/** Sets fields of a pending recording; false when it is no longer pending. */
export async function updatePendingRecording(
  db: Db,
  recordingId: string,
  patch: { systemMeta?: Record<string, unknown>; customMeta?: Record<string, unknown> },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('recordings')
    .set({
      ...(patch.systemMeta !== undefined ? { system_meta: encodeJsonColumn(patch.systemMeta) } : {}),
      ...(patch.customMeta !== undefined ? { custom_meta: encodeJsonColumn(patch.customMeta) } : {}),
      updated_at: now,
    })
    .where('id', '=', recordingId)
    .where('status', '=', 'pending')
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Moves a pending recording to `ready` or `failed` (one conditional write); false if it was not pending. */
export async function settleRecording(
  db: Db,
  recordingId: string,
  outcome: { status: 'ready' | 'failed'; failureReason: string | null },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('recordings')
    .set({ status: outcome.status, failure_reason: outcome.failureReason, updated_at: now })
    .where('id', '=', recordingId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Pending recordings whose last write is older than `before`, oldest first. */
export async function listStalePendingRecordings(
  db: Db,
  before: number,
  limit: number,
): Promise<Array<{ id: string; linkId: string; updatedAt: number }>> {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'link_id', 'updated_at'])
    .where('status', '=', 'pending')
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, linkId: r.link_id, updatedAt: r.updated_at }));
}

/** What a "recording received" message needs about a recording, its link and workspace, in one query. */
export interface RecordingNotice {
  recordingId: string;
  workspaceId: string;
  workspaceName: string;
  projectId: string;
  linkId: string;
  linkTitle: string | null;
  /** The member who created the link; "recording received" goes to them. */
  linkCreatorMemberId: string;
  linkProviderType: LinkProviderType | null;
  linkProviderId: string | null;
  linkProviderReference: string | null;
  /** What the customer wrote (hostile input: never rendered as markup). */
  notes: string | null;
  durationMs: number | null;
  createdAt: number;
}

/** The recording with its link and workspace, or undefined. */
export async function findRecordingNotice(db: Db, recordingId: string): Promise<RecordingNotice | undefined> {
  const row = await db
    .selectFrom('recordings as r')
    .innerJoin('links as l', 'l.id', 'r.link_id')
    .innerJoin('workspaces as w', 'w.id', 'r.workspace_id')
    .select([
      'r.id',
      'r.workspace_id',
      'w.name as workspace_name',
      'r.project_id',
      'r.link_id',
      'l.title',
      'l.creator_member_id',
      'l.provider_type',
      'l.provider_id',
      'l.provider_reference',
      'r.notes',
      'r.duration_ms',
      'r.created_at',
    ])
    .where('r.id', '=', recordingId)
    .executeTakeFirst();
  return (
    row && {
      recordingId: row.id,
      workspaceId: row.workspace_id,
      workspaceName: row.workspace_name,
      projectId: row.project_id,
      linkId: row.link_id,
      linkTitle: row.title,
      linkCreatorMemberId: row.creator_member_id,
      linkProviderType: row.provider_type,
      linkProviderId: row.provider_id,
      linkProviderReference: row.provider_reference,
      notes: row.notes,
      durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
      createdAt: Number(row.created_at),
    }
  );
}
