import { z } from 'zod';
import { ApiError, validationError } from '../domain/errors.ts';
import { canDelete } from '../domain/permissions.ts';
import {
  type ActionEntry,
  type ConsoleEntry,
  DEFAULT_MAX_VIDEO_DURATION_MS,
  MIN_VIDEO_DURATION_MS,
  type NetworkEntry,
  parseActionLog,
  parseConsoleNdjson,
  parseNetworkLog,
  RESOURCE_CONTENT_TYPES,
  RESOURCE_KINDS,
  RESOURCE_MAX_BYTES,
  type ResourceKind,
} from '../domain/recording-resources.ts';
import { singleLine } from '../domain/text-rules.ts';
import type { Page, Recording, RecordingListItem, RecordingStatus } from '../domain/types.ts';
import { DAY_MS, iso } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { claimRecordingSlot } from '../store/recorder.ts';
import {
  browseRecordingsPage,
  countLinkRecordings,
  findLinkForRecording,
  findRecording,
  findRecordingsByIds,
  findResource,
  insertRecording,
  insertResources,
  type LinkForRecording,
  listRecordingsPage,
  lockLink,
  type NewStoredResource,
  softDeleteRecording,
  updateRecordingExpiry,
} from '../store/recordings.ts';
import {
  findRecordingLifecycle,
  listRestorableRecordingIds,
  type RecordingLifecycle,
  restoreRecordingRow,
} from '../store/retention.ts';
import { findMembership } from '../store/workspaces.ts';
import type { Access } from './access.ts';
import { newEventId } from './delivery/events.ts';
import { publish } from './delivery/outbox.ts';
import type { Deps } from './deps.ts';
import { extensionFor } from './file-store.ts';
import { checkPage, type PageRequest } from './paging.ts';
import { deletedCutoff, purgeDueAt } from './retention.ts';

/** Longest a member may push a recording's expiry ahead (PRODUCT.md §1, Recording). */
export const MAX_EXPIRY_AHEAD_MS = 365 * DAY_MS;
/** Caps on the text a recording carries (S38); the product page is silent, these fit any browser. */
export const MAX_META_JSON_BYTES = 64 * 1024;
export const MAX_NOTES_LENGTH = 5_000;

/**
 * One resource of a new recording: its bytes, or a file already stored below DATA_DIR/files and
 * shared between recordings (the demo's video). `sharedPath` is for trusted callers only: it must
 * never come from request input.
 */
export type NewResource = {
  kind: ResourceKind;
  contentType: string;
  durationMs?: number | undefined;
} & ({ data: Buffer | string } | { sharedPath: string });

/** What an upload or the demo hands over to make a recording. */
export interface NewRecording {
  linkId: string;
  status?: RecordingStatus | undefined;
  durationMs: number | null;
  startedAt: number | null;
  systemMeta: Record<string, unknown>;
  customMeta: Record<string, unknown>;
  notes: string | null;
  /** Defaults to now; the demo spreads recordings over the past. */
  createdAt?: number | undefined;
  resources: NewResource[];
  /** fsync each file (default). Only regenerable demo data turns this off, for speed. */
  durable?: boolean | undefined;
}

/** A resource as the API hands it out: a fresh signed URL, or null when it was not captured. */
export interface ResourceLink {
  recordingId: string;
  kind: ResourceKind;
  url: string | null;
  /** When `url` stops working (epoch ms), or null without a URL. */
  urlExpiresAt: number | null;
  type: string;
  size: number;
  durationMs?: number;
  captureEnabled: boolean;
  message: string;
}

/** True once a recording's expiry has passed: metadata stays readable, files are no longer served. */
export function isExpired(recording: Pick<Recording, 'expiresAt'>, now: number): boolean {
  return recording.expiresAt !== null && recording.expiresAt <= now;
}

/** The dashboard page that plays a recording. */
export function playerUrl(deps: Deps, recordingId: string): string {
  return `${deps.config.publicUrl}/recordings/${recordingId}`;
}

const filterId = () => singleLine().min(1).max(64).optional();

