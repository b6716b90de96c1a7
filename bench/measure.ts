import autocannon from 'autocannon';
import { cpuMillis, sampleRss } from './processes.ts';

// Two ways to load the server, reported the same way: autocannon for requests that never change,
// a closed loop of concurrent workers (fetch, keep-alive) for sequences where each request
// depends on the last answer (rotating refresh tokens, authorization codes).

export const CONNECTIONS = 10;

export interface Measurement {
  /** Operations that got the expected answer, per second. */
  opsPerSec: number;
  /** Latency of one operation in milliseconds (50th and 99th percentiles). */
  p50: number;
  p99: number;
  operations: number;
  /** Answers with another status, connection errors and timeouts. */
  unexpected: number;
  /** The server's peak resident memory while it ran, in bytes. */
  rssPeak: number;
  /** The server's CPU time per operation in milliseconds (user + system, 10 ms resolution overall). */
  cpuPerOp: number;
  seconds: number;
}

/** The p-th percentile (0–100) of the values, nearest rank. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

function summarize(
  latencies: number[],
  unexpected: number,
  seconds: number,
  server: { rssPeak: number; cpuMs: number },
): Measurement {
  latencies.sort((a, b) => a - b);
  return {
    rssPeak: server.rssPeak,
    cpuPerOp: latencies.length ? server.cpuMs / latencies.length : Number.NaN,
    opsPerSec: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    operations: latencies.length,
    unexpected,
    seconds,
  };
}

export interface HttpLoad {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  expectStatus: number;
}

async function cannon(load: HttpLoad, seconds: number, onResponse?: (status: number, ms: number) => void) {
  const instance = autocannon({
    url: load.url,
    connections: CONNECTIONS,
    duration: seconds,
    method: load.method ?? 'GET',
    headers: load.headers ?? {},
    ...(load.body !== undefined ? { body: load.body } : {}),
    timeout: 10,
  });
  if (onResponse) {
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) =>
      onResponse(status, ms),
    );
  }
  return await instance;
}

/** Watches the server process (when there is one) while a measurement runs. */
function watchServer(pid: number | undefined): { stop(): { rssPeak: number; cpuMs: number } } {
  if (pid === undefined) return { stop: () => ({ rssPeak: 0, cpuMs: Number.NaN }) };
  const rss = sampleRss(pid);
  const cpuBefore = cpuMillis(pid);
  return { stop: () => ({ rssPeak: rss.stop(), cpuMs: cpuMillis(pid) - cpuBefore }) };
}

/** `seconds` of autocannon (10 keep-alive connections) after a one-second warm-up. */
export async function measureHttp(load: HttpLoad, seconds: number, serverPid?: number): Promise<Measurement> {
  await cannon(load, 1);
  const latencies: number[] = [];
  let unexpected = 0;
  const watch = watchServer(serverPid);
  const started = performance.now();
  const result = await cannon(load, seconds, (status, ms) => {
    if (status === load.expectStatus) latencies.push(ms);
    else unexpected++;
  });
  const elapsed = (performance.now() - started) / 1000;
  return summarize(latencies, unexpected + result.errors, elapsed, watch.stop());
}

/**
 * `seconds` of CONNECTIONS workers each running `op` back to back (after a one-second warm-up);
 * an op that throws counts as unexpected. `op` gets the worker's index, for per-worker state.
 */
export async function measureLoop(
  op: (worker: number) => Promise<void>,
  seconds: number,
  serverPid?: number,
): Promise<Measurement> {
  const run = async (ms: number, latencies: number[], errors: { count: number; first?: unknown }) => {
    const deadline = performance.now() + ms;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, worker) => {
        while (performance.now() < deadline) {
          const start = performance.now();
          try {
            await op(worker);
            latencies.push(performance.now() - start);
          } catch (error) {
            errors.count++;
            errors.first ??= error;
          }
        }
      }),
    );
  };
  await run(1000, [], { count: 0 });
  const latencies: number[] = [];
  const errors: { count: number; first?: unknown } = { count: 0 };
  const watch = watchServer(serverPid);
  const started = performance.now();
  await run(seconds * 1000, latencies, errors);
  const elapsed = (performance.now() - started) / 1000;
  if (errors.first)
    console.error(`    first error: ${errors.first instanceof Error ? errors.first.message : errors.first}`);
  return summarize(latencies, errors.count, elapsed, watch.stop());
}
