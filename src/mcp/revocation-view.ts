import { DatabaseUnavailableError } from '../domain/errors.ts';
import type { Logger } from '../lib/logger.ts';

// S20: a revoked grant's access tokens must be refused by every process within 2 seconds, while a
// token check stays a memory lookup. Each process keeps the set of grants revoked recently enough
// that their tokens may still be alive (access-token TTL + leeway); older revocations need no entry,
// since every token of such a grant has expired anyway. Grants are only ever revoked, never
// un-revoked, so a grant the view does not know is active (its token already verified).
//
// Kept current three ways: revocations in this process arrive at once (onGrantRevoked); on
// PostgreSQL, other processes' revocations arrive by LISTEN/NOTIFY; and a poll every second reads
// "revoked since the last poll − margin", so a lost notification (connection drop, a revocation
// made by the CLI against SQLite) still lands within ~1 s.

/** How often the view rereads recent revocations from the database. */
export const REVOCATION_POLL_INTERVAL_MS = 1000;
/**
 * How far back each poll looks before the previous one: covers clock skew between processes
 * (`revoked_at` is the revoking process's clock) and transactions that commit after they wrote it.
 */
export const REVOCATION_POLL_MARGIN_MS = 10_000;

/**
 * How old the view may get before this process stops vouching for tokens: when the database has not
 * answered a poll for this long (an outage on this process's side only), a revocation made by
 * another process could be missed, so requests get 503 until a poll succeeds again (S20's 2 s).
 */
export const REVOCATION_STALE_AFTER_MS = 2000;

/**
 * The most grants the view remembers (~100 bytes each). Revocations come from user actions, but a
 * signed-in user can script them (connect, replay a code, connect again), so the view is capped.
 * Forgetting a revoked grant must not let its tokens back in: the view remembers the latest
 * revocation it forgot and refuses every token issued up to then (plus the poll margin for clock
 * skew), since no grant gets a token after its revocation. Tokens of active grants issued that
 * early are refused too; their clients refresh, which is the price of bounded memory under a flood.
 */
export const REVOCATION_VIEW_MAX_ENTRIES = 100_000;

/** A subscription source: calls `onRevoked` with each revoked grant id; resolves to its unsubscribe. */
export type RevocationSource = (
  onRevoked: (grantId: string) => void,
) => Promise<() => Promise<void> | void> | (() => Promise<void> | void);

export interface RevocationViewOptions {
  /** Grants revoked at or after `since` (epoch ms). */
  listRevokedSince: (since: number) => Promise<Array<{ id: string; revokedAt: number }>>;
  /** Push sources: in-process events, PostgreSQL notifications. */
  sources: RevocationSource[];
  now: () => number;
  /** How long an entry matters: the access-token lifetime plus the verifier's `exp` leeway. */
  retentionMs: number;
  /** 0 turns polling off (tests of the push path). */
  pollIntervalMs?: number;
  /** Default REVOCATION_VIEW_MAX_ENTRIES. */
  maxEntries?: number;
  log: Logger;
}

export interface RevocationView {
  /**
   * Whether the grant was revoked — or, given the token's `iat` (epoch ms), whether the token is
   * older than a revocation the view had to forget to stay within its cap. Valid once `ready()`
   * resolved (`loaded` is true).
   */
  isRevoked(grantId: string, issuedAtMs?: number): boolean;
  /** How many revoked grants the view holds (at most `maxEntries`). */
  readonly size: number;
  readonly loaded: boolean;
  /** Whether the last successful read is recent enough to trust (always, with polling off). */
  isCurrent(): boolean;
  /** Loads the recent revocations and subscribes (once, on first use); later calls share the result. */
  ready(): Promise<void>;
  /** Stops polling and unsubscribes. */
  stop(): Promise<void>;
}