/**
 * The filters of listRecordings and browseRecordings with their limits, written once: REST and MCP
 * name them project_id, link_id, created_by and take these schemas for them.
 */
export const RecordingFilterSchema = z.object({
  projectId: filterId(),
  linkId: filterId(),
  createdBy: filterId(),
});
export type RecordingFilter = z.infer<typeof RecordingFilterSchema>;

/** A page of recordings, optionally filtered (listRecordings, browseRecordings). */
export type RecordingListQuery = PageRequest & RecordingFilter;

function pickFilter(input: RecordingFilter): RecordingFilter {
  return { projectId: input.projectId, linkId: input.linkId, createdBy: input.createdBy };
}

function checkRecordingInput(input: NewRecording): void {
  if (input.durationMs !== null && (!Number.isSafeInteger(input.durationMs) || input.durationMs < 0))
    throw validationError('durationMs', 'must be a whole number of milliseconds, 0 or more');
  if (input.startedAt !== null && (!Number.isSafeInteger(input.startedAt) || input.startedAt < 0))
    throw validationError('startedAt', 'must be a time in epoch milliseconds');
  if (input.notes !== null && input.notes.length > MAX_NOTES_LENGTH)
    throw validationError('notes', `must be at most ${MAX_NOTES_LENGTH} characters`);
  for (const field of ['systemMeta', 'customMeta'] as const) {
    if (Buffer.byteLength(JSON.stringify(input[field])) > MAX_META_JSON_BYTES)
      throw validationError(field, `must be at most ${MAX_META_JSON_BYTES} bytes as JSON`);
  }
  const seen = new Set<ResourceKind>();
  for (const resource of input.resources) {
    const field = `resources.${resource.kind}`;
    if (!RESOURCE_KINDS.includes(resource.kind)) throw validationError('resources', 'unknown resource kind');
    if (seen.has(resource.kind)) throw validationError(field, 'is given twice');
    seen.add(resource.kind);
    if (!RESOURCE_CONTENT_TYPES[resource.kind].includes(resource.contentType)) {
      throw new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `${field}: must be one of ${RESOURCE_CONTENT_TYPES[resource.kind].join(', ')}`,
        field,
      );
    }
    if ('data' in resource) {
      const size =
        typeof resource.data === 'string' ? Buffer.byteLength(resource.data) : resource.data.length;
      if (size > RESOURCE_MAX_BYTES[resource.kind]) {
        throw new ApiError(
          413,
          'PAYLOAD_TOO_LARGE',
          `${field}: must be at most ${RESOURCE_MAX_BYTES[resource.kind]} bytes`,
          field,
        );
      }
    }
    if (resource.durationMs !== undefined) {
      if (resource.kind !== 'video')
        throw validationError(`${field}.durationMs`, 'only a video has a duration');
      if (
        !Number.isSafeInteger(resource.durationMs) ||
        resource.durationMs < MIN_VIDEO_DURATION_MS ||
        resource.durationMs > DEFAULT_MAX_VIDEO_DURATION_MS
      ) {
        throw validationError(
          `${field}.durationMs`,
          `must be from ${MIN_VIDEO_DURATION_MS} to ${DEFAULT_MAX_VIDEO_DURATION_MS} ms`,
        );
      }
    }
  }
}

function checkLink(link: LinkForRecording | undefined): LinkForRecording {
  if (!link) throw new ApiError(404, 'LINK_NOT_FOUND', 'This recording link does not exist', 'linkId');
  if (link.deletedAt !== null) throw new ApiError(410, 'LINK_GONE', 'This recording link has been deleted');
  if (link.projectDeletedAt !== null)
    throw new ApiError(410, 'LINK_PROJECT_DELETED', "This recording link's project has been deleted");
  return link;
}

function singleUseConflict(): ApiError {
  return new ApiError(409, 'CONFLICT', 'This recording link is single-use and already has a recording');
}

/**
 * Creates a recording for a link with its resource files. The link's workspace, project and creator
 * are copied (the link's creator owns the recording); `expiresAt` follows the project's retention.
 * A single-use link takes one recording (409 CONFLICT after that, deleted recordings included).
 */
