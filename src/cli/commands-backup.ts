import path from 'node:path';
import {
  BackupError,
  type BackupProgress,
  type BackupSummary,
  type RestoreSummary,
  restoreBackup,
  writeBackup,
} from '../services/backup.ts';
import { type CliContext, CliError, type Command } from './support.ts';

/** 1536 → "1.5 KB": sizes for people. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Progress on stderr, so stdout carries only the result: one line redrawn in place on a terminal
 * (at most ten times a second), otherwise a line at each quarter of each phase.
 */
function progressReporter(command: string) {
  const stream = process.stderr;
  const tty = stream.isTTY === true;
  let phase = '';
  let quarter = 0;
  let drawnAt = 0;
  let drawn = false;
  const describe = (p: BackupProgress) => {
    if (p.phase === 'database') {
      const percent = p.total === 0 ? 100 : Math.floor((p.done * 100) / p.total);
      return `database snapshot ${percent}% (${p.done}/${p.total} pages)`;
    }
    const what = p.phase === 'files' ? 'files' : 'entries';
    return `${what} ${p.done}/${p.total} (${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)})`;
  };
  return {
    update(p: BackupProgress) {
      const finished = p.done >= p.total && p.bytes >= p.totalBytes;
      const fraction = finished
        ? 1
        : p.totalBytes > 0
          ? p.bytes / p.totalBytes
          : p.done / Math.max(p.total, 1);
      if (p.phase !== phase) {
        if (tty && drawn) stream.write('\n');
        phase = p.phase;
        quarter = 0;
        drawn = false;
      }
      if (tty) {
        const now = Date.now();
        if (!finished && now - drawnAt < 100) return;
        drawnAt = now;
        drawn = true;
        stream.write(`\r\x1b[2K${command}: ${describe(p)}`);
        return;
      }
      const reached = Math.floor(fraction * 4);
      if (reached <= quarter) return;
      quarter = reached;
      stream.write(`${command}: ${describe(p)}\n`);
    },
    end() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** Runs `fn` with a signal that Ctrl-C or SIGTERM aborts, so the job removes what it half made. */
async function interruptible<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  interrupted: string,
  end: () => void,
): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw new CliError(interrupted);
    if (error instanceof BackupError) throw new CliError(error.message);
    throw error;
  } finally {
    end();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** The pg_dump file name documented beside an archive: `x.backup` → `x.pgdump`. */
function pgDumpFile(out: string): string {
  const { dir, name } = path.parse(path.resolve(out));
  return path.join(dir, `${name}.pgdump`);
}

function reportBackup(ctx: CliContext, summary: BackupSummary): void {
  ctx.out(summary.out);
  const parts = [
    ...(summary.database === 'sqlite' ? [`database ${formatBytes(summary.databaseBytes)}`] : []),
    ...(summary.filesIn === 'archive' ? [`${summary.files} files (${formatBytes(summary.fileBytes)})`] : []),
    ...(summary.secretIncluded ? ['the server secret'] : []),
  ];
  ctx.out(`Backed up ${parts.join(', ')} into ${summary.out} (${formatBytes(summary.archiveBytes)})`);
  if (summary.database === 'postgres') {
    // The database itself is pg_dump's: consistent, and restorable into any PostgreSQL.
    ctx.out(
      'PostgreSQL: this file holds the files only. Dump the database with pg_dump, run BEFORE `userplane backup` so every file its rows name is in this file (docs/operations.md, Backups):',
    );
    ctx.out(`  pg_dump --format=custom --no-owner --file=${pgDumpFile(summary.out)} "$DATABASE_URL"`);
  }
  if (summary.filesIn === 's3') {
    ctx.out(
      "Files: STORAGE=s3, so the recording files stay in the bucket; protect it with the provider's versioning or replication (docs/operations.md, Backups).",
    );
  }
  ctx.out(
    summary.secretIncluded
      ? 'Secret: included. Guard this file like the secret itself: it decrypts the signing keys.'
      : "Secret: not included. The restored server needs this server's secret (USERPLANE_SECRET, or DATA_DIR/secret when that is unset): keep it safe, apart from the backup, or back up with --include-secret.",
  );
  if (summary.skipped.length > 0) {
    process.stderr.write(
      `backup: left out ${summary.skipped.length} entries under DATA_DIR/files that the server never writes (e.g. ${summary.skipped[0]})\n`,
    );
  }
}

function reportRestore(ctx: CliContext, from: string, summary: RestoreSummary): void {
  const parts = [
    ...(summary.database === 'sqlite' ? [`database ${formatBytes(summary.databaseBytes)}`] : []),
    ...(summary.filesIn === 'archive' ? [`${summary.files} files (${formatBytes(summary.fileBytes)})`] : []),
  ];
  ctx.out(ctx.config.dataDir);
  ctx.out(
    `Restored ${parts.join(', ')} from ${path.resolve(from)} (taken ${summary.createdAt}) into ${ctx.config.dataDir}`,
  );
  if (summary.database === 'postgres') {
    ctx.out(
      'PostgreSQL: restore the database from its pg_dump into an empty database first (docs/operations.md, Backups):',
    );
    ctx.out(
      '  pg_restore --no-owner --exit-on-error --single-transaction --dbname="$DATABASE_URL" userplane.pgdump',
    );
  }
  if (summary.filesIn === 's3' && ctx.config.storage.kind !== 's3') {
    ctx.out(
      'Files: this backup was taken with STORAGE=s3; its files are in that bucket. Serve with STORAGE=s3 and the same S3_* settings.',
    );
  }
  ctx.out(
    summary.secret === 'restored'
      ? `Secret: restored into ${summary.secretFile}; start the server with USERPLANE_SECRET unset (or set to it).`
      : "Secret: the one in use here is the backup's; start the server with the same USERPLANE_SECRET.",
  );
  ctx.out('Next: userplane serve');
}

/** `backup` and `restore`: the whole server's state in one file, and back (docs/operations.md). */
export const backupCommands: Command[] = [
  {
    name: 'backup',
    usage: 'backup --out FILE [--include-secret]  online copy of the database and recording files',
    flags: { out: { type: 'string', required: true }, 'include-secret': { type: 'boolean' } },
    async run(ctx) {
      const progress = progressReporter('backup');
      const summary = await interruptible(
        (signal) =>
          writeBackup({
            dataDir: ctx.config.dataDir,
            database: ctx.config.database,
            secret: ctx.config.secret,
            includeSecret: ctx.flags['include-secret'] === true,
            storage: ctx.config.storage.kind,
            out: ctx.flags.out as string,
            onProgress: progress.update,
            signal,
          }),
        'interrupted; no backup was written',
        progress.end,
      );
      reportBackup(ctx, summary);
    },
  },
  {
    name: 'restore',
    usage: 'restore --from FILE                   restore a backup into an empty DATA_DIR',
    flags: { from: { type: 'string', required: true } },
    async run(ctx) {
      const from = ctx.flags.from as string;
      const progress = progressReporter('restore');
      const summary = await interruptible(
        (signal) =>
          restoreBackup({
            dataDir: ctx.config.dataDir,
            database: ctx.config.database,
            secret: ctx.config.secret,
            storage: ctx.config.storage.kind,
            from,
            onProgress: progress.update,
            signal,
          }),
        'interrupted; nothing was restored',
        progress.end,
      );
      reportRestore(ctx, from, summary);
    },
  },
];
