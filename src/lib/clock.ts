/** The source of "now"; tests pass a fake one to move time. */
export interface Clock {
  now(): number;
}

/** The real wall clock, in epoch milliseconds. */
export const systemClock: Clock = { now: () => Date.now() };

/** A settable clock for tests. */
export function fakeClock(
  startMs = Date.UTC(2026, 0, 1),
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

/** Epoch milliseconds → ISO-8601 UTC string (null stays null). */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export const DAY_MS = 86_400_000;
