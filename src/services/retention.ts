import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/index.ts';
import { DAY_MS } from '../lib/clock.ts';
import { pruneFinishedDeliveries } from '../store/deliveries.ts';
import { findLease, releaseLease, renewLease, takeLease } from '../store/leases.ts';
import {
  claimRecordingFiles,
  type DueItem,
  deleteLinkRows,
  deleteProjectLinks,
  deleteProjectRow,
  deleteRecordingRows,
  finishFilePurge,
  listDeletedLinksDue,
  listDeletedProjectsDue,
  listDeletedRecordingsDue,
  listExpiredWithFiles,
  listProjectLinks,
  listProjectRecordings,
  listUnfinishedFilePurges,
  type PurgeScope,
} from '../store/retention.ts';
import { audit } from './audit.ts';
import type { Deps } from './deps.ts';

// Retention that deletes (issue 9; docs/operations.md, "Retention and purge"). One run:
//   1. soft-deleted recordings past the grace period (DELETED_RETENTION_DAYS): files, then rows;
//   2. soft-deleted projects past it, with every link and recording of theirs: files, then rows;
//   3. soft-deleted links past it that no recording references any more (a deleted link's
//      recordings stay, so the link stays as theirs until the last one is purged);
//   4. file removals an earlier run left unfinished;
//   5. recordings past `expiresAt`: files only; the row stays and answers as expired.
// Work goes in batches of one workspace each. Per batch of recordings: (a) claim their files with
// one conditional UPDATE (from then on a restore or a new expiry date refuses), (b) remove the files
// through deps.files, (c) in ONE transaction delete the resource rows (subtracting their bytes from
// the workspace's storage use), mark the files purged or delete the rows, and write the batch's
// audit event. Each step is idempotent and checks its condition again, so a run killed at any point
// is finished by the next run, with nothing half-deleted: a row either still claims its files (they
// exist) or is marked as no longer claiming them, and no file outlives its row.
//
// One process at a time does the work, on any number of instances: the `retention` lease row
// (store/leases.ts), taken with one conditional upsert, renewed before every file removal and
// released at the end. A process that loses it (it stalled past the lease) stops at its next step.

/** The name of the job's lease row. */
export const RETENTION_LEASE = 'retention';
/** How long a taken or renewed lease lasts; a crashed holder blocks others at most this long. */
export const RETENTION_LEASE_MS = 2 * 60_000;
/** Recordings (or links) per batch. */
export const RETENTION_BATCH_SIZE = 100;
/** Deleted projects looked up at a time. */
const PROJECT_BATCH = 10;

/** Test and operator hooks into a run. */
export interface RetentionHooks {
  /** Called after the files of each recording were removed, before its batch is committed. */
  afterFilesRemoved?(recordingId: string): void | Promise<void>;
}

export interface RetentionOptions {
  batchSize?: number;
  leaseMs?: number;
  /** Who takes the lease (default: host, process id and a random part). */
  holder?: string;
  hooks?: RetentionHooks;
}

/** What one run did. */
export interface RetentionReport {
  /** False when another process held the lease: this run did nothing. */
  ran: boolean;
  /** True when the run stopped early because it lost its lease; the next run carries on. */
  interrupted: boolean;
  /** Recordings past their expiry whose files were removed (rows kept), and the bytes freed. */
  expired: { recordings: number; bytes: number };
  /** Rows removed for good after the grace period, and the bytes of their files. */
  purged: { recordings: number; links: number; projects: number; bytes: number };
  /** Audit events written (one per batch). */
  batches: number;
  /** Finished deliveries (and their attempt logs) older than DELIVERY_LOG_DAYS removed. */
  deliveries: number;
}

/** How long the delivery log keeps a finished delivery (Workspace Settings > Deliveries). */
export const DELIVERY_LOG_DAYS = 30;

/** The latest deletion time that is past the grace period at `now`: deleted at or before it → purged. */
export function deletedCutoff(config: Pick<Config, 'deletedRetentionDays'>, now: number): number {
  return now - config.deletedRetentionDays * DAY_MS;
}

/** When something deleted at `deletedAt` stops being restorable and is purged (by the next run after it). */
export function purgeDueAt(config: Pick<Config, 'deletedRetentionDays'>, deletedAt: number): number {
  return deletedAt + config.deletedRetentionDays * DAY_MS;
}

/** Who holds the job's lease and until when (undefined: never taken), for operators. */
export function retentionLease(deps: Deps): Promise<{ holder: string; expiresAt: number } | undefined> {
  return findLease(deps.db, RETENTION_LEASE);
}

class LeaseLost extends Error {
  override name = 'LeaseLost';
}

interface Run {
  deps: Deps;
  batchSize: number;
  hooks: RetentionHooks;
  report: RetentionReport;
  /** Renews the lease; throws LeaseLost when someone else holds it now. */
  renew(): Promise<void>;
}