export async function createRecording(deps: Deps, input: NewRecording): Promise<Recording> {
  const [id] = await createRecordings(deps, [input]);
  const created = id === undefined ? undefined : await findRecording(deps.db, id);
  if (!created) throw new Error(`recording ${id} vanished after insert`);
  return created;
}

interface PreparedRecording {
  id: string;
  input: NewRecording;
  createdAt: number;
  resources: NewStoredResource[];
}

/**
 * Creates several recordings in one transaction, all or none, and returns their ids in order (the
 * rules are createRecording's). Files are written first and the rows committed after, so a
 * committed recording always has its files; a failure removes the files written so far. One
 * commit for many recordings is what makes a large demo fast.
 */
export async function createRecordings(deps: Deps, inputs: NewRecording[]): Promise<string[]> {
  for (const input of inputs) checkRecordingInput(input);
  const prepared: PreparedRecording[] = [];
  try {
    for (const input of inputs) {
      // A cheap look before writing possibly large files; the transaction checks again under lock.
      const early = checkLink(await findLinkForRecording(deps.db, input.linkId));
      if (!early.reusable && (await countLinkRecordings(deps.db, early.id)) > 0) throw singleUseConflict();
      const createdAt = input.createdAt ?? deps.clock.now();
      const id = newId('rec', createdAt);
      const item: PreparedRecording = { id, input, createdAt, resources: [] };
      prepared.push(item);
      for (const resource of input.resources) {
        let stored: { storagePath: string; size: number };
        if ('data' in resource) {
          stored = await deps.files.write(
            `${id}/${resource.kind}.${extensionFor(resource.contentType)}`,
            resource.data,
            { contentType: resource.contentType, durable: input.durable ?? true },
          );
        } else {
          const size = await deps.files.size(resource.sharedPath);
          if (size === undefined) throw new Error(`shared file ${resource.sharedPath} does not exist`);
          stored = { storagePath: resource.sharedPath, size };
        }
        item.resources.push({
          recordingId: id,
          kind: resource.kind,
          storagePath: stored.storagePath,
          contentType: resource.contentType,
          size: stored.size,
          durationMs: resource.durationMs ?? null,
          createdAt,
        });
      }
    }
    await deps.db.transaction().execute(async (trx) => {
      // Link rows first, in id order, then the recordings (which update the workspace's usage row):
      // the same lock order as a recorder start (link, then usage) and as any other batch, so two
      // writers on PostgreSQL can never wait for each other in a circle.
      const links = new Map<string, LinkForRecording>();
      for (const item of [...prepared].sort((a, b) => (a.input.linkId < b.input.linkId ? -1 : 1))) {
        await lockLink(trx, item.input.linkId);
        const link = checkLink(await findLinkForRecording(trx, item.input.linkId));
        // One conditional write claims the link's slot (a single-use link: once), so an earlier
        // item of the same batch, or a concurrent upload, counts too.
        if (!(await claimRecordingSlot(trx, link.id))) throw singleUseConflict();
        links.set(item.input.linkId, link);
      }
      for (const { id, input, createdAt, resources } of prepared) {
        const link = links.get(input.linkId)!;
        await insertRecording(trx, {
          id,
          workspaceId: link.workspaceId,
          projectId: link.projectId,
          linkId: link.id,
          creatorMemberId: link.creatorMemberId,
          status: input.status ?? 'ready',
          durationMs: input.durationMs,
          startedAt: input.startedAt,
          systemMeta: input.systemMeta,
          customMeta: input.customMeta,
          notes: input.notes,
          expiresAt:
            link.projectRetentionDays === null ? null : createdAt + link.projectRetentionDays * DAY_MS,
          createdAt,
        });
        await insertResources(trx, resources);
      }
    });
  } catch (error) {
    for (const { id } of prepared) {
      await deps.files
        .removeRecording(id)
        .catch((cleanup: unknown) =>
          deps.log.warn({ err: cleanup, recordingId: id }, 'could not remove files of a failed recording'),
        );
    }
    throw error;
  }
  return prepared.map((p) => p.id);
}

