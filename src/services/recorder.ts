import { capActionEntry, capConsoleEntry, capNetworkEntry, maskUrl } from '../domain/captured-data.ts';
import { sniffImage, sniffVideo } from '../domain/content-sniff.ts';
import { normalizeDomainUrl } from '../domain/domain-verification.ts';
import { ApiError, validationError } from '../domain/errors.ts';
import {
  DEFAULT_MAX_VIDEO_DURATION_MS,
  MAX_THUMBNAIL_BYTES,
  MAX_VIDEO_BYTES,
  MIN_VIDEO_DURATION_MS,
  type ParseResult,
  parseActionLog,
  parseConsoleNdjson,
  parseNetworkLog,
} from '../domain/recording-resources.ts';
import { DAY_MS } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { signUploadToken, verifyUploadToken } from '../lib/upload-token.ts';
import {
  claimRecordingSlot,
  findRecorderLink,
  findUploadTarget,
  hasResource,
  listStalePendingRecordings,
  listVerifiedHosts,
  type RecorderLink,
  releaseRecordingSlot,
  settleRecording,
  type UploadTarget,
  updatePendingRecording,
  upsertResource,
} from '../store/recorder.ts';
import { deleteResources, insertRecording } from '../store/recordings.ts';
import { newEventId, recordingSummary } from './delivery/events.ts';
import { publish } from './delivery/outbox.ts';
import type { Deps } from './deps.ts';
import { extensionFor, localUploadLastActivity, removeLocalUpload } from './file-store.ts';

// The local disk's uploads directory, for callers that look at it (tests); the upload code itself
// goes through `deps.files` (uploadStore, uploadHead, adoptUpload, removeUpload).
export { uploadsDir } from './file-store.ts';

// The recorder's use cases: the public page behind a link, and the upload API that the page, the
// embed script and any integration call (docs/recorder.md). A customer has no account; what they
// may do is bounded by the link (start one recording) and then by an upload token bound to that one
// recording while it is pending.

/** How long an upload token works: long enough for a slow 500 MB upload, resumed after a reload. */
export const UPLOAD_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;
/** A pending upload with no activity for this long is marked failed and its parts removed. */
export const ABANDONED_AFTER_MS = DAY_MS;
/** `customMeta` from `Userplane.setMetadata` (PRODUCT.md: ≤ 10 KB); `systemMeta` gets the same cap. */
export const MAX_RECORDER_META_BYTES = 10 * 1024;
/** Notes the customer writes for the team. */
export const MAX_RECORDER_NOTES = 5_000;

export type RecorderLinkState = 'open' | 'recorded' | 'gone' | 'domain_unverified';

/** What the recorder page shows about a link. */
export interface RecorderLinkView {
  linkId: string;
  linkTitle: string | null;
  state: RecorderLinkState;
  workspaceName: string;
  agentName: string;
  minDurationMs: number;
  maxDurationMs: number;
  /** Hosts of the workspace's verified domains: the only origins the page talks to (postMessage). */
  verifiedHosts: string[];
}

function stateOf(link: RecorderLink): RecorderLinkState {
  if (link.deletedAt !== null || link.projectDeletedAt !== null || link.workspaceDeletedAt !== null)
    return 'gone';
  if (link.domainStatus !== 'verified' || link.domainDeletedAt !== null) return 'domain_unverified';
  if (!link.reusable && link.recordingCount > 0) return 'recorded';
  return 'open';
}

function maxDurationOf(link: RecorderLink): number {
  return link.projectMaxRecordingSeconds === null
    ? DEFAULT_MAX_VIDEO_DURATION_MS
    : link.projectMaxRecordingSeconds * 1000;
}

const linkNotFound = () =>
  new ApiError(404, 'LINK_NOT_FOUND', 'This recording link does not exist', 'linkId');

