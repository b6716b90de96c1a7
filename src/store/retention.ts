import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { Db } from './db.ts';
import { deleteResources } from './recordings.ts';
import type { Database } from './schema.ts';
import { adjustWorkspaceUsage } from './usage.ts';

// What the retention job (services/retention.ts) and restores read and write: which recordings,
// links and projects are due, the claim on a recording's files, the deletes, and the conditional
// writes of a restore. Every step is one conditional statement, so running a step twice (after a
// crash, or on two processes) changes nothing the first run did not.

/** A recording, link or project the job will work on, with its workspace (audit events are per workspace). */
export interface DueItem {
  id: string;
  workspaceId: string;
}

/**
 * Which recordings a purge step may touch; re-checked by every write of the step, so a row that a
 * restore or a new expiry date took back in the meantime is left alone.
 * - `deleted`: soft-deleted at or before `cutoff` (the grace period has passed): files and rows go;
 * - `project`: every recording of a soft-deleted project past the grace period: files and rows go;
 * - `expired`: past `expiresAt` at `now`: files go, the row stays;
 * - `claimed`: files already claimed by an interrupted step: finish removing them.
 */
export type PurgeScope =
  | { kind: 'deleted'; cutoff: number }
  | { kind: 'project'; projectId: string }
  | { kind: 'expired'; now: number }
  | { kind: 'claimed' };

function inScope(eb: ExpressionBuilder<Database, 'recordings'>, scope: PurgeScope) {
  switch (scope.kind) {
    case 'deleted':
      return eb.and([eb('deleted_at', 'is not', null), eb('deleted_at', '<=', scope.cutoff)]);
    case 'project':
      return eb('project_id', '=', scope.projectId);
    case 'expired':
      return eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', scope.now)]);
    case 'claimed':
      return eb('files_purge_started_at', 'is not', null);
  }
}

const toDue = (rows: Array<{ id: string; workspace_id: string }>): DueItem[] =>
  rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id }));

/** Soft-deleted recordings whose grace period ended at `cutoff`, oldest deletion first. */
export async function listDeletedRecordingsDue(db: Db, cutoff: number, limit: number): Promise<DueItem[]> {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'workspace_id'])
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '<=', cutoff)
    .orderBy('deleted_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return toDue(rows);
}

/** Recordings whose file removal was claimed but not finished (a crash or a failed removal). */
export async function listUnfinishedFilePurges(db: Db, limit: number): Promise<DueItem[]> {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'workspace_id'])
    .where('files_purge_started_at', 'is not', null)
    .where('files_purged_at', 'is', null)
    .orderBy('files_purge_started_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return toDue(rows);
}

/** Recordings past their expiry whose files are still kept, soonest expiry first. */
export async function listExpiredWithFiles(db: Db, now: number, limit: number): Promise<DueItem[]> {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'workspace_id'])
    .where('files_purge_started_at', 'is', null)
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return toDue(rows);
}

/**
 * Claims the files of these recordings for removal (ONE conditional UPDATE: only rows still in
 * `scope` and not claimed yet), then returns every row of `ids` that is claimed and in scope, the
 * ones claimed by an earlier, interrupted run included. From the claim on, the row no longer claims
 * its files: a restore or a new expiry date is refused (see restoreRecordingRow).
 */
export async function claimRecordingFiles(
  db: Db,
  ids: string[],
  scope: PurgeScope,
  now: number,
): Promise<Array<DueItem & { filesPurged: boolean }>> {
  if (ids.length === 0) return [];
  await db
    .updateTable('recordings')
    .set({ files_purge_started_at: now })
    .where('id', 'in', ids)
    .where('files_purge_started_at', 'is', null)
    .where((eb) => inScope(eb, scope))
    .execute();
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'workspace_id', 'files_purged_at'])
    .where('id', 'in', ids)
    .where('files_purge_started_at', 'is not', null)
    .where((eb) => inScope(eb, scope))
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    filesPurged: r.files_purged_at !== null,
  }));
}

/**
 * After their files are gone: deletes the recordings' resource rows (subtracting their sizes from
 * the workspace's storage use, store/usage.ts) and marks the files purged. Returns the bytes freed.
 * Run it in the transaction that also writes the batch's audit event.
 */
export async function finishFilePurge(db: Db, ids: string[], now: number): Promise<number> {
  if (ids.length === 0) return 0;
  let bytes = 0;
  for (const id of ids) bytes += await deleteResources(db, id, now);
  await db
    .updateTable('recordings')
    .set({ files_purged_at: now })
    .where('id', 'in', ids)
    .where('files_purge_started_at', 'is not', null)
    .where('files_purged_at', 'is', null)
    .execute();
  return bytes;
}