/**
 * A recording as the caller may see it. Another workspace's recording is 403
 * RECORDING_WORKSPACE_MISMATCH only to someone who belongs to that workspace too; to anyone else
 * it does not exist (404, S39). A deleted one is 410 RECORDING_GONE.
 */
async function visibleRecording(deps: Deps, access: Access, recordingId: string): Promise<Recording> {
  const recording = await workspaceRecording(deps, access, recordingId);
  if (recording.deletedAt !== null)
    throw new ApiError(410, 'RECORDING_GONE', 'This recording has been deleted');
  return recording;
}

/** A recording of the caller's workspace, deleted or not; the not-found and mismatch rules of visibleRecording. */
async function workspaceRecording(deps: Deps, access: Access, recordingId: string): Promise<Recording> {
  const notFound = () => new ApiError(404, 'RECORDING_NOT_FOUND', 'This recording does not exist');
  if (recordingId.length > 64) throw notFound();
  const recording = await findRecording(deps.db, recordingId);
  if (!recording) throw notFound();
  if (recording.workspaceId !== access.workspace.id) {
    const own = await findMembership(deps.db, access.userId, recording.workspaceId);
    if (own && own.workspace.deletedAt === null) {
      throw new ApiError(
        403,
        'RECORDING_WORKSPACE_MISMATCH',
        'This recording belongs to another of your workspaces; use that workspace id',
      );
    }
    throw notFound();
  }
  return recording;
}

/** Live recordings of the caller's workspace, newest first, optionally filtered by project, link or creator. */
export async function listRecordings(
  deps: Deps,
  access: Access,
  input: RecordingListQuery,
): Promise<Page<Recording>> {
  checkPage(input);
  const { items, total } = await listRecordingsPage(
    deps.db,
    { workspaceId: access.workspace.id, ...pickFilter(input) },
    input.perPage,
    (input.page - 1) * input.perPage,
  );
  return { items, page: input.page, perPage: input.perPage, total };
}

/**
 * Like listRecordings but without a total, so a page costs the same whatever the workspace holds;
 * for callers that page with "more?" (MCP tools) rather than "page N of M".
 */
export async function browseRecordings(
  deps: Deps,
  access: Access,
  input: RecordingListQuery,
): Promise<{ items: RecordingListItem[]; page: number; perPage: number; hasMore: boolean }> {
  checkPage(input);
  const { items, hasMore } = await browseRecordingsPage(
    deps.db,
    { workspaceId: access.workspace.id, ...pickFilter(input) },
    input.perPage,
    (input.page - 1) * input.perPage,
  );
  return { items, page: input.page, perPage: input.perPage, hasMore };
}

/** One recording of the caller's workspace; an expired one is still readable (see isExpired). */
export async function getRecording(deps: Deps, access: Access, recordingId: string): Promise<Recording> {
  return visibleRecording(deps, access, recordingId);
}

function mayDelete(access: Access, recording: Recording): boolean {
  return canDelete(
    { role: access.member.role, memberId: access.member.id },
    'recording.delete',
    recording.creator.memberId,
  );
}

/**
 * Soft-deletes a recording (admins, owners, or the creator of its link); afterwards it answers 410
 * RECORDING_GONE. Its files are kept, so restoreRecording can bring everything back within
 * DELETED_RETENTION_DAYS; the retention job removes files and rows after that (services/retention.ts).
 */
export async function deleteRecording(deps: Deps, access: Access, recordingId: string): Promise<void> {
  const recording = await visibleRecording(deps, access, recordingId);
  if (!mayDelete(access, recording)) {
    throw new ApiError(
      403,
      'RECORDING_DELETE_FORBIDDEN',
      `Deleting this recording requires the admin or owner role, or being the creator of its link; your role is ${access.member.role}. Ask an owner or admin (Workspace Settings > Team).`,
    );
  }
  await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now();
    if (!(await softDeleteRecording(trx, recording.id, now)))
      throw new ApiError(410, 'RECORDING_GONE', 'This recording has been deleted');
    await publish(deps, trx, {
      type: 'recording.deleted',
      id: newEventId(deps),
      at: now,
      workspaceId: recording.workspaceId,
      recordingId: recording.id,
      linkId: recording.link.id,
    });
  });
  deps.wakeDeliveries();
}