/** The link as the recorder sees it; 404 LINK_NOT_FOUND when there is no such link. */
export async function getRecorderLink(deps: Deps, linkId: string): Promise<RecorderLinkView> {
  if (linkId.length > 64) throw linkNotFound();
  const link = await findRecorderLink(deps.db, linkId);
  if (!link) throw linkNotFound();
  const state = stateOf(link);
  return {
    linkId: link.id,
    linkTitle: link.title,
    state,
    workspaceName: link.workspaceName,
    agentName: link.agentName,
    minDurationMs: MIN_VIDEO_DURATION_MS,
    maxDurationMs: maxDurationOf(link),
    verifiedHosts: state === 'gone' ? [] : await listVerifiedHosts(deps.db, link.workspaceId),
  };
}

/** The API's refusal for a link that cannot take a recording now. */
function refusalFor(link: RecorderLink, state: RecorderLinkState): ApiError {
  if (state === 'gone') {
    if (link.workspaceDeletedAt !== null)
      return new ApiError(410, 'WORKSPACE_GONE', 'This workspace has been deleted');
    if (link.deletedAt !== null)
      return new ApiError(410, 'LINK_GONE', 'This recording link has been deleted');
    return new ApiError(410, 'LINK_PROJECT_DELETED', "This recording link's project has been deleted");
  }
  if (state === 'domain_unverified') {
    return new ApiError(
      403,
      'DOMAIN_NOT_VERIFIED',
      `This link's domain (${link.domainHost}) is no longer verified; ask the team for a new link`,
    );
  }
  return new ApiError(
    409,
    'LINK_ALREADY_RECORDED',
    'This recording link is single-use and already has a recording',
  );
}

/** What a customer declares when starting a recording (checked again when the bytes arrive). */
export interface StartRecordingInput {
  durationMs: number;
  startedAt?: number | undefined;
  notes?: string | null | undefined;
  systemMeta?: Record<string, unknown> | undefined;
  customMeta?: Record<string, unknown> | undefined;
  video: { type: string; size: number };
}

export interface StartedRecording {
  recordingId: string;
  uploadToken: string;
  uploadTokenExpiresAt: number;
  maxVideoBytes: number;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** The base media type of a declared type (`video/webm;codecs=vp9` → `video/webm`), lower-cased. */
function baseType(type: string): string {
  return (type.split(';')[0] ?? '').trim().toLowerCase();
}

function checkMeta(field: string, value: Record<string, unknown> | undefined): void {
  if (value !== undefined && jsonBytes(value) > MAX_RECORDER_META_BYTES) {
    throw validationError(field, `must be at most ${MAX_RECORDER_META_BYTES} bytes as JSON`);
  }
}

/** systemMeta as stored: the page URL masked like every captured URL. */
function cleanSystemMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!meta) return {};
  return typeof meta.url === 'string' ? { ...meta, url: maskUrl(meta.url) } : meta;
}

/**
 * Starts a recording for a link: checks the link can take one and the declared video fits the limits,
 * claims the link's slot with one conditional write (a single-use link: once, whatever the
 * concurrency), and inserts the recording `pending`, expiring by its project's retention. Returns
 * the upload token bound to that recording.
 */