/** Builds a process's view of recently revoked grants; nothing runs until the first `ready()`. */
export function createRevocationView(options: RevocationViewOptions): RevocationView {
  const { now, log, retentionMs } = options;
  const pollIntervalMs = options.pollIntervalMs ?? REVOCATION_POLL_INTERVAL_MS;
  // grant id → when it was revoked (or first heard of), for pruning.
  const revoked = new Map<string, number>();
  const maxEntries = options.maxEntries ?? REVOCATION_VIEW_MAX_ENTRIES;
  // The latest revocation time among grants dropped to make room; tokens issued until then are refused.
  let forgottenUpTo = Number.NEGATIVE_INFINITY;
  const unsubscribes: Array<() => Promise<void> | void> = [];
  let starting: Promise<void> | undefined;
  let loaded = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastPollStartedAt = 0;
  let polling = false;
  // Monotonic, not the injected clock: this measures the real age of what we know.
  let lastReadAt = 0;

  const add = (grantId: string, at: number) => {
    if (revoked.has(grantId)) return;
    if (revoked.size >= maxEntries) {
      // The first-heard 1% go (a Map iterates in insertion order), each raising the horizon.
      let drop = Math.max(1, Math.floor(maxEntries / 100));
      for (const [id, revokedAt] of revoked) {
        revoked.delete(id);
        forgottenUpTo = Math.max(forgottenUpTo, revokedAt);
        if (--drop === 0) break;
      }
    }
    revoked.set(grantId, at);
  };

  const prune = (at: number) => {
    const horizon = at - retentionMs;
    for (const [id, revokedAt] of revoked) if (revokedAt < horizon) revoked.delete(id);
  };

  async function poll(): Promise<void> {
    if (polling || stopped) return;
    polling = true;
    const startedAt = now();
    const readStartedAt = performance.now();
    try {
      const rows = await options.listRevokedSince(
        Math.max(lastPollStartedAt - REVOCATION_POLL_MARGIN_MS, startedAt - retentionMs),
      );
      for (const row of rows) add(row.id, row.revokedAt);
      lastPollStartedAt = startedAt;
      lastReadAt = readStartedAt;
      prune(startedAt);
    } catch (error) {
      // An unreachable database is logged once by the store, not every second here.
      if (!stopped && !(error instanceof DatabaseUnavailableError))
        log.warn({ err: error }, 'revocation view: polling failed');
    } finally {
      polling = false;
    }
  }

  async function start(): Promise<void> {
    const startedAt = now();
    const readStartedAt = performance.now();
    // Subscribe before loading, so a revocation between the load and the subscription is not lost.
    for (const source of options.sources) {
      unsubscribes.push(await source((grantId) => add(grantId, now())));
    }
    const rows = await options.listRevokedSince(startedAt - retentionMs);
    for (const row of rows) add(row.id, row.revokedAt);
    lastPollStartedAt = startedAt;
    lastReadAt = readStartedAt;
    loaded = true;
    if (pollIntervalMs > 0 && !stopped) {
      timer = setInterval(() => void poll(), pollIntervalMs);
      // Background upkeep must never keep the process alive on its own.
      timer.unref();
    }
  }

  return {
    isRevoked: (grantId, issuedAtMs) =>
      revoked.has(grantId) ||
      (issuedAtMs !== undefined && issuedAtMs <= forgottenUpTo + REVOCATION_POLL_MARGIN_MS),
    get size() {
      return revoked.size;
    },
    isCurrent: () => pollIntervalMs <= 0 || performance.now() - lastReadAt <= REVOCATION_STALE_AFTER_MS,
    get loaded() {
      return loaded;
    },
    ready() {
      starting ??= start().catch((error) => {
        // Let the next request try again rather than caching the failure.
        starting = undefined;
        for (const unsubscribe of unsubscribes.splice(0)) void unsubscribe();
        throw error;
      });
      return starting;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const unsubscribe of unsubscribes.splice(0)) await unsubscribe();
    },
  };
}
