import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tus from 'tus-js-client';
import { filesRoot } from '../src/services/file-store.ts';
import { percentile } from './measure.ts';
import { ROOT, rssBytes } from './processes.ts';

// The recorder's resumable upload, as a customer's browser drives it: start a recording on the
// seeded reusable link → the video through tus 1.0 (the real tus-js-client) → finish. Measured
// against a plain copy of the same bytes on the same disk (the server's DATA_DIR), and for its
// memory while one 200 MB PATCH streams to disk. See bench/README.md.

const MB = 1024 * 1024;
const RECORDER = '/api/v1/recorder';
const DEMO_VIDEO = join(ROOT, 'assets/demo/demo-recording.webm');

export const UPLOAD_KEYS = ['upload_20mb', 'upload_rss'] as const;
/** Median of RUNS timed runs each, after one warm-up run of each. */
const RUNS = 5;
const SMALL_BYTES = 20 * MB;
const BIG_BYTES = 200 * MB;
const RSS_SAMPLE_MS = 50;
export const UPLOAD_RATIO_TARGET = 0.5;
export const UPLOAD_RSS_LIMIT = 250 * MB;

export interface UploadThroughput {
  bytes: number;
  /** Median MB/s (MiB) of start → tus upload → finish, wall clock. */
  uploadMBps: number;
  /** Median MB/s of the baseline: stream copy of the same bytes in DATA_DIR, then fsync. */
  copyMBps: number;
  ratio: number;
  uploadSeconds: number[];
  copySeconds: number[];
  /** Median ms of each step of the timed uploads: the start call, tus (POST + PATCH), finish. */
  stepsMs: { start: number; tus: number; finish: number };
  target: number;
}

export interface UploadMemory {
  bytes: number;
  /** PATCH requests the tus client sent (1: the whole video in one request). */
  patches: number;
  seconds: number;
  /** The server's RSS just before the start call, and the peak seen until finish answered. */
  rssBefore: number;
  rssPeak: number;
  samples: number;
  /** The longest gap between two RSS samples, in ms (they are meant to be 50 ms apart). */
  maxSampleGapMs: number;
  limit: number;
}

export interface UploadResults {
  upload_20mb?: UploadThroughput | { error: string };
  upload_rss?: UploadMemory | { error: string };
}

export interface UploadBenchOptions {
  /** The server's base URL and pid. */
  base: string;
  pid: number;
  /** A reusable link on a verified domain (the seeded one). */
  linkId: string;
  /** The server's DATA_DIR: the baseline copies are written there too, on the same filesystem. */
  dataDir: string;
  selected(key: string): boolean;
  progress(label: string, done: number, total: number, started: number): void;
  log(line: string): void;
}

/** The demo recording (a real WebM: EBML header, segment) followed by random bytes up to `size`. */
function webmPayload(size: number): Buffer {
  const demo = readFileSync(DEMO_VIDEO);
  const data = Buffer.allocUnsafe(size);
  const head = Math.min(size, demo.length);
  demo.copy(data, 0, 0, head);
  if (size > head) randomFillSync(data, head);
  return data;
}

interface Started {
  recordingId: string;
  uploadToken: string;
  videoUploadUrl: string;
}