/** A restored recording, and whether its link is still deleted (restoring a recording leaves the link as it is). */
export interface RestoredRecording {
  recording: Recording;
  linkDeleted: boolean;
}

function tooLateToRestore(deps: Deps, deletedAt: number): ApiError {
  return new ApiError(
    410,
    'RECORDING_GONE',
    `This recording was deleted on ${iso(deletedAt)}; deleted recordings can be restored for ${deps.config.deletedRetentionDays} days, so it can no longer be restored`,
  );
}

/** Why a deleted recording cannot be restored at `now`, or undefined when it can. */
function restoreRefusal(deps: Deps, life: RecordingLifecycle, now: number): ApiError | undefined {
  if (life.deletedAt === null)
    return new ApiError(
      409,
      'RECORDING_NOT_DELETED',
      'This recording is not deleted; there is nothing to restore',
    );
  if (life.projectDeletedAt !== null) {
    return new ApiError(
      410,
      'PROJECT_GONE',
      "This recording's project has been deleted; its recordings go with it and can no longer be restored",
    );
  }
  const expired = life.expiresAt !== null && life.expiresAt <= now;
  if (life.deletedAt <= deletedCutoff(deps.config, now) || (life.filesPurgeStartedAt !== null && !expired))
    return tooLateToRestore(deps, life.deletedAt);
  return undefined;
}

/**
 * Brings a soft-deleted recording back, files and all, within DELETED_RETENTION_DAYS of its deletion
 * (the same people as delete: admins, owners, the link's creator). Restoring a live one is 409
 * RECORDING_NOT_DELETED; after the grace period, or once the purge has begun, 410 RECORDING_GONE.
 * A recording whose project was deleted is 410 PROJECT_GONE (the project takes its recordings).
 * The recording's link is left as it is: a deleted link's recordings stay readable anyway
 * (deleteLink), and restoring the link would reopen it to customers, which is a separate decision.
 */
export async function restoreRecording(
  deps: Deps,
  access: Access,
  recordingId: string,
): Promise<RestoredRecording> {
  const recording = await workspaceRecording(deps, access, recordingId);
  if (!mayDelete(access, recording)) {
    throw new ApiError(
      403,
      'RECORDING_RESTORE_FORBIDDEN',
      `Restoring this recording requires the admin or owner role, or being the creator of its link; your role is ${access.member.role}. Ask an owner or admin (Workspace Settings > Team).`,
    );
  }
  const now = deps.clock.now();
  const life = await findRecordingLifecycle(deps.db, recording.id);
  if (!life) throw new ApiError(404, 'RECORDING_NOT_FOUND', 'This recording does not exist');
  const refusal = restoreRefusal(deps, life, now);
  if (refusal) throw refusal;
  const cutoff = deletedCutoff(deps.config, now);
  const restored = await deps.db
    .transaction()
    .execute((trx) => restoreRecordingRow(trx, recording.id, cutoff, now));
  if (!restored) {
    // A concurrent restore or the purge got there first: say which.
    const fresh = await findRecordingLifecycle(deps.db, recording.id);
    if (!fresh) throw tooLateToRestore(deps, life.deletedAt ?? now);
    throw restoreRefusal(deps, fresh, now) ?? tooLateToRestore(deps, life.deletedAt ?? now);
  }
  return {
    recording: await visibleRecording(deps, access, recording.id),
    linkDeleted: life.linkDeletedAt !== null,
  };
}

/** A deleted recording that can still be restored, and when the purge removes it for good. */
export interface DeletedRecording {
  recording: Recording;
  /** Deleted at + DELETED_RETENTION_DAYS: the next retention run after it removes it. */
  purgeAt: number;
  /** Whether the caller may restore it (the delete rule). */
  canRestore: boolean;
}