export async function startRecording(
  deps: Deps,
  linkId: string,
  input: StartRecordingInput,
): Promise<StartedRecording> {
  if (linkId.length > 64) throw linkNotFound();
  const link = await findRecorderLink(deps.db, linkId);
  if (!link) throw linkNotFound();
  const state = stateOf(link);
  if (state !== 'open') throw refusalFor(link, state);

  const maxMs = maxDurationOf(link);
  if (
    !Number.isSafeInteger(input.durationMs) ||
    input.durationMs < MIN_VIDEO_DURATION_MS ||
    input.durationMs > maxMs
  ) {
    throw validationError('durationMs', `must be from ${MIN_VIDEO_DURATION_MS} to ${maxMs} ms for this link`);
  }
  const type = baseType(input.video.type);
  if (type !== 'video/webm' && type !== 'video/mp4') {
    throw new ApiError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'video.type: must be video/webm or video/mp4',
      'video.type',
    );
  }
  if (!Number.isSafeInteger(input.video.size) || input.video.size < 1 || input.video.size > MAX_VIDEO_BYTES) {
    throw new ApiError(
      413,
      'PAYLOAD_TOO_LARGE',
      `video.size: must be from 1 to ${MAX_VIDEO_BYTES} bytes`,
      'video.size',
    );
  }
  if (input.notes && input.notes.length > MAX_RECORDER_NOTES) {
    throw validationError('notes', `must be at most ${MAX_RECORDER_NOTES} characters`);
  }
  checkMeta('systemMeta', input.systemMeta);
  checkMeta('customMeta', input.customMeta);

  const now = deps.clock.now();
  const recordingId = newId('rec', now);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await claimRecordingSlot(trx, link.id))) {
      // Lost the race, or the link changed since it was read: say what it is now.
      const current = await findRecorderLink(trx, link.id);
      throw current
        ? refusalFor(current, stateOf(current) === 'open' ? 'recorded' : stateOf(current))
        : linkNotFound();
    }
    await insertRecording(trx, {
      id: recordingId,
      workspaceId: link.workspaceId,
      projectId: link.projectId,
      linkId: link.id,
      creatorMemberId: link.creatorMemberId,
      status: 'pending',
      durationMs: input.durationMs,
      startedAt: input.startedAt ?? null,
      systemMeta: cleanSystemMeta(input.systemMeta),
      customMeta: input.customMeta ?? {},
      notes: input.notes?.trim() ? input.notes.trim() : null,
      expiresAt: link.projectRetentionDays === null ? null : now + link.projectRetentionDays * DAY_MS,
      failureReason: null,
      createdAt: now,
    });
  });
  const expiresAtSec = Math.floor((now + UPLOAD_TOKEN_TTL_MS) / 1000);
  deps.log.info({ recordingId, linkId: link.id }, 'recording started');
  return {
    recordingId,
    uploadToken: signUploadToken(deps.config.secret, recordingId, expiresAtSec),
    uploadTokenExpiresAt: expiresAtSec * 1000,
    maxVideoBytes: MAX_VIDEO_BYTES,
  };
}

/**
 * The pending recording a presented upload token may write to. 401 for a missing, forged or
 * expired token; 403 when it belongs to another recording; 410/409 when the recording (or its
 * link) is gone or no longer pending.
 */
export async function authorizeUpload(
  deps: Deps,
  token: string | undefined,
  recordingId?: string,
): Promise<UploadTarget> {
  if (!token)
    throw new ApiError(
      401,
      'UPLOAD_TOKEN_REQUIRED',
      'Authorization: send Bearer <uploadToken> from the start call',
    );
  const check = verifyUploadToken(deps.config.secret, token, deps.clock.now());
  if (!check.ok) {
    throw check.reason === 'expired'
      ? new ApiError(401, 'UPLOAD_TOKEN_EXPIRED', 'The upload token has expired; start the recording again')
      : new ApiError(401, 'UPLOAD_TOKEN_INVALID', 'The upload token is not valid');
  }
  if (recordingId !== undefined && recordingId !== check.recordingId) {
    throw new ApiError(403, 'UPLOAD_TOKEN_MISMATCH', 'This upload token belongs to another recording');
  }
  const target = await findUploadTarget(deps.db, check.recordingId);
  if (!target || target.deletedAt !== null)
    throw new ApiError(410, 'RECORDING_GONE', 'This recording has been deleted');
  const link = await findRecorderLink(deps.db, target.linkId);
  if (!link || link.deletedAt !== null)
    throw new ApiError(410, 'LINK_GONE', 'This recording link has been deleted');
  if (link.projectDeletedAt !== null || link.workspaceDeletedAt !== null) {
    throw new ApiError(410, 'LINK_PROJECT_DELETED', "This recording link's project has been deleted");
  }
  if (stateOf(link) === 'domain_unverified') throw refusalFor(link, 'domain_unverified');
  if (target.status !== 'pending') {
    throw new ApiError(
      409,
      'RECORDING_NOT_PENDING',
      `This recording is already ${target.status}; nothing more can be uploaded`,
    );
  }
  return target;
}