function byWorkspace(rows: DueItem[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const row of rows) {
    const ids = groups.get(row.workspaceId) ?? [];
    ids.push(row.id);
    groups.set(row.workspaceId, ids);
  }
  return groups;
}

/**
 * Runs the retention job once: purges what the grace period has ended for, and removes the files
 * of expired recordings. Returns at once, with `ran: false`, when another process holds the lease.
 * Called every ten minutes by every server (main.ts) and by `userplane maintenance`.
 */
export async function runRetention(deps: Deps, options: RetentionOptions = {}): Promise<RetentionReport> {
  const leaseMs = options.leaseMs ?? RETENTION_LEASE_MS;
  const holder = options.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const report: RetentionReport = {
    ran: false,
    interrupted: false,
    expired: { recordings: 0, bytes: 0 },
    purged: { recordings: 0, links: 0, projects: 0, bytes: 0 },
    batches: 0,
    deliveries: 0,
  };
  if (!(await takeLease(deps.db, RETENTION_LEASE, holder, deps.clock.now(), leaseMs))) return report;
  report.ran = true;
  const run: Run = {
    deps,
    batchSize: options.batchSize ?? RETENTION_BATCH_SIZE,
    hooks: options.hooks ?? {},
    report,
    renew: async () => {
      if (!(await renewLease(deps.db, RETENTION_LEASE, holder, deps.clock.now(), leaseMs))) {
        throw new LeaseLost('another process took the retention lease');
      }
    },
  };
  try {
    // One cutoff for the whole run, so its steps agree on what the grace period has ended for.
    const cutoff = deletedCutoff(deps.config, deps.clock.now());
    await purgeDeletedRecordings(run, cutoff);
    await purgeDeletedProjects(run, cutoff);
    await purgeDeletedLinks(run, cutoff);
    await removeExpiredFiles(run);
    await pruneDeliveryLog(run);
  } catch (error) {
    if (!(error instanceof LeaseLost)) throw error;
    report.interrupted = true;
    deps.log.warn('retention job lost its lease to another process; stopping, the next run carries on');
  } finally {
    await releaseLease(deps.db, RETENTION_LEASE, holder).catch(() => {
      // The lease runs out by itself.
    });
  }
  const { expired, purged } = report;
  if (expired.recordings + purged.recordings + purged.links + purged.projects + report.deliveries > 0) {
    deps.log.info(
      { expired, purged, batches: report.batches, deliveries: report.deliveries },
      'retention job removed data',
    );
  }
  return report;
}

/** The delivery log keeps finished deliveries for DELIVERY_LOG_DAYS; pending ones are never touched. */
async function pruneDeliveryLog(run: Run): Promise<void> {
  const before = run.deps.clock.now() - DELIVERY_LOG_DAYS * DAY_MS;
  for (;;) {
    const removed = await pruneFinishedDeliveries(run.deps.db, before, run.batchSize);
    run.report.deliveries += removed;
    if (removed < run.batchSize) return;
    await run.renew();
  }
}

/**
 * One batch of recordings of one workspace: claim their files, remove them, then in one transaction
 * drop the resource rows (and, for a purge, the recording rows) and write the audit event. Returns
 * how many recordings the batch finished (0: nothing was in scope any more).
 */
async function purgeRecordingBatch(
  run: Run,
  workspaceId: string,
  ids: string[],
  scope: PurgeScope,
  context: Record<string, unknown> = {},
): Promise<number> {
  const { deps } = run;
  const claimed = await claimRecordingFiles(deps.db, ids, scope, deps.clock.now());
  if (claimed.length === 0) return 0;
  for (const recording of claimed) {
    if (recording.filesPurged) continue;
    await run.renew();
    // Idempotent: removing files that are already gone (a re-run after a crash) does nothing.
    await deps.files.removeRecording(recording.id);
    await run.hooks.afterFilesRemoved?.(recording.id);
  }
  const claimedIds = claimed.map((r) => r.id);
  const removesRows = scope.kind === 'deleted' || scope.kind === 'project';
  const { bytes, rows } = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now();
    const freed = await finishFilePurge(trx, claimedIds, now);
    const deleted = removesRows ? await deleteRecordingRows(trx, claimedIds, scope, now) : [];
    const recordingIds = removesRows ? deleted.map((r) => r.id) : claimedIds;
    await audit(
      deps,
      removesRows ? 'retention.recordings_purged' : 'retention.expired_files_removed',
      {
        workspaceId,
        detail: {
          reason: scope.kind,
          recordings: recordingIds.length,
          bytes: freed,
          recordingIds,
          ...(removesRows ? { retentionDays: deps.config.deletedRetentionDays } : {}),
          ...context,
        },
      },
      trx,
    );
    return { bytes: freed, rows: deleted };
  });
  // Counted once committed.
  run.report.batches += 1;
  if (removesRows) {
    run.report.purged.recordings += rows.length;
    run.report.purged.bytes += bytes;
  } else {
    run.report.expired.recordings += claimedIds.length;
    run.report.expired.bytes += bytes;
  }
  // Every claimed recording is finished or has left the scope (a restore took it back).
  return claimedIds.length;
}

