import { sql } from 'kysely';
import { type Db, isPostgres } from './db.ts';
import type { DeliveriesTable } from './schema.ts';

// The outbox (deliveries, delivery_attempts; migration 0050). Rows are written in the transaction
// of the event that causes them; a worker claims due rows, sends, and records the outcome.

export type DeliveryChannel = DeliveriesTable['channel'];
export type DeliveryStatus = DeliveriesTable['status'];

/** A delivery as the services see it; `payload` is still sealed. */
export interface StoredDelivery {
  id: string;
  workspaceId: string | null;
  channel: DeliveryChannel;
  targetId: string | null;
  eventType: string;
  eventId: string;
  summary: string;
  sealedPayload: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastStatusCode: number | null;
  createdAt: number;
  finishedAt: number | null;
}

/** One try of a delivery, for the log. */
export interface DeliveryAttempt {
  attempt: number;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
}

/** A delivery to queue: pending, first attempt due `now`. */
export type NewDelivery = Pick<
  StoredDelivery,
  'id' | 'workspaceId' | 'channel' | 'targetId' | 'eventType' | 'eventId' | 'summary' | 'sealedPayload'
> & { now: number };

function toDelivery(row: DeliveriesTable): StoredDelivery {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    channel: row.channel,
    targetId: row.target_id,
    eventType: row.event_type,
    eventId: row.event_id,
    summary: row.summary,
    sealedPayload: row.payload,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    createdAt: Number(row.created_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

/** Inserts deliveries due at once (call inside the event's transaction). */
export async function insertDeliveries(db: Db, rows: NewDelivery[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('deliveries')
    .values(
      rows.map((r) => ({
        id: r.id,
        workspace_id: r.workspaceId,
        channel: r.channel,
        target_id: r.targetId,
        event_type: r.eventType,
        event_id: r.eventId,
        summary: r.summary,
        payload: r.sealedPayload,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: r.now,
        claimed_by: null,
        claimed_until: null,
        last_error: null,
        last_status_code: null,
        created_at: r.now,
        updated_at: r.now,
        finished_at: null,
      })),
    )
    .execute();
}

/**
 * Claims up to `limit` due deliveries for `holder` until `claimUntil` with one UPDATE, and returns
 * them. On PostgreSQL the inner SELECT takes `FOR UPDATE SKIP LOCKED`, so instances polling at the
 * same moment take different rows instead of queueing behind each other; the claim condition is
 * part of the UPDATE either way, so a row is never claimed twice while a claim is live. SQLite has
 * one writer at a time, which serialises claims by itself.
 */
export async function claimDueDeliveries(
  db: Db,
  holder: string,
  now: number,
  claimUntil: number,
  limit: number,
): Promise<StoredDelivery[]> {
  const lock = isPostgres(db) ? sql`for update skip locked` : sql``;
  const result = await sql<DeliveriesTable>`
    update deliveries set claimed_by = ${holder}, claimed_until = ${claimUntil}, updated_at = ${now}
    where id in (
      select id from deliveries
      where status = 'pending' and next_attempt_at <= ${now}
        and (claimed_until is null or claimed_until <= ${now})
      order by next_attempt_at
      limit ${limit}
      ${lock}
    )
    and status = 'pending' and (claimed_until is null or claimed_until <= ${now})
    returning *
  `.execute(db);
  return result.rows.map(toDelivery).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
}

/** The outcome of one try, written with its log row. */
export interface AttemptOutcome {
  startedAt: number;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  /** What the row becomes: delivered, failed (given up), or pending again at `nextAttemptAt`. */
  status: DeliveryStatus;
  nextAttemptAt: number;
  now: number;
}

/**
 * Writes a try's outcome and its log row in one transaction, if `holder` still holds the claim
 * (a worker whose claim ran out must not overwrite the one that took over). Returns whether it did.
 */
export async function recordAttempt(
  db: Db,
  deliveryId: string,
  holder: string,
  outcome: AttemptOutcome,
): Promise<boolean> {
  const run = async (trx: Db) => {
    const updated = await trx
      .updateTable('deliveries')
      .set((eb) => ({
        status: outcome.status,
        attempts: eb('attempts', '+', 1),
        next_attempt_at: outcome.nextAttemptAt,
        claimed_by: null,
        claimed_until: null,
        last_error: outcome.error,
        last_status_code: outcome.statusCode,
        updated_at: outcome.now,
        finished_at: outcome.status === 'pending' ? null : outcome.now,
      }))
      .where('id', '=', deliveryId)
      .where('claimed_by', '=', holder)
      .where('status', '=', 'pending')
      .returning('attempts')
      .executeTakeFirst();
    if (!updated) return false;
    await trx
      .insertInto('delivery_attempts')
      .values({
        delivery_id: deliveryId,
        attempt: Number(updated.attempts),
        started_at: outcome.startedAt,
        duration_ms: Math.max(0, Math.round(outcome.durationMs)),
        ok: outcome.ok ? 1 : 0,
        status_code: outcome.statusCode,
        error: outcome.error,
        response_body: outcome.responseBody,
      })
      .execute();
    return true;
  };
  return 'isTransaction' in db && db.isTransaction ? run(db) : db.transaction().execute(run);
}

/** One delivery by id (any workspace), or undefined. */
export async function findDelivery(db: Db, id: string): Promise<StoredDelivery | undefined> {
  const row = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toDelivery(row);
}

/** The tries of a delivery, first first. */
export async function listAttempts(db: Db, deliveryId: string): Promise<DeliveryAttempt[]> {
  const rows = await db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .execute();
  return rows.map((r) => ({
    attempt: Number(r.attempt),
    startedAt: Number(r.started_at),
    durationMs: Number(r.duration_ms),
    ok: r.ok === 1,
    statusCode: r.status_code === null ? null : Number(r.status_code),
    error: r.error,
    responseBody: r.response_body,
  }));
}

/**
 * A workspace's deliveries, newest first; optionally only one target's (a webhook endpoint) or
 * channel, and only those older than `beforeId` (the next page: ids sort by creation time).
 */
export async function listDeliveries(
  db: Db,
  workspaceId: string,
  filter: {
    targetId?: string;
    channel?: DeliveryChannel;
    status?: DeliveryStatus;
    beforeId?: string;
    limit: number;
  },
): Promise<StoredDelivery[]> {
  let query = db
    .selectFrom('deliveries')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.targetId !== undefined) query = query.where('target_id', '=', filter.targetId);
  if (filter.channel !== undefined) query = query.where('channel', '=', filter.channel);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return (await query.execute()).map(toDelivery);
}

/** Every delivery of an event (tests, the journey check). */
export async function listDeliveriesOfEvent(db: Db, eventId: string): Promise<StoredDelivery[]> {
  const rows = await db
    .selectFrom('deliveries')
    .selectAll()
    .where('event_id', '=', eventId)
    .orderBy('id')
    .execute();
  return rows.map(toDelivery);
}

/** How many deliveries wait (pending), for health and tests. */
export async function countPendingDeliveries(db: Db): Promise<number> {
  const row = await db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Removes up to `limit` finished deliveries (delivered or failed) that finished before `before`,
 * with their attempt log, in one transaction. Returns how many went.
 */
export async function pruneFinishedDeliveries(db: Db, before: number, limit: number): Promise<number> {
  const run = async (trx: Db) => {
    const ids = (
      await trx
        .selectFrom('deliveries')
        .select('id')
        .where('status', '<>', 'pending')
        .where('finished_at', '<', before)
        .orderBy('finished_at')
        .limit(limit)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return 0;
    await trx.deleteFrom('delivery_attempts').where('delivery_id', 'in', ids).execute();
    await trx.deleteFrom('deliveries').where('id', 'in', ids).where('status', '<>', 'pending').execute();
    return ids.length;
  };
  return 'isTransaction' in db && db.isTransaction ? run(db) : db.transaction().execute(run);
}