async function startRecording(base: string, linkId: string, size: number): Promise<Started> {
  const res = await fetch(`${base}${RECORDER}/links/${linkId}/recordings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ durationMs: 3000, video: { type: 'video/webm', size } }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`start answered ${res.status}: ${text.slice(0, 200)}`);
  return (JSON.parse(text) as { data: Started }).data;
}

function tusUpload(
  base: string,
  started: Started,
  data: Buffer,
  onProgress?: (sent: number, total: number) => void,
): Promise<{ patches: number }> {
  let patches = 0;
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint: new URL(started.videoUploadUrl, base).href,
      headers: { Authorization: `Bearer ${started.uploadToken}` },
      metadata: { filetype: 'video/webm' },
      // chunkSize unset: the whole video in one PATCH. No retries: an error is a failed run.
      retryDelays: [],
      onBeforeRequest: (req) => {
        if (req.getMethod() === 'PATCH') patches++;
      },
      onProgress: onProgress ?? null,
      onError: reject,
      onSuccess: () => resolve({ patches }),
    });
    upload.start();
  });
}

async function finishRecording(base: string, started: Started): Promise<void> {
  const res = await fetch(`${base}${RECORDER}/recordings/${started.recordingId}/finish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${started.uploadToken}` },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`finish answered ${res.status}: ${text.slice(0, 200)}`);
}

/** One recording end to end; checks the server stored every byte. Returns wall-clock seconds. */
async function uploadOnce(
  options: UploadBenchOptions,
  data: Buffer,
  onProgress?: (sent: number, total: number) => void,
): Promise<{ seconds: number; patches: number; stepsMs: UploadThroughput['stepsMs'] }> {
  const t0 = performance.now();
  const started = await startRecording(options.base, options.linkId, data.length);
  const t1 = performance.now();
  const { patches } = await tusUpload(options.base, started, data, onProgress);
  const t2 = performance.now();
  await finishRecording(options.base, started);
  const t3 = performance.now();
  const seconds = (t3 - t0) / 1000;
  const stored = await stat(join(filesRoot(options.dataDir), started.recordingId, 'video.webm'));
  if (stored.size !== data.length) throw new Error(`stored ${stored.size} bytes of ${data.length}`);
  return { seconds, patches, stepsMs: { start: t1 - t0, tus: t2 - t1, finish: t3 - t2 } };
}

/**
 * The baseline: the same bytes copied file to file in DATA_DIR through userspace (a read stream
 * piped into a write stream), then fsync, as the server fsyncs the finished upload.
 */
async function copyOnce(source: string, target: string): Promise<number> {
  const t0 = performance.now();
  await pipeline(createReadStream(source), createWriteStream(target));
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  await rm(target, { force: true });
  return seconds;
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

async function measureThroughput(options: UploadBenchOptions): Promise<UploadThroughput> {
  const data = webmPayload(SMALL_BYTES);
  const dir = join(options.dataDir, 'bench-copy');
  await mkdir(dir, { recursive: true });
  const source = join(dir, 'source.webm');
  await writeFile(source, data, { flush: true });
  const target = join(dir, 'copy.webm');
  // One warm-up of each, then the timed runs interleaved, so drift of the disk hits both alike.
  await copyOnce(source, target);
  await uploadOnce(options, data);
  const uploadSeconds: number[] = [];
  const copySeconds: number[] = [];
  const steps: UploadThroughput['stepsMs'][] = [];
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    copySeconds.push(await copyOnce(source, target));
    const run = await uploadOnce(options, data);
    uploadSeconds.push(run.seconds);
    steps.push(run.stepsMs);
    options.progress('upload_20mb runs', i + 1, RUNS, t0);
  }
  await rm(dir, { recursive: true, force: true });
  const uploadMBps = SMALL_BYTES / MB / median(uploadSeconds);
  const copyMBps = SMALL_BYTES / MB / median(copySeconds);
  return {
    bytes: SMALL_BYTES,
    uploadMBps,
    copyMBps,
    ratio: uploadMBps / copyMBps,
    uploadSeconds,
    copySeconds,
    stepsMs: {
      start: median(steps.map((s) => s.start)),
      tus: median(steps.map((s) => s.tus)),
      finish: median(steps.map((s) => s.finish)),
    },
    target: UPLOAD_RATIO_TARGET,
  };
}

async function measureMemory(options: UploadBenchOptions): Promise<UploadMemory> {
  const data = webmPayload(BIG_BYTES);
  const rssBefore = rssBytes(options.pid);
  let rssPeak = rssBefore;
  let samples = 1;
  let maxSampleGapMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxSampleGapMs = Math.max(maxSampleGapMs, now - last);
    last = now;
    rssPeak = Math.max(rssPeak, rssBytes(options.pid));
    samples++;
  }, RSS_SAMPLE_MS);
  const t0 = performance.now();
  let shownMB = -1;
  try {
    const { seconds, patches } = await uploadOnce(options, data, (sent, total) => {
      const mb = Math.floor(sent / MB);
      if (mb !== shownMB) {
        shownMB = mb;
        options.progress('upload_rss: MB sent', mb, Math.floor(total / MB), t0);
      }
    });
    rssPeak = Math.max(rssPeak, rssBytes(options.pid));
    return {
      bytes: BIG_BYTES,
      patches,
      seconds,
      rssBefore,
      rssPeak,
      samples: samples + 1,
      maxSampleGapMs,
      limit: UPLOAD_RSS_LIMIT,
    };
  } finally {
    clearInterval(timer);
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 200);

/** Runs the selected upload scenarios against a running server. */
export async function benchUploads(options: UploadBenchOptions): Promise<UploadResults> {
  const results: UploadResults = {};
  if (options.selected('upload_20mb')) {
    options.log(
      `  upload_20mb: ${SMALL_BYTES / MB} MB through tus vs a copy with fsync, ${RUNS} runs each …`,
    );
    try {
      const r = await measureThroughput(options);
      results.upload_20mb = r;
      options.log(
        `  upload_20mb: ${r.uploadMBps.toFixed(1)} MB/s vs copy ${r.copyMBps.toFixed(1)} MB/s (${r.ratio.toFixed(3)}); ` +
          `median ms: start ${r.stepsMs.start.toFixed(1)}, tus ${r.stepsMs.tus.toFixed(1)}, finish ${r.stepsMs.finish.toFixed(1)}`,
      );
    } catch (error) {
      results.upload_20mb = { error: message(error) };
      options.log(`  upload_20mb skipped: ${message(error)}`);
    }
  }
  if (options.selected('upload_rss')) {
    options.log(
      `  upload_rss: ${BIG_BYTES / MB} MB through tus in one PATCH, RSS every ${RSS_SAMPLE_MS} ms …`,
    );
    try {
      const r = await measureMemory(options);
      results.upload_rss = r;
      options.log(
        `  upload_rss: peak ${(r.rssPeak / MB).toFixed(0)} MB (before ${(r.rssBefore / MB).toFixed(0)} MB), ${r.patches} PATCH, ${r.seconds.toFixed(1)} s`,
      );
    } catch (error) {
      results.upload_rss = { error: message(error) };
      options.log(`  upload_rss skipped: ${message(error)}`);
    }
  }
  return results;
}

const failed = (r: object | undefined): r is { error: string } => !!r && 'error' in r;

/** Pass/fail of the upload targets, for the scenarios that ran. */
export function uploadChecks(
  results: UploadResults | undefined,
): { name: string; pass: boolean; detail: string }[] {
  const out: { name: string; pass: boolean; detail: string }[] = [];
  const small = results?.upload_20mb;
  if (small) {
    out.push({
      name: `upload_20mb ≥ ${UPLOAD_RATIO_TARGET.toFixed(2)} × copy with fsync`,
      pass: !failed(small) && small.ratio >= small.target,
      detail: failed(small)
        ? small.error
        : `${small.ratio.toFixed(3)} (${small.uploadMBps.toFixed(1)} vs ${small.copyMBps.toFixed(1)} MB/s)`,
    });
  }
  const big = results?.upload_rss;
  if (big) {
    out.push({
      name: `server RSS during a ${BIG_BYTES / MB} MB upload < ${UPLOAD_RSS_LIMIT / MB} MB`,
      pass: !failed(big) && big.rssPeak > 0 && big.rssPeak < big.limit && big.patches === 1,
      detail: failed(big)
        ? big.error
        : `peak ${(big.rssPeak / MB).toFixed(0)} MB (before ${(big.rssBefore / MB).toFixed(0)} MB)` +
          (big.patches === 1 ? '' : `, ${big.patches} PATCH requests, expected 1`),
    });
  }
  return out;
}

/** The upload rows, in the style of the bench's table. */
export function printUploads(results: UploadResults | undefined, log: (line: string) => void): void {
  if (!results || Object.keys(results).length === 0) return;
  const header = ['upload', 'MB/s', 'copy MB/s', 'ratio', 'RSS before MB', 'RSS peak MB', 's', 'target'];
  const lines: string[][] = [];
  const small = results.upload_20mb;
  if (small) {
    lines.push(
      failed(small)
        ? [`upload_20mb: ${small.error}`, 'n/a', '', '', '', '', '', '']
        : [
            `upload_20mb: tus ${small.bytes / MB} MB, median of ${small.uploadSeconds.length}`,
            small.uploadMBps.toFixed(1),
            small.copyMBps.toFixed(1),
            small.ratio.toFixed(3),
            '',
            '',
            median(small.uploadSeconds).toFixed(3),
            `≥ ${small.target.toFixed(2)}`,
          ],
    );
  }
  const big = results.upload_rss;
  if (big) {
    lines.push(
      failed(big)
        ? [`upload_rss: ${big.error}`, 'n/a', '', '', '', '', '', '']
        : [
            `upload_rss: tus ${big.bytes / MB} MB, ${big.patches} PATCH`,
            (big.bytes / MB / big.seconds).toFixed(1),
            '',
            '',
            (big.rssBefore / MB).toFixed(0),
            (big.rssPeak / MB).toFixed(0),
            big.seconds.toFixed(2),
            `< ${big.limit / MB} MB`,
          ],
    );
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  log('');
  log(fmt(header));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) log(fmt(line));
  if (big && !failed(big))
    log(
      `  RSS sampled ${big.samples} times, every ${RSS_SAMPLE_MS} ms (longest gap ${big.maxSampleGapMs.toFixed(0)} ms)`,
    );
}