/**
 * Logs and metadata come from the customer's site, where the embed script runs: only an origin of
 * one of the workspace's verified domains may attach them (checked here, not only in the script).
 * https, or http on a loopback host (local development).
 */
async function requireVerifiedOrigin(
  deps: Deps,
  target: UploadTarget,
  origin: string | undefined,
): Promise<void> {
  const refuse = (why: string) =>
    new ApiError(
      403,
      'ORIGIN_NOT_ALLOWED',
      `Origin: ${why}; logs and metadata are accepted only from the workspace's verified domains`,
    );
  if (!origin || origin === 'null') throw refuse('missing');
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw refuse('not a URL');
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw refuse(`${url.protocol} is not https`);
  const host = normalizeDomainUrl(url.host);
  const hosts = await listVerifiedHosts(deps.db, target.workspaceId);
  if (!host || !hosts.includes(host)) throw refuse(`${url.host} is not a verified domain of this workspace`);
}

/** What storing a log answered: how many entries were kept and how many dropped as malformed. */
export interface AttachedLog {
  kind: 'console-log' | 'network-log' | 'action';
  accepted: number;
  dropped: number;
  /** The first few problems, for the sender to fix its output. */
  problems: Array<{ line: number; error: string }>;
}

/**
 * Stores one log of a pending recording from its text: parsed line by line, malformed entries dropped
 * and counted, every string capped and credentials masked. A text with no valid entry at all (but
 * something in it) is refused with 400 and nothing is stored. `target` comes from authorizeUpload
 * (called by the route before it reads the body); the origin is checked here.
 */
export async function attachLog(
  deps: Deps,
  target: UploadTarget,
  kind: AttachedLog['kind'],
  text: string,
  origin: string | undefined,
): Promise<AttachedLog> {
  const recordingId = target.id;
  await requireVerifiedOrigin(deps, target, origin);
  let stored: string;
  let result: ParseResult<unknown>;
  if (kind === 'console-log') {
    const parsed = parseConsoleNdjson(text);
    result = parsed;
    stored =
      parsed.entries.map((e) => JSON.stringify(capConsoleEntry(e))).join('\n') +
      (parsed.entries.length ? '\n' : '');
  } else if (kind === 'network-log') {
    const parsed = parseNetworkLog(text);
    result = parsed;
    stored = JSON.stringify(parsed.entries.map(capNetworkEntry));
  } else {
    const parsed = parseActionLog(text);
    result = parsed;
    stored = JSON.stringify(parsed.entries.map(capActionEntry));
  }
  if (result.entries.length === 0 && result.invalidLines.length > 0) {
    const first = result.invalidLines[0]!;
    const where = first.line === 0 ? 'the document' : `line ${first.line}`;
    throw validationError(kind, `no valid entry (${where}: ${first.error})`);
  }
  const contentType = kind === 'console-log' ? 'application/x-ndjson' : 'application/json';
  const file = await deps.files.write(`${recordingId}/${kind}.${extensionFor(contentType)}`, stored, {
    contentType,
  });
  const now = deps.clock.now();
  // One commit (one fsync on SQLite) for the row and the recording's activity time.
  await deps.db.transaction().execute(async (trx) => {
    await upsertResource(trx, {
      recordingId,
      kind,
      storagePath: file.storagePath,
      contentType,
      size: file.size,
      durationMs: null,
      droppedEntries: result.invalidLines.length,
      createdAt: now,
    });
    await updatePendingRecording(trx, recordingId, {}, now);
  });
  return {
    kind,
    accepted: result.entries.length,
    dropped: result.invalidLines.length,
    problems: result.invalidLines.slice(0, 5),
  };
}