/**
 * Deletes the rows of recordings whose files were purged (finishFilePurge first: resource rows
 * reference them), only those still in `scope`. A live recording deleted with its project stops
 * counting in its workspace's storage use here; a soft-deleted one stopped when it was deleted.
 */
export async function deleteRecordingRows(
  db: Db,
  ids: string[],
  scope: Extract<PurgeScope, { kind: 'deleted' | 'project' }>,
  now: number,
): Promise<DueItem[]> {
  if (ids.length === 0) return [];
  const deleted = await db
    .deleteFrom('recordings')
    .where('id', 'in', ids)
    .where('files_purged_at', 'is not', null)
    .where((eb) => inScope(eb, scope))
    .returning(['id', 'workspace_id', 'deleted_at'])
    .execute();
  const live = new Map<string, number>();
  for (const row of deleted) {
    if (row.deleted_at === null) live.set(row.workspace_id, (live.get(row.workspace_id) ?? 0) + 1);
  }
  for (const [workspaceId, n] of live) {
    await adjustWorkspaceUsage(db, workspaceId, { bytes: 0, recordings: -n }, now);
  }
  return toDue(deleted);
}

/** Soft-deleted projects whose grace period ended at `cutoff`, oldest deletion first. */
export async function listDeletedProjectsDue(db: Db, cutoff: number, limit: number): Promise<DueItem[]> {
  const rows = await db
    .selectFrom('projects')
    .select(['id', 'workspace_id'])
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '<=', cutoff)
    .where('is_default', '=', 0)
    .orderBy('deleted_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return toDue(rows);
}

/** Up to `limit` recordings of a project, deleted or not. */
export async function listProjectRecordings(db: Db, projectId: string, limit: number): Promise<DueItem[]> {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'workspace_id'])
    .where('project_id', '=', projectId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return toDue(rows);
}

/** Up to `limit` links of a project, deleted or not. */
export async function listProjectLinks(db: Db, projectId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('links')
    .select('id')
    .where('project_id', '=', projectId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Deletes links of a project that no recording references any more; returns how many went. */
export async function deleteProjectLinks(db: Db, projectId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .deleteFrom('links')
    .where('id', 'in', ids)
    .where('project_id', '=', projectId)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('recordings as r').select('r.id').whereRef('r.link_id', '=', 'links.id'))),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes a soft-deleted project past `cutoff` once nothing references it; false otherwise. */
export async function deleteProjectRow(db: Db, projectId: string, cutoff: number): Promise<boolean> {
  const result = await db
    .deleteFrom('projects')
    .where('id', '=', projectId)
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '<=', cutoff)
    .where('is_default', '=', 0)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('links as l').select('l.id').whereRef('l.project_id', '=', 'projects.id'))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('recordings as r').select('r.id').whereRef('r.project_id', '=', 'projects.id'))),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/**
 * Soft-deleted links past `cutoff` that no recording references, oldest deletion first. A deleted
 * link's recordings stay (PRODUCT.md: deleting a link keeps them), so a link with recordings stays
 * as their (deleted) link until the last of them is purged.
 */
export async function listDeletedLinksDue(db: Db, cutoff: number, limit: number): Promise<DueItem[]> {
  const rows = await db
    .selectFrom('links')
    .select(['id', 'workspace_id'])
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '<=', cutoff)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('recordings as r').select('r.id').whereRef('r.link_id', '=', 'links.id'))),
    )
    .orderBy('deleted_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return toDue(rows);
}

/** Deletes those of `ids` that are still soft-deleted past `cutoff` and unreferenced. */
export async function deleteLinkRows(db: Db, ids: string[], cutoff: number): Promise<DueItem[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .deleteFrom('links')
    .where('id', 'in', ids)
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '<=', cutoff)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('recordings as r').select('r.id').whereRef('r.link_id', '=', 'links.id'))),
    )
    .returning(['id', 'workspace_id'])
    .execute();
  return toDue(rows);
}

// ---- Restores ----------------------------------------------------------------------------------

/** What a restore decides on: the recording's deletion, expiry and file state, its link and project. */
export interface RecordingLifecycle {
  deletedAt: number | null;
  expiresAt: number | null;
  filesPurgeStartedAt: number | null;
  linkDeletedAt: number | null;
  projectDeletedAt: number | null;
}