/**
 * The workspace's recordings that can still be restored (any member may see them), most recently
 * deleted first. Not those of a deleted project, nor those whose purge has begun.
 */
export async function listDeletedRecordings(
  deps: Deps,
  access: Access,
  page: PageRequest,
): Promise<Page<DeletedRecording>> {
  const { page: p, perPage } = checkPage(page);
  const now = deps.clock.now();
  const { ids, total } = await listRestorableRecordingIds(
    deps.db,
    access.workspace.id,
    deletedCutoff(deps.config, now),
    now,
    { limit: perPage, offset: (p - 1) * perPage },
  );
  const items = (await findRecordingsByIds(deps.db, ids)).map((recording) => ({
    recording,
    purgeAt: purgeDueAt(deps.config, recording.deletedAt ?? now),
    canRestore: mayDelete(access, recording),
  }));
  return { items, page: p, perPage, total };
}

/**
 * A deleted recording of the caller's workspace with when it can be restored until (null: no
 * longer), for pages that explain a 410; undefined when it is not deleted.
 */
export async function getDeletedRecording(
  deps: Deps,
  access: Access,
  recordingId: string,
): Promise<{ recording: Recording; restorableUntil: number | null; canRestore: boolean } | undefined> {
  const recording = await workspaceRecording(deps, access, recordingId);
  if (recording.deletedAt === null) return undefined;
  const life = await findRecordingLifecycle(deps.db, recording.id);
  const now = deps.clock.now();
  const restorable = life !== undefined && restoreRefusal(deps, life, now) === undefined;
  return {
    recording,
    restorableUntil: restorable ? purgeDueAt(deps.config, recording.deletedAt) : null,
    canRestore: restorable && mayDelete(access, recording),
  };
}

/**
 * Sets (or clears, with null) when a recording expires. Any member may; the new time must be in
 * the future and at most one year ahead.
 */
export async function setRecordingExpiry(
  deps: Deps,
  access: Access,
  recordingId: string,
  expiresAt: number | null,
): Promise<Recording> {
  const recording = await visibleRecording(deps, access, recordingId);
  const now = deps.clock.now();
  if (expiresAt !== null) {
    if (!Number.isSafeInteger(expiresAt)) throw validationError('expiresAt', 'must be a valid time');
    if (expiresAt <= now) throw validationError('expiresAt', 'must be in the future');
    if (expiresAt > now + MAX_EXPIRY_AHEAD_MS)
      throw validationError('expiresAt', 'must be at most one year from now');
  }
  if (recording.filesDeletedAt !== null) throw filesDeletedError();
  if (!(await updateRecordingExpiry(deps.db, recording.id, expiresAt, now))) {
    // Deleted meanwhile (RECORDING_GONE), or the retention job claimed its files first.
    const fresh = await visibleRecording(deps, access, recording.id);
    if (fresh.filesDeletedAt !== null) throw filesDeletedError();
    throw new ApiError(410, 'RECORDING_GONE', 'This recording has been deleted');
  }
  return visibleRecording(deps, access, recording.id);
}

function filesDeletedError(): ApiError {
  return new ApiError(
    410,
    'RECORDING_EXPIRED',
    'This recording has expired and its video and logs have been deleted; its expiry can no longer be changed',
  );
}

// A live recording whose files the job is removing: one of a deleted project being purged.
function purgingError(): ApiError {
  return new ApiError(410, 'RECORDING_GONE', 'This recording is being deleted with its project');
}

function expiredError(): ApiError {
  return new ApiError(
    410,
    'RECORDING_EXPIRED',
    'This recording has expired: its video and logs are no longer available',
  );
}

const KIND_WORDS: Readonly<Record<ResourceKind, string>> = {
  video: 'video',
  thumbnail: 'thumbnail',
  'console-log': 'console log',
  'network-log': 'network log',
  action: 'action log',
};

/**
 * A fresh signed URL for one resource, valid `fileUrlTtlSeconds`; `url` is null when the resource
 * was not captured. An expired recording serves nothing: 410 RECORDING_EXPIRED.
 */