/** Replaces a pending recording's metadata from the customer's site (`target` from authorizeUpload; origin as for logs). */
export async function attachMetadata(
  deps: Deps,
  target: UploadTarget,
  input: {
    systemMeta?: Record<string, unknown> | undefined;
    customMeta?: Record<string, unknown> | undefined;
  },
  origin: string | undefined,
): Promise<void> {
  const recordingId = target.id;
  await requireVerifiedOrigin(deps, target, origin);
  checkMeta('systemMeta', input.systemMeta);
  checkMeta('customMeta', input.customMeta);
  await updatePendingRecording(
    deps.db,
    recordingId,
    {
      ...(input.systemMeta !== undefined ? { systemMeta: cleanSystemMeta(input.systemMeta) } : {}),
      ...(input.customMeta !== undefined ? { customMeta: input.customMeta } : {}),
    },
    deps.clock.now(),
  );
}

/** Stores the thumbnail of a pending recording (`target` from authorizeUpload): PNG, JPEG or WebP by its first bytes, ≤ 10 MB. */
export async function attachThumbnail(
  deps: Deps,
  target: UploadTarget,
  bytes: Buffer,
): Promise<{ kind: 'thumbnail'; size: number; type: string }> {
  const recordingId = target.id;
  if (bytes.length > MAX_THUMBNAIL_BYTES) {
    throw new ApiError(
      413,
      'PAYLOAD_TOO_LARGE',
      `thumbnail: must be at most ${MAX_THUMBNAIL_BYTES} bytes`,
      'thumbnail',
    );
  }
  const type = sniffImage(bytes.subarray(0, 16));
  if (!type) {
    throw new ApiError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'thumbnail: the bytes are not a PNG, JPEG or WebP image',
      'thumbnail',
    );
  }
  const file = await deps.files.write(`${recordingId}/thumbnail.${extensionFor(type)}`, bytes, {
    contentType: type,
  });
  const now = deps.clock.now();
  // One commit (one fsync on SQLite) for the row and the recording's activity time.
  await deps.db.transaction().execute(async (trx) => {
    await upsertResource(trx, {
      recordingId,
      kind: 'thumbnail',
      storagePath: file.storagePath,
      contentType: type,
      size: file.size,
      durationMs: null,
      droppedEntries: 0,
      createdAt: now,
    });
    await updatePendingRecording(trx, recordingId, {}, now);
  });
  return { kind: 'thumbnail', size: file.size, type };
}

/**
 * Takes a finished resumable upload: checks it really is WebM or MP4 (first bytes), has the file store
 * keep it in the recording's folder (a rename on the local disk, a server-side copy in a bucket) and
 * records it. An upload that is not a video is removed and refused with 415.
 */
export async function acceptVideoUpload(
  deps: Deps,
  recordingId: string,
): Promise<{ type: string; size: number }> {
  const target = await findUploadTarget(deps.db, recordingId);
  if (target?.status !== 'pending' || target.deletedAt !== null) {
    await deps.files.removeUpload(recordingId);
    throw new ApiError(409, 'RECORDING_NOT_PENDING', 'This recording no longer takes uploads');
  }
  const upload = await deps.files.uploadHead(recordingId);
  const type = upload ? sniffVideo(upload.head) : undefined;
  if (!type) {
    await deps.files.removeUpload(recordingId);
    throw new ApiError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'video: the bytes are not a WebM or MP4 video',
      'video',
    );
  }
  const relative = `${recordingId}/video.${extensionFor(type)}`;
  const stored = await deps.files.adoptUpload(recordingId, relative, { contentType: type });
  const now = deps.clock.now();
  // One commit (one fsync on SQLite) for the row and the recording's activity time.
  await deps.db.transaction().execute(async (trx) => {
    await upsertResource(trx, {
      recordingId,
      kind: 'video',
      storagePath: relative,
      contentType: type,
      size: stored.size,
      durationMs: target.durationMs,
      droppedEntries: 0,
      createdAt: now,
    });
    await updatePendingRecording(trx, recordingId, {}, now);
  });
  return { type, size: stored.size };
}

