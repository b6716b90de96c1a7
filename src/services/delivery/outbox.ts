import { hostname } from 'node:os';
import { newId } from '../../lib/ids.ts';
import { openString, sealString } from '../../lib/secret-box.ts';
import type { Db } from '../../store/db.ts';
import { claimDueDeliveries, insertDeliveries, recordAttempt } from '../../store/deliveries.ts';
import type { Deps } from '../deps.ts';
import { channels } from './channels.ts';
import type { DeliveryEvent, DeliveryJob, SendOutcome } from './types.ts';

// The outbox (issue 10 §1). `publish` runs inside the transaction of the event it describes and
// writes one row per message every channel plans for it, so a committed event always has its
// deliveries and a rolled-back one has none. `deliverDue` is the worker: it claims due rows, sends
// each through its channel, and writes the outcome with a log row. A crash between the send and
// that write leaves the claim to run out and the row to be sent again: at-least-once, with the
// delivery id as the idempotency key the receiver can deduplicate on.

const PAYLOAD_LABEL = 'delivery-payload';

/** Seconds to wait after the n-th failed try (1-based); after the last one the delivery gives up. */
export const RETRY_SCHEDULE_MS = [
  10_000,
  60_000,
  5 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 60 * 60_000,
  4 * 60 * 60_000,
  8 * 60 * 60_000,
  8 * 60 * 60_000,
] as const;
/** 1 + the schedule: ten tries spread over about 23.6 hours. */
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;

/** How long a claim lasts: longer than any one send (5 s HTTP, 30 s SMTP) times the batch's parallelism. */
const CLAIM_MS = 2 * 60_000;
const BATCH = 20;
const PARALLEL = 5;
/** Stored errors and response bodies are cut to this (issue 10 §4: not beyond 1 KB). */
export const MAX_STORED_BODY = 1024;

/**
 * Writes the deliveries every channel plans for `event`, in `db` (the event's transaction).
 * Returns their ids.
 */
export async function publish(deps: Deps, db: Db, event: DeliveryEvent): Promise<string[]> {
  const planned = (await Promise.all(channels.map((channel) => channel.plan(deps, db, event)))).flat();
  if (planned.length === 0) return [];
  const now = deps.clock.now();
  const rows = planned.map((p) => ({
    id: newId('dlv', now),
    workspaceId: p.workspaceId,
    channel: p.channel,
    targetId: p.targetId,
    eventType: event.type,
    eventId: event.id,
    summary: p.summary.slice(0, 300),
    sealedPayload: sealString(deps.config.secret, PAYLOAD_LABEL, JSON.stringify(p.payload)),
    now,
  }));
  await insertDeliveries(db, rows);
  return rows.map((r) => r.id);
}

/** A name for this process in claims (host and pid: readable in the table, unique enough). */
export const workerName = `${hostname()}:${process.pid}`;

export interface DeliveryRun {
  delivered: number;
  retried: number;
  failed: number;
}

/** The wait before the next try after `attempts` failed tries, with ±10% jitter so retries spread. */
function backoff(attempts: number): number {
  const base = RETRY_SCHEDULE_MS[Math.min(attempts, RETRY_SCHEDULE_MS.length) - 1] ?? 10_000;
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

/** Claims due deliveries and sends them, until none are due or `maxBatches` ran. */
export async function deliverDue(
  deps: Deps,
  options: { holder?: string; maxBatches?: number } = {},
): Promise<DeliveryRun> {
  const holder = options.holder ?? workerName;
  const run: DeliveryRun = { delivered: 0, retried: 0, failed: 0 };
  for (let batch = 0; batch < (options.maxBatches ?? 10); batch++) {
    const now = deps.clock.now();
    const claimed = await claimDueDeliveries(deps.db, holder, now, now + CLAIM_MS, BATCH);
    if (claimed.length === 0) break;
    for (let i = 0; i < claimed.length; i += PARALLEL) {
      await Promise.all(
        claimed.slice(i, i + PARALLEL).map(async (row) => {
          const job: DeliveryJob = {
            id: row.id,
            channel: row.channel,
            workspaceId: row.workspaceId,
            targetId: row.targetId,
            eventType: row.eventType,
            eventId: row.eventId,
            payload: JSON.parse(openString(deps.config.secret, PAYLOAD_LABEL, row.sealedPayload)),
            attempts: row.attempts,
            createdAt: row.createdAt,
          };
          const outcome = await sendOne(deps, job);
          const finished = deps.clock.now();
          const tries = row.attempts + 1;
          const status = outcome.result.ok
            ? 'delivered'
            : !outcome.result.retry || tries >= MAX_ATTEMPTS
              ? 'failed'
              : 'pending';
          const written = await recordAttempt(deps.db, row.id, holder, {
            startedAt: outcome.startedAt,
            durationMs: finished - outcome.startedAt,
            ok: outcome.result.ok,
            statusCode: outcome.result.statusCode ?? null,
            error: outcome.result.ok ? null : outcome.result.error.slice(0, MAX_STORED_BODY),
            responseBody: outcome.result.responseBody?.slice(0, MAX_STORED_BODY) ?? null,
            status,
            nextAttemptAt: status === 'pending' ? finished + backoff(tries) : finished,
            now: finished,
          });
          if (!written) return;
          if (status === 'delivered') run.delivered++;
          else if (status === 'failed') {
            run.failed++;
            deps.log.warn(
              { deliveryId: row.id, channel: row.channel, event: row.eventType, attempts: tries },
              'delivery failed for good',
            );
          } else run.retried++;
        }),
      );
    }
  }
  return run;
}

async function sendOne(deps: Deps, job: DeliveryJob): Promise<{ startedAt: number; result: SendOutcome }> {
  const startedAt = deps.clock.now();
  const channel = channels.find((c) => c.channel === job.channel);
  if (!channel)
    return { startedAt, result: { ok: false, retry: false, error: `no sender for ${job.channel}` } };
  try {
    return { startedAt, result: await channel.send(deps, job) };
  } catch (error) {
    // A sender that throws has a bug or met something unexpected: log it, try again later.
    deps.log.warn({ err: error, deliveryId: job.id, channel: job.channel }, 'delivery send threw');
    return {
      startedAt,
      result: { ok: false, retry: true, error: (error as Error).message || 'send failed' },
    };
  }
}

/**
 * Runs the worker in this process: a pass every `intervalMs` (and at once when `wake()` is called
 * after a commit), one pass at a time. Returns stop, which waits for a running pass to end.
 */
export function startDeliveryWorker(
  deps: Deps,
  options: { intervalMs: number; onError: (error: unknown) => void },
): { wake(): void; stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const pass = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = deliverDue(deps)
      .then(
        () => undefined,
        (error: unknown) => options.onError(error),
      )
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          pass();
        }
      });
  };
  const timer = setInterval(pass, options.intervalMs);
  timer.unref();
  return {
    wake: pass,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
