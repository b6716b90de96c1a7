import { ApiError, validationError } from '../domain/errors.ts';
import { DEFAULT_MAX_VIDEO_DURATION_MS } from '../domain/recording-resources.ts';
import type { Page, Project } from '../domain/types.ts';
import { newId } from '../lib/ids.ts';
import {
  findWorkspaceProject,
  listLiveProjects,
  softDeleteProject,
  updateProjectRow,
} from '../store/projects.ts';
import { insertProject } from '../store/workspaces.ts';
import { type Access, requireCapability } from './access.ts';
import type { Deps } from './deps.ts';
import { checkPage, type PageRequest } from './paging.ts';

export const MAX_RETENTION_DAYS = 3650;
/** The highest per-project recording length limit an admin may set (one hour). */
export const MAX_RECORDING_SECONDS_LIMIT = 3600;
/** The recording length limit of a project that sets none (PRODUCT.md §1: 180 s). */
export const DEFAULT_MAX_RECORDING_SECONDS = DEFAULT_MAX_VIDEO_DURATION_MS / 1000;

/** Checks a project title: 1–100 characters after trimming. */
export function checkProjectTitle(title: unknown): string {
  if (typeof title !== 'string') throw validationError('title', 'must be a string');
  const trimmed = title.trim();
  if (trimmed.length < 1 || trimmed.length > 100)
    throw validationError('title', 'must be 1 to 100 characters');
  return trimmed;
}

/** Checks a retention period: null (keep forever) or a whole number of days from 1 to 3650. */
export function checkRetentionDays(days: unknown): number | null {
  if (days === null) return null;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS)
    throw validationError('retentionDays', `must be null or a whole number from 1 to ${MAX_RETENTION_DAYS}`);
  return days;
}

/** Checks a recording length limit: null (the default, 180 s) or a whole number of seconds from 1 to 3600. */
export function checkMaxRecordingSeconds(seconds: unknown): number | null {
  if (seconds === null) return null;
  if (
    typeof seconds !== 'number' ||
    !Number.isInteger(seconds) ||
    seconds < 1 ||
    seconds > MAX_RECORDING_SECONDS_LIMIT
  )
    throw validationError(
      'maxRecordingSeconds',
      `must be null (the default, ${DEFAULT_MAX_RECORDING_SECONDS} s) or a whole number of seconds from 1 to ${MAX_RECORDING_SECONDS_LIMIT}`,
    );
  return seconds;
}

const notFound = () => new ApiError(404, 'PROJECT_NOT_FOUND', 'No such project in this workspace');
const gone = () => new ApiError(410, 'PROJECT_GONE', 'This project has been deleted');

/** A project of the caller's workspace, deleted or not; an unknown id or another workspace's is 404 (S39). */
async function findProject(deps: Deps, access: Access, projectId: string): Promise<Project> {
  const project =
    projectId.length <= 64 ? await findWorkspaceProject(deps.db, access.workspace.id, projectId) : undefined;
  if (!project) throw notFound();
  return project;
}

/** Live projects of the workspace, newest first. */
export async function listProjects(deps: Deps, access: Access, page: PageRequest): Promise<Page<Project>> {
  requireCapability(access, 'workspace.read', 'Listing projects');
  const { page: p, perPage } = checkPage(page);
  const { items, total } = await listLiveProjects(deps.db, access.workspace.id, { page: p, perPage });
  return { items, page: p, perPage, total };
}

/** One live project; PROJECT_GONE once deleted, PROJECT_NOT_FOUND when it never existed here. */
export async function getProject(deps: Deps, access: Access, projectId: string): Promise<Project> {
  requireCapability(access, 'workspace.read', 'Reading a project');
  const project = await findProject(deps, access, projectId);
  if (project.deletedAt !== null) throw gone();
  return project;
}

/** Creates a project (admin or owner). */
export async function createProject(
  deps: Deps,
  access: Access,
  input: {
    title: string;
    retentionDays?: number | null | undefined;
    maxRecordingSeconds?: number | null | undefined;
  },
): Promise<Project> {
  requireCapability(access, 'project.manage', 'Creating projects');
  const title = checkProjectTitle(input.title);
  const retentionDays = checkRetentionDays(input.retentionDays ?? null);
  const maxRecordingSeconds = checkMaxRecordingSeconds(input.maxRecordingSeconds ?? null);
  const now = deps.clock.now();
  return insertProject(deps.db, {
    id: newId('prj', now),
    workspaceId: access.workspace.id,
    title,
    isDefault: false,
    retentionDays,
    maxRecordingSeconds,
    createdAt: now,
  });
}

/**
 * Updates a project's title, retention and/or recording length limit (admin or owner); fields left
 * undefined stay as they are. A new limit applies to recordings started after it.
 */
export async function updateProject(
  deps: Deps,
  access: Access,
  projectId: string,
  input: {
    title?: string | undefined;
    retentionDays?: number | null | undefined;
    maxRecordingSeconds?: number | null | undefined;
  },
): Promise<Project> {
  requireCapability(access, 'project.manage', 'Editing projects');
  const patch: { title?: string; retentionDays?: number | null; maxRecordingSeconds?: number | null } = {};
  if (input.title !== undefined) patch.title = checkProjectTitle(input.title);
  if (input.retentionDays !== undefined) patch.retentionDays = checkRetentionDays(input.retentionDays);
  if (input.maxRecordingSeconds !== undefined)
    patch.maxRecordingSeconds = checkMaxRecordingSeconds(input.maxRecordingSeconds);
  const project = await findProject(deps, access, projectId);
  if (project.deletedAt !== null) throw gone();
  const now = deps.clock.now();
  if (!(await updateProjectRow(deps.db, project.id, patch, now))) throw gone();
  return { ...project, ...patch, updatedAt: now };
}

/** Soft-deletes a project (admin or owner); the default project cannot be deleted. */
export async function deleteProject(deps: Deps, access: Access, projectId: string): Promise<void> {
  requireCapability(access, 'project.manage', 'Deleting projects');
  const project = await findProject(deps, access, projectId);
  if (project.deletedAt !== null) throw gone();
  if (project.isDefault)
    throw new ApiError(403, 'FORBIDDEN', 'The default project cannot be deleted; every workspace keeps one');
  if (!(await softDeleteProject(deps.db, project.id, deps.clock.now()))) throw gone();
}