/** Ends the upload: the recording becomes `ready` once its video is whole (409 VIDEO_INCOMPLETE before). */
export async function finishRecording(
  deps: Deps,
  token: string | undefined,
  recordingId: string,
): Promise<{ recordingId: string; status: 'ready' }> {
  await authorizeUpload(deps, token, recordingId);
  if (!(await hasResource(deps.db, recordingId, 'video'))) {
    throw new ApiError(
      409,
      'VIDEO_INCOMPLETE',
      'The video has not been uploaded completely yet; resume the upload, then finish',
    );
  }
  // Read before the transaction: the summary counts console errors in the stored log file.
  const summary = await recordingSummary(deps, recordingId);
  const settled = await deps.db.transaction().execute(async (trx) => {
    const ok = await settleRecording(
      trx,
      recordingId,
      { status: 'ready', failureReason: null },
      deps.clock.now(),
    );
    // "Recording received" (e-mail, Slack, the help-desk note, webhooks) commits with the status.
    if (ok && summary) {
      await publish(deps, trx, {
        type: 'recording.ready',
        id: newEventId(deps),
        at: deps.clock.now(),
        workspaceId: summary.workspaceId,
        recording: summary,
      });
    }
    return ok;
  });
  if (!settled) {
    throw new ApiError(409, 'RECORDING_NOT_PENDING', 'This recording is no longer pending');
  }
  deps.wakeDeliveries();
  deps.log.info({ recordingId }, 'recording ready');
  return { recordingId, status: 'ready' };
}

/**
 * Maintenance: uploads idle for ABANDONED_AFTER_MS become `failed` ("abandoned"), their parts,
 * files and resource rows are removed, and a single-use link gets its slot back so the customer
 * can try again. `lastActivity` tells when an upload's bytes last moved (the file store's
 * `uploadLastActivity` by default), so a slow upload that is still arriving is not mistaken for an
 * abandoned one; `removeParts` removes its parts (`removeUpload`). Returns how many were marked.
 */
export async function failAbandonedUploads(
  deps: Deps,
  options: {
    lastActivity?: (recordingId: string) => Promise<number | undefined>;
    removeParts?: (recordingId: string) => Promise<void>;
  } = {},
): Promise<number> {
  const lastActivity = options.lastActivity ?? ((id: string) => deps.files.uploadLastActivity(id));
  const removeParts = options.removeParts ?? ((id: string) => deps.files.removeUpload(id));
  const now = deps.clock.now();
  const cutoff = now - ABANDONED_AFTER_MS;
  let failed = 0;
  for (const stale of await listStalePendingRecordings(deps.db, cutoff, 500)) {
    const active = await lastActivity(stale.id);
    if (active !== undefined && active > cutoff) continue;
    const settled = await deps.db.transaction().execute(async (trx) => {
      const ok = await settleRecording(
        trx,
        stale.id,
        { status: 'failed', failureReason: 'abandoned: no upload activity for 24 hours' },
        now,
      );
      if (ok) {
        await releaseRecordingSlot(trx, stale.linkId);
        // Its files are removed below: its resource rows (and their bytes in the workspace's
        // storage use) go with them, so no row points at a file that is gone.
        await deleteResources(trx, stale.id, now);
      }
      return ok;
    });
    if (!settled) continue;
    failed++;
    await removeParts(stale.id).catch((error: unknown) =>
      deps.log.warn({ err: error, recordingId: stale.id }, 'could not remove upload parts'),
    );
    await deps.files
      .removeRecording(stale.id)
      .catch((error: unknown) =>
        deps.log.warn({ err: error, recordingId: stale.id }, 'could not remove files of an abandoned upload'),
      );
  }
  if (failed) deps.log.info({ failed }, 'abandoned uploads marked failed');
  return failed;
}

/** Local disk only: removes what an unfinished upload left in DATA_DIR/uploads (see `deps.files.removeUpload`). */
export function removeUploadParts(dataDir: string, recordingId: string): Promise<void> {
  return removeLocalUpload(dataDir, recordingId);
}

/** Local disk only: when an unfinished upload's bytes last moved (see `deps.files.uploadLastActivity`). */
export function uploadLastActivity(dataDir: string, recordingId: string): Promise<number | undefined> {
  return localUploadLastActivity(dataDir, recordingId);
}