/**
 * Works through what `list` finds, one batch of one workspace at a time, until a batch comes back
 * short (nothing more behind it) or finishes nothing (it would only repeat itself).
 */
async function drainRecordings(
  run: Run,
  list: () => Promise<DueItem[]>,
  scope: () => PurgeScope,
): Promise<void> {
  for (;;) {
    await run.renew();
    const due = await list();
    let done = 0;
    for (const [workspaceId, ids] of byWorkspace(due)) {
      done += await purgeRecordingBatch(run, workspaceId, ids, scope());
    }
    if (due.length < run.batchSize || done === 0) return;
  }
}

function purgeDeletedRecordings(run: Run, cutoff: number): Promise<void> {
  return drainRecordings(
    run,
    () => listDeletedRecordingsDue(run.deps.db, cutoff, run.batchSize),
    () => ({ kind: 'deleted', cutoff }),
  );
}

async function purgeDeletedProjects(run: Run, cutoff: number): Promise<void> {
  const { deps } = run;
  for (;;) {
    await run.renew();
    const due = await listDeletedProjectsDue(deps.db, cutoff, PROJECT_BATCH);
    let gone = 0;
    for (const project of due) {
      if (await purgeProject(run, project, cutoff)) gone += 1;
    }
    if (due.length < PROJECT_BATCH || gone === 0) return;
  }
}

/** A deleted project with everything in it: its recordings (files, then rows), its links, then itself. */
async function purgeProject(run: Run, project: DueItem, cutoff: number): Promise<boolean> {
  const { deps } = run;
  const scope: PurgeScope = { kind: 'project', projectId: project.id };
  for (;;) {
    await run.renew();
    const recordings = await listProjectRecordings(deps.db, project.id, run.batchSize);
    if (recordings.length === 0) break;
    const done = await purgeRecordingBatch(
      run,
      project.workspaceId,
      recordings.map((r) => r.id),
      scope,
      {
        projectId: project.id,
      },
    );
    if (done === 0) return false;
  }
  for (;;) {
    await run.renew();
    const ids = await listProjectLinks(deps.db, project.id, run.batchSize);
    if (ids.length === 0) break;
    const removed = await deps.db.transaction().execute(async (trx) => {
      const n = await deleteProjectLinks(trx, project.id, ids);
      if (n > 0) {
        await audit(
          deps,
          'retention.links_purged',
          {
            workspaceId: project.workspaceId,
            detail: { reason: 'project', links: n, projectId: project.id },
          },
          trx,
        );
      }
      return n;
    });
    if (removed === 0) return false;
    run.report.purged.links += removed;
    run.report.batches += 1;
  }
  const gone = await deps.db.transaction().execute(async (trx) => {
    if (!(await deleteProjectRow(trx, project.id, cutoff))) return false;
    await audit(
      deps,
      'retention.project_purged',
      {
        workspaceId: project.workspaceId,
        detail: { projectId: project.id, projects: 1, retentionDays: deps.config.deletedRetentionDays },
      },
      trx,
    );
    return true;
  });
  if (gone) {
    run.report.purged.projects += 1;
    run.report.batches += 1;
  }
  return gone;
}

async function purgeDeletedLinks(run: Run, cutoff: number): Promise<void> {
  const { deps } = run;
  for (;;) {
    await run.renew();
    const due = await listDeletedLinksDue(deps.db, cutoff, run.batchSize);
    let done = 0;
    for (const [workspaceId, ids] of byWorkspace(due)) {
      const removed = await deps.db.transaction().execute(async (trx) => {
        const rows = await deleteLinkRows(trx, ids, cutoff);
        if (rows.length === 0) return 0;
        await audit(
          deps,
          'retention.links_purged',
          {
            workspaceId,
            detail: {
              reason: 'deleted',
              links: rows.length,
              linkIds: rows.map((r) => r.id),
              retentionDays: deps.config.deletedRetentionDays,
            },
          },
          trx,
        );
        return rows.length;
      });
      if (removed > 0) {
        run.report.purged.links += removed;
        run.report.batches += 1;
      }
      done += removed;
    }
    if (due.length < run.batchSize || done === 0) return;
  }
}

async function removeExpiredFiles(run: Run): Promise<void> {
  const { deps } = run;
  // First what an interrupted run claimed and did not finish, then what has expired since.
  await drainRecordings(
    run,
    () => listUnfinishedFilePurges(deps.db, run.batchSize),
    () => ({ kind: 'claimed' }),
  );
  await drainRecordings(
    run,
    () => listExpiredWithFiles(deps.db, deps.clock.now(), run.batchSize),
    () => ({ kind: 'expired', now: deps.clock.now() }),
  );
}