export async function getRecordingResource(
  deps: Deps,
  access: Access,
  recordingId: string,
  kind: ResourceKind,
): Promise<ResourceLink> {
  const recording = await visibleRecording(deps, access, recordingId);
  const now = deps.clock.now();
  if (isExpired(recording, now)) throw expiredError();
  if (recording.filesDeletedAt !== null) throw purgingError();
  const resource = await findResource(deps.db, recording.id, kind);
  const words = KIND_WORDS[kind];
  if (!resource) {
    // Video and thumbnail are always recorded, so their absence means the upload is not there
    // (yet); logs exist only where the customer's site embeds our capture script.
    const alwaysCaptured = kind === 'video' || kind === 'thumbnail';
    let message = `No ${words} was captured for this recording`;
    if (alwaysCaptured && recording.status === 'pending') message = `The ${words} is still uploading`;
    else if (alwaysCaptured && recording.status === 'failed') message = `The ${words} upload failed`;
    return {
      recordingId: recording.id,
      kind,
      url: null,
      urlExpiresAt: null,
      type: RESOURCE_CONTENT_TYPES[kind][0]!,
      size: 0,
      captureEnabled: alwaysCaptured,
      message,
    };
  }
  const ttl = deps.config.fileUrlTtlSeconds;
  const expSec = Math.floor(now / 1000) + ttl;
  const durationMs =
    kind === 'video' ? (resource.durationMs ?? recording.durationMs ?? undefined) : undefined;
  return {
    recordingId: recording.id,
    kind,
    url: await deps.files.downloadUrl(resource.storagePath, {
      contentType: resource.contentType,
      expiresAtSec: expSec,
    }),
    urlExpiresAt: expSec * 1000,
    type: resource.contentType,
    size: resource.size,
    ...(durationMs !== undefined ? { durationMs } : {}),
    captureEnabled: true,
    message: `Signed ${words} URL, valid for ${ttl} seconds; request a new one after that`,
  };
}

/** The log kinds whose entries the server parses (console, network, actions). */
export type LogKind = 'console-log' | 'network-log' | 'action';

/** The entry type of each log kind. */
export interface LogEntries {
  'console-log': ConsoleEntry;
  'network-log': NetworkEntry;
  action: ActionEntry;
}

/** A recording's parsed log: its entries sorted by `ts`, or none when the log was not captured. */
export interface RecordingLog<K extends LogKind> {
  recording: Recording;
  captured: boolean;
  entries: LogEntries[K][];
  /** Entries of the stored file that did not parse and were left out. */
  invalidEntries: number;
}

const PARSERS: { [K in LogKind]: (text: string) => { entries: LogEntries[K][]; invalidLines: unknown[] } } = {
  'console-log': parseConsoleNdjson,
  'network-log': parseNetworkLog,
  action: parseActionLog,
};

/**
 * The parsed entries of one of a recording's logs, for callers that filter and page them (the MCP
 * tools). Same rules as getRecordingResource: deleted → 410 RECORDING_GONE, expired → 410
 * RECORDING_EXPIRED. The whole file is read and parsed per call: logs are at most 50 MB and this is
 * an interactive, per-recording read, so no cache is kept.
 */
export async function readRecordingLog<K extends LogKind>(
  deps: Deps,
  access: Access,
  recordingId: string,
  kind: K,
): Promise<RecordingLog<K>> {
  const recording = await visibleRecording(deps, access, recordingId);
  if (isExpired(recording, deps.clock.now())) throw expiredError();
  if (recording.filesDeletedAt !== null) throw purgingError();
  const resource = await findResource(deps.db, recording.id, kind);
  const bytes = resource ? await deps.files.read(resource.storagePath) : undefined;
  if (!bytes) return { recording, captured: false, entries: [], invalidEntries: 0 };
  const parsed = PARSERS[kind](bytes.toString('utf8'));
  return { recording, captured: true, entries: parsed.entries, invalidEntries: parsed.invalidLines.length };
}
