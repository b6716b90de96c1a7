import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

// Child processes of the bench: `userplane serve` exactly as operators start it, and the
// baseline server. Their resident memory is read from /proc while they are under load.

export const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/userplane.js');

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Child {
  url: string;
  pid: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const children = new Set<ChildProcess>();
// Should the bench die on an exception, no child outlives it.
process.once('exit', () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function startChild(
  args: string[],
  env: Record<string, string>,
  url: string,
  ready: (output: string) => Promise<boolean> | boolean,
): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited(child);
      clearTimeout(timer);
    }
    children.delete(child);
  };
  const deadline = Date.now() + 30_000;
  while (!(await ready(output))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${args.join(' ')} exited (${child.exitCode ?? child.signalCode}): ${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${args.join(' ')} did not start within 30 s: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid!, process: child, output: () => output, stop };
}

/**
 * Node's flags of `npm start` (package.json): a young generation of at most 8 MiB per semi-space
 * instead of 16 keeps the peak RSS under load ~35 MiB lower at no measurable CPU cost
 * (docs/operations.md, "Memory").
 */
export const SERVE_NODE_ARGS = ['--max-semi-space-size=8'];

/** `node bin/userplane.js serve` as `npm start` runs it, on a free loopback port; ready once /readyz answers 200. */
export async function startUserplane(
  env: Record<string, string>,
  extraNodeArgs: string[] = [],
): Promise<Child> {
  const port = Number(env.PORT);
  const url = `http://127.0.0.1:${port}`;
  return await startChild([...SERVE_NODE_ARGS, ...extraNodeArgs, BIN, 'serve'], env, url, async () => {
    try {
      const res = await fetch(`${url}/readyz`);
      await res.body?.cancel();
      return res.status === 200;
    } catch {
      return false;
    }
  });
}

/** The baseline server (bench/baseline.ts) on a free loopback port. */
export async function startBaseline(): Promise<Child> {
  const port = await freePort();
  return await startChild(
    ['--import', 'tsx', join(ROOT, 'bench/baseline.ts')],
    { PORT: String(port) },
    `http://127.0.0.1:${port}`,
    (output) => output.includes('listening'),
  );
}

/** The resident set size of a process in bytes (VmRSS), or 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds; 0 once it is gone. */
export function cpuMillis(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (USER_HZ, 100 on Linux); the command
    // name (field 2) may hold spaces, so count from the closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every 100 ms until `stop()`, which returns the peak seen. */
export function sampleRss(pid: number): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}