/** The lifecycle of a recording by id, or undefined. */
export async function findRecordingLifecycle(db: Db, id: string): Promise<RecordingLifecycle | undefined> {
  const row = await db
    .selectFrom('recordings as r')
    .innerJoin('links as l', 'l.id', 'r.link_id')
    .innerJoin('projects as p', 'p.id', 'r.project_id')
    .select([
      'r.deleted_at',
      'r.expires_at',
      'r.files_purge_started_at',
      'l.deleted_at as link_deleted_at',
      'p.deleted_at as project_deleted_at',
    ])
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    deletedAt: row.deleted_at,
    expiresAt: row.expires_at,
    filesPurgeStartedAt: row.files_purge_started_at ?? null,
    linkDeletedAt: row.link_deleted_at,
    projectDeletedAt: row.project_deleted_at,
  };
}

function restorable(eb: ExpressionBuilder<Database, 'recordings'>, cutoff: number, now: number) {
  return eb.and([
    eb('deleted_at', 'is not', null),
    eb('deleted_at', '>', cutoff),
    // Files still kept, or expired anyway (then the files would be gone whether deleted or not).
    eb.or([
      eb('files_purge_started_at', 'is', null),
      eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', now)]),
    ]),
  ]);
}

/**
 * Restores a soft-deleted recording with ONE conditional UPDATE: deleted after `cutoff` and its
 * files not claimed by the purge (unless it is expired anyway). The same row lock orders it against
 * the purge's claim, so of a restore and a purge racing exactly one wins. The recording counts in
 * its workspace's storage use again (same handle). False when the condition no longer holds.
 */
export async function restoreRecordingRow(db: Db, id: string, cutoff: number, now: number): Promise<boolean> {
  const row = await db
    .updateTable('recordings')
    .set({ deleted_at: null, updated_at: now })
    .where('id', '=', id)
    .where((eb) => restorable(eb, cutoff, now))
    .returning('workspace_id')
    .executeTakeFirst();
  if (!row) return false;
  await adjustWorkspaceUsage(db, row.workspace_id, { bytes: 0, recordings: 1 }, now);
  return true;
}

/** Restores a link soft-deleted after `cutoff` (ONE conditional UPDATE); false otherwise. */
export async function restoreLinkRow(db: Db, id: string, cutoff: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('links')
    .set({ deleted_at: null, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '>', cutoff)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The row's project is not soft-deleted: its links and recordings go with it, none is restorable. */
function projectNotDeleted(table: 'links' | 'recordings') {
  return sql<boolean>`not exists (select p.id from projects as p where p.id = ${sql.ref(`${table}.project_id`)} and p.deleted_at is not null)`;
}

/** One page of the ids `base` finds, most recently deleted first, and their total. */
async function deletedIdPage<DB, TB extends keyof DB, O>(
  base: SelectQueryBuilder<DB, TB, O>,
  page: { limit: number; offset: number },
): Promise<{ ids: string[]; total: number }> {
  const [rows, count] = await Promise.all([
    base
      .select(sql.ref<string>('id').as('id'))
      .orderBy(sql.ref('deleted_at'), 'desc')
      .orderBy(sql.ref('id'), 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .$castTo<{ id: string }>()
      .execute(),
    base.select(sql<number>`count(*)`.as('n')).$castTo<{ n: number | string }>().executeTakeFirstOrThrow(),
  ]);
  return { ids: rows.map((r) => r.id), total: Number(count.n) };
}

/**
 * One page of a workspace's recordings that can still be restored (deleted after `cutoff`, files
 * kept or expired anyway, project not deleted), most recently deleted first, and the total.
 */
export async function listRestorableRecordingIds(
  db: Db,
  workspaceId: string,
  cutoff: number,
  now: number,
  page: { limit: number; offset: number },
): Promise<{ ids: string[]; total: number }> {
  const base = db
    .selectFrom('recordings')
    .where('workspace_id', '=', workspaceId)
    .where((eb) => restorable(eb, cutoff, now))
    .where(projectNotDeleted('recordings'));
  return deletedIdPage(base, page);
}

/** One page of a workspace's links that can still be restored, most recently deleted first, and the total. */
export async function listRestorableLinkIds(
  db: Db,
  workspaceId: string,
  cutoff: number,
  page: { limit: number; offset: number },
): Promise<{ ids: string[]; total: number }> {
  const base = db
    .selectFrom('links')
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is not', null)
    .where('deleted_at', '>', cutoff)
    .where(projectNotDeleted('links'));
  return deletedIdPage(base, page);
}
