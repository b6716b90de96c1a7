import type { Project } from '../domain/types.ts';
import type { Db } from './db.ts';
import { toProject } from './workspaces.ts';

/** Live projects of a workspace, newest first, one page of them and the total. */
export async function listLiveProjects(
  db: Db,
  workspaceId: string,
  page: { page: number; perPage: number },
): Promise<{ items: Project[]; total: number }> {
  const live = db
    .selectFrom('projects')
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null);
  const count = await live.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await live
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.perPage)
    .offset((page.page - 1) * page.perPage)
    .execute();
  return { items: rows.map(toProject), total: Number(count.n) };
}

/** A project of this workspace by id, deleted or not; another workspace's project finds nothing (S39). */
export async function findWorkspaceProject(
  db: Db,
  workspaceId: string,
  projectId: string,
): Promise<Project | undefined> {
  const row = await db
    .selectFrom('projects')
    .selectAll()
    .where('id', '=', projectId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return row && toProject(row);
}

/** Updates a live project's title, retention and/or recording length limit; false when it is deleted. */
export async function updateProjectRow(
  db: Db,
  projectId: string,
  patch: { title?: string; retentionDays?: number | null; maxRecordingSeconds?: number | null },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('projects')
    .set({
      updated_at: now,
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.retentionDays !== undefined ? { retention_days: patch.retentionDays } : {}),
      ...(patch.maxRecordingSeconds !== undefined
        ? { max_recording_seconds: patch.maxRecordingSeconds }
        : {}),
    })
    .where('id', '=', projectId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Soft-deletes a live project that is not the default one; false otherwise. */
export async function softDeleteProject(db: Db, projectId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('projects')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', projectId)
    .where('deleted_at', 'is', null)
    .where('is_default', '=', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The workspace's live default project, where a link without a project goes. */
export async function findDefaultProject(db: Db, workspaceId: string): Promise<Project | undefined> {
  const row = await db
    .selectFrom('projects')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('is_default', '=', 1)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row && toProject(row);
}
