import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import {
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
} from 'node:fs/promises';
import path from 'node:path';
import { pipeline as pipelineWithCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip, constants as zlibConstants } from 'node:zlib';
import type { Database } from '../config/index.ts';
import { constantTimeEqual, hmacBase64Url } from '../lib/crypto.ts';
import { checkSqliteDatabase, snapshotSqliteDatabase } from '../store/sqlite-backup.ts';
import { filesRoot } from './file-store.ts';

/*
 * `userplane backup` / `userplane restore` (issue 9). The archive is a format of our own, so the
 * restore needs nothing but Node (docs/operations.md, "Backups"): one gzip stream holding
 *
 *   {"format":"userplane-backup","version":1,…header…}\n
 *   {"path":"userplane.db","size":N}\n  <N bytes>          (SQLite only)
 *   {"path":"secret","size":N}\n        <N bytes>          (only with --include-secret)
 *   {"path":"files/rec_…/video.webm","size":N}\n  <N bytes>  (each file under DATA_DIR/files; STORAGE=fs)
 *   {"end":true,"entries":K,"bytes":B,"sha256":"<hex>"}\n
 *
 * Every line is one JSON object. `sha256` covers every uncompressed byte before the trailer line;
 * gzip's own CRC covers the whole stream. A restore writes into a staging directory inside
 * DATA_DIR and moves the result into place only after both checks (and SQLite's quick_check)
 * pass, so a damaged archive leaves nothing behind.
 *
 * Order of a backup: the database snapshot first, then the files. A recording's files are written
 * before its rows commit and removed only after its rows say so, so every file the snapshot refers
 * to is still on disk when the files are read; a file written after the snapshot is merely extra.
 */

export const BACKUP_FORMAT = 'userplane-backup';
export const BACKUP_FORMAT_VERSION = 1;
const DATABASE_ENTRY = 'userplane.db';
const SECRET_ENTRY = 'secret';
const FILES_PREFIX = 'files/';
const MAX_LINE_BYTES = 64 * 1024;
const MAX_SECRET_BYTES = 4096;
const READ_CHUNK_BYTES = 1024 * 1024;
// Path segments the file store produces (`rec_…/video.webm`, `demo-assets/…`): no `..`, no dotfiles,
// no separators, so an archive entry can never name anything outside DATA_DIR/files.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** A backup or restore that cannot go on; the message says why and what to do. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** The first line of an archive. */
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  /** Where the database is: in this archive (sqlite), or in a pg_dump made beside it (postgres). */
  database: 'sqlite' | 'postgres';
  secretIncluded: boolean;
  /** Where the recording files are: in this archive (STORAGE=fs), or in the S3 bucket (STORAGE=s3). */
  files: 'archive' | 's3';
  /**
   * HMAC of a fixed label under the server secret: lets a restore tell whether the secret in use is
   * the one the backup was taken with, without holding it. It reveals no more than the encrypted
   * signing keys in the same archive, which a guessed secret could be tried against just as well.
   */
  secretFingerprint: string;
  /** Entries and payload bytes that follow (at most: a file removed meanwhile is left out). */
  entries: number;
  bytes: number;
}

/** How far a job is: database pages while the snapshot runs, then entries (files) and bytes. */
export interface BackupProgress {
  phase: 'database' | 'files' | 'restore';
  done: number;
  total: number;
  bytes: number;
  totalBytes: number;
}

export interface BackupOptions {
  dataDir: string;
  database: Database;
  /** The server secret in use; only its fingerprint is stored unless `includeSecret`. */
  secret: string;
  includeSecret: boolean;
  /** `s3`: the files are in a bucket, which has backups of its own; only the database is archived. */
  storage: 'fs' | 's3';
  /** The archive to create; refused when it exists. */
  out: string;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
}

export interface BackupSummary {
  out: string;
  database: 'sqlite' | 'postgres';
  databaseBytes: number;
  files: number;
  fileBytes: number;
  /** Files under DATA_DIR/files with names the server never makes, left out. */
  skipped: string[];
  archiveBytes: number;
  secretIncluded: boolean;
  filesIn: 'archive' | 's3';
}

export interface RestoreOptions {
  dataDir: string;
  database: Database;
  /** The server secret in use by this command (USERPLANE_SECRET, or DATA_DIR/secret). */
  secret: string;
  storage: 'fs' | 's3';
  from: string;
  onProgress?: (progress: BackupProgress) => void;
  signal?: AbortSignal;
}

export interface RestoreSummary {
  createdAt: string;
  database: 'sqlite' | 'postgres';
  databaseBytes: number;
  files: number;
  fileBytes: number;
  /** `restored`: written to DATA_DIR/secret; `in-use`: the backup's secret is already the one in use. */
  secret: 'restored' | 'in-use';
  secretFile: string;
  /** `s3`: the backup's files stayed in the bucket it was taken with. */
  filesIn: 'archive' | 's3';
}

/** The fingerprint a header carries for `secret`. */
export function secretFingerprint(secret: string): string {
  return hmacBase64Url(secret, 'userplane/backup/secret-fingerprint/v1');
}

const jsonLine = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);
const suffix = () => randomBytes(6).toString('hex');
const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

async function syncPath(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Regular files below `root` as relative paths with sizes, sorted; odd names are reported, not listed. */
async function listFiles(
  root: string,
): Promise<{ files: Array<{ rel: string; size: number }>; skipped: string[] }> {
  const files: Array<{ rel: string; size: number }> = [];
  const skipped: string[] = [];
  const walk = async (dir: string, rel: string[]) => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // A recording's folder removed meanwhile (a purge): nothing of it is referenced any more.
      if (isMissing(error)) return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const parts = [...rel, entry.name];
      // `.tmp-` names are writes in flight (file-store writes a temporary name, then renames).
      if (entry.name.includes('.tmp-')) continue;
      if (!SEGMENT.test(entry.name)) {
        skipped.push(parts.join('/'));
        continue;
      }
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full, parts);
      else if (entry.isFile()) {
        try {
          files.push({ rel: parts.join('/'), size: (await stat(full)).size });
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      } else skipped.push(parts.join('/'));
    }
  };
  await walk(root, []);
  return { files, skipped };
}

/**
 * Writes an archive of the database (SQLite: an online snapshot through the backup API; PostgreSQL:
 * not included, pg_dump's job), the files under DATA_DIR/files and, when asked, the server secret.
 * The archive appears under its name only once complete and on disk.
 */
export async function writeBackup(options: BackupOptions): Promise<BackupSummary> {
  const out = path.resolve(options.out);
  const root = filesRoot(options.dataDir);
  if (await exists(out))
    throw new BackupError(`${out} already exists; choose another name or remove it first`);
  const dir = path.dirname(out);
  if (!(await exists(dir))) throw new BackupError(`directory ${dir} does not exist`);
  if (out.startsWith(`${root}${path.sep}`))
    throw new BackupError(`write the backup outside ${root}, whose files it copies`);
  const partial = `${out}.partial-${suffix()}`;
  const snapshot = `${out}.db-${suffix()}`;
  const progress = options.onProgress ?? (() => {});
  try {
    let databaseBytes = 0;
    if (options.database.kind === 'sqlite') {
      const file = options.database.file;
      if (!(await exists(file))) {
        throw new BackupError(
          `no database at ${file}: nothing to back up (is DATA_DIR set as for the server?)`,
        );
      }
      // The database first, then the files: see the ordering note at the top of this file.
      // Throwing from the progress callback is how an interrupt stops the copy between two steps.
      await snapshotSqliteDatabase(file, snapshot, (done, total) => {
        options.signal?.throwIfAborted();
        progress({ phase: 'database', done, total, bytes: 0, totalBytes: 0 });
      });
      databaseBytes = (await stat(snapshot)).size;
    }
    options.signal?.throwIfAborted();
    const { files, skipped } =
      options.storage === 'fs' ? await listFiles(root) : { files: [], skipped: [] as string[] };
    const secret = options.includeSecret ? Buffer.from(options.secret) : undefined;
    const fileBytes = files.reduce((sum, f) => sum + f.size, 0);
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      database: options.database.kind,
      secretIncluded: secret !== undefined,
      files: options.storage === 'fs' ? 'archive' : 's3',
      secretFingerprint: secretFingerprint(options.secret),
      entries: (options.database.kind === 'sqlite' ? 1 : 0) + (secret ? 1 : 0) + files.length,
      bytes: databaseBytes + (secret?.length ?? 0) + fileBytes,
    };
    const written = { files: 0, fileBytes: 0 };
    const signal = options.signal;

    async function* archive(): AsyncGenerator<Buffer> {
      const hash = createHash('sha256');
      let entries = 0;
      let bytes = 0;
      const emit = (chunk: Buffer) => {
        hash.update(chunk);
        return chunk;
      };
      yield emit(jsonLine(header));
      if (options.database.kind === 'sqlite') {
        for await (const chunk of fileEntry(DATABASE_ENTRY, snapshot)) yield emit(chunk);
        entries += 1;
        bytes += databaseBytes;
      }
      if (secret) {
        yield emit(jsonLine({ path: SECRET_ENTRY, size: secret.length }));
        yield emit(secret);
        entries += 1;
        bytes += secret.length;
      }
      progress({ phase: 'files', done: 0, total: files.length, bytes: 0, totalBytes: fileBytes });
      for (const file of files) {
        signal?.throwIfAborted();
        let size: number | undefined;
        for await (const chunk of fileEntry(`${FILES_PREFIX}${file.rel}`, path.join(root, file.rel), (s) => {
          size = s;
        }))
          yield emit(chunk);
        // Removed between the listing and now: deleted after the snapshot, so it is not needed.
        if (size === undefined) continue;
        entries += 1;
        bytes += size;
        written.files += 1;
        written.fileBytes += size;
        progress({
          phase: 'files',
          done: written.files,
          total: files.length,
          bytes: written.fileBytes,
          totalBytes: fileBytes,
        });
      }
      yield jsonLine({ end: true, entries, bytes, sha256: hash.digest('hex') });
    }

    // Recording media is compressed already; the fastest level still shrinks the database well.
    await pipeline(
      archive(),
      createGzip({ level: zlibConstants.Z_BEST_SPEED }),
      createWriteStream(partial, { flags: 'wx', mode: 0o600 }),
      ...(signal ? [{ signal }] : []),
    );
    await syncPath(partial);
    await rename(partial, out);
    await syncPath(dir);
    return {
      out,
      database: options.database.kind,
      databaseBytes,
      files: written.files,
      fileBytes: written.fileBytes,
      skipped,
      archiveBytes: (await stat(out)).size,
      secretIncluded: secret !== undefined,
      filesIn: header.files,
    };
  } finally {
    await rm(snapshot, { force: true });
    await rm(partial, { force: true });
  }
}

/**
 * One entry: its line, then its bytes, read from an open handle (a file removed while it is read
 * stays readable through it). Yields nothing when the file is gone before it could be opened.
 */
async function* fileEntry(
  name: string,
  file: string,
  onSize?: (size: number) => void,
): AsyncGenerator<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    yield jsonLine({ path: name, size });
    let position = 0;
    while (position < size) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new BackupError(`${file} shrank while it was copied`);
      position += bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
    onSize?.(size);
  } finally {
    await handle.close();
  }
}

/** The archive is damaged or truncated; the restore reports it with the archive's name. */
class Damaged extends Error {}

/** Reads lines and byte runs from the uncompressed stream. */
class ArchiveReader {
  private chunk: Buffer = Buffer.alloc(0);
  private offset = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(): Promise<boolean> {
    while (!this.ended && this.offset >= this.chunk.length) {
      const next = await this.source.next();
      if (next.done) this.ended = true;
      else {
        this.chunk = next.value;
        this.offset = 0;
      }
    }
    return this.offset < this.chunk.length;
  }

  /** The next line without its newline; undefined at the end of the stream. */
  async line(): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    let length = 0;
    for (;;) {
      if (!(await this.fill())) {
        if (length === 0) return undefined;
        throw new Damaged('it ends in the middle of a line');
      }
      const newline = this.chunk.indexOf(10, this.offset);
      const end = newline === -1 ? this.chunk.length : newline;
      length += end - this.offset;
      if (length > MAX_LINE_BYTES) throw new Damaged('a line is far too long');
      parts.push(this.chunk.subarray(this.offset, end));
      this.offset = newline === -1 ? end : newline + 1;
      if (newline !== -1) return Buffer.concat(parts);
    }
  }

  /** Hands the next `size` bytes to `sink`, piece by piece. */
  async bytes(size: number, sink: (piece: Buffer) => Promise<void>): Promise<void> {
    let left = size;
    while (left > 0) {
      if (!(await this.fill())) throw new Damaged('it ends in the middle of an entry');
      const take = Math.min(left, this.chunk.length - this.offset);
      await sink(this.chunk.subarray(this.offset, this.offset + take));
      this.offset += take;
      left -= take;
    }
  }

  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }
}

function parseJson(line: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function parseHeader(line: Buffer | undefined, from: string): BackupHeader {
  const value = line ? parseJson(line) : undefined;
  if (!value || value.format !== BACKUP_FORMAT)
    throw new BackupError(`${from} is not a Userplane backup (made by \`userplane backup\`)`);
  if (typeof value.version !== 'number' || value.version > BACKUP_FORMAT_VERSION) {
    throw new BackupError(
      `${from} was made by a newer Userplane (backup format ${String(value.version)}); restore it with that version`,
    );
  }
  if (
    (value.database !== 'sqlite' && value.database !== 'postgres') ||
    typeof value.secretIncluded !== 'boolean' ||
    (value.files !== 'archive' && value.files !== 's3') ||
    typeof value.secretFingerprint !== 'string' ||
    !isCount(value.entries) ||
    !isCount(value.bytes)
  ) {
    throw new Damaged('its header is incomplete');
  }
  return value as unknown as BackupHeader;
}

/** Where an entry goes below the staging directory, or a Damaged error for a name we never write. */
function entryTarget(name: string, header: BackupHeader): string {
  if (name === DATABASE_ENTRY && header.database === 'sqlite') return DATABASE_ENTRY;
  if (name === SECRET_ENTRY && header.secretIncluded) return SECRET_ENTRY;
  if (name.startsWith(FILES_PREFIX) && header.files === 'archive') {
    const segments = name.slice(FILES_PREFIX.length).split('/');
    if (segments.length > 0 && segments.every((s) => SEGMENT.test(s))) return path.join('files', ...segments);
  }
  throw new Damaged(`it holds an entry no backup writes (${JSON.stringify(name).slice(0, 200)})`);
}

/** Refuses a DATA_DIR that holds anything but a secret, empty folders, or our own leftover staging. */
async function checkEmptyTarget(dataDir: string, database: Database): Promise<void> {
  if (database.kind === 'sqlite') {
    for (const file of [database.file, `${database.file}-wal`]) {
      if (await exists(file)) {
        throw new BackupError(
          path.dirname(file) === dataDir
            ? `DATA_DIR ${dataDir} already holds a database (${file}); restore only into an empty DATA_DIR`
            : `the database ${file} already exists; restore only where there is no database yet`,
        );
      }
    }
  }
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const occupied: string[] = [];
  for (const name of names) {
    const full = path.join(dataDir, name);
    // A restore interrupted by a crash or a kill leaves its staging folder; it is ours to remove.
    if (name.startsWith('.restore-')) await rm(full, { recursive: true, force: true });
    else if (name === 'secret') continue;
    else if ((name === 'files' || name === 'uploads') && (await stat(full)).isDirectory()) {
      if ((await readdir(full)).length > 0) occupied.push(`${name}/`);
    } else occupied.push(name);
  }
  if (occupied.length > 0) {
    throw new BackupError(
      `DATA_DIR ${dataDir} is not empty (it holds ${occupied.slice(0, 5).join(', ')}${occupied.length > 5 ? ', …' : ''}); restore only into an empty DATA_DIR`,
    );
  }
}

/** Moves `from` to `to`, copying when they are on different file systems (DATABASE_URL=sqlite:<elsewhere>). */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const temp = `${to}.restore-${suffix()}`;
    await copyFile(from, temp);
    await syncPath(temp);
    await rename(temp, to);
  }
}

/**
 * Restores an archive into an empty DATA_DIR: everything is written to a staging folder, checked
 * (checksum, gzip CRC, SQLite quick_check), and only then moved into place, the database last.
 * Refuses, before writing anything, an archive whose server secret is not the one in use and not
 * included.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const from = path.resolve(options.from);
  const dataDir = path.resolve(options.dataDir);
  let archiveSize: number;
  try {
    archiveSize = (await stat(from)).size;
  } catch (error) {
    if (isMissing(error)) throw new BackupError(`${from} does not exist`);
    throw error;
  }
  if (archiveSize === 0) throw new BackupError(`${from} is empty: not a Userplane backup`);
  await checkEmptyTarget(dataDir, options.database);

  const input = createReadStream(from);
  const gunzip = createGunzip();
  // The callback form hands back the last stream; an error anywhere destroys both and reaches the reader.
  const stream = pipelineWithCallback(input, gunzip, () => {});
  const reader = new ArchiveReader(stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const staging = path.join(dataDir, `.restore-${suffix()}`);
  try {
    let headerLine: Buffer | undefined;
    try {
      headerLine = await reader.line();
    } catch (error) {
      if (isZlibError(error))
        throw new BackupError(`${from} is not a Userplane backup (gzip: ${(error as Error).message})`);
      if (error instanceof Damaged)
        throw new BackupError(`${from} is not a Userplane backup (${error.message})`);
      throw error;
    }
    const header = parseHeader(headerLine, from);
    const secret = await checkSecret(options, header, dataDir);
    await mkdir(staging, { recursive: true });
    const staged = await extract(reader, headerLine!, header, staging, options);
    options.signal?.throwIfAborted();
    return await moveIntoPlace(staged, header, staging, dataDir, options.database, secret);
  } catch (error) {
    if (error instanceof Damaged) {
      throw new BackupError(`${from} is damaged or incomplete: ${error.message}; nothing was restored`);
    }
    if (isZlibError(error)) {
      throw new BackupError(
        `${from} is damaged or incomplete (gzip: ${(error as Error).message}); nothing was restored`,
      );
    }
    throw error;
  } finally {
    input.destroy();
    gunzip.destroy();
    await rm(staging, { recursive: true, force: true });
  }
}

/** What the secret rules decided: whether to write the backup's secret into DATA_DIR/secret. */
interface SecretPlan {
  file: string;
  write: boolean;
}

/**
 * The server secret decrypts the signing keys and signs file URLs, so a restored server needs the
 * original one. Included in the backup: it is restored into DATA_DIR/secret, unless USERPLANE_SECRET
 * names the same one (then the environment stays the source) or another (refused). Not included:
 * the secret in use must be the original (checked against the header's fingerprint), or nothing is
 * restored.
 */
async function checkSecret(
  options: RestoreOptions,
  header: BackupHeader,
  dataDir: string,
): Promise<SecretPlan> {
  if (header.database === 'sqlite' && options.database.kind !== 'sqlite') {
    throw new BackupError(
      `${options.from} holds a SQLite database; restore it with DATABASE_URL unset (or sqlite:<path>)`,
    );
  }
  if (header.database === 'postgres' && options.database.kind !== 'postgres') {
    throw new BackupError(
      `${options.from} was taken from a PostgreSQL server and holds only its files: set DATABASE_URL to the database restored with pg_restore, then run restore again`,
    );
  }
  if (header.files === 'archive' && options.storage === 's3') {
    throw new BackupError(
      `${options.from} holds the recording files of a server with STORAGE=fs; restore it with STORAGE=fs (then copy DATA_DIR/files into the bucket, if you move to S3)`,
    );
  }
  const file = path.join(dataDir, 'secret');
  const fileSecret = await readFile(file, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  // loadConfig prefers USERPLANE_SECRET; when the secret in use equals the file's, the file is its source.
  const fromFile = fileSecret !== undefined && fileSecret === options.secret;
  const matches = constantTimeEqual(secretFingerprint(options.secret), header.secretFingerprint);
  if (header.secretIncluded && !fromFile && !matches) {
    throw new BackupError(
      "USERPLANE_SECRET is set to another secret than the one in this backup: unset it (the backup's is restored into DATA_DIR/secret) or set it to the original server's, then run restore again",
    );
  }
  if (!header.secretIncluded && !matches) {
    throw new BackupError(
      `this backup does not include the server secret, and the one in use here (${fromFile ? file : 'USERPLANE_SECRET'}) is not the one it was taken with: set USERPLANE_SECRET to the original server's secret and run restore again`,
    );
  }
  return { file, write: header.secretIncluded && fromFile };
}

interface Staged {
  databaseBytes: number;
  files: number;
  fileBytes: number;
  secret: string | undefined;
}

/** Writes every entry below `staging`, checking names, sizes, the checksum and the end of the stream. */
async function extract(
  reader: ArchiveReader,
  headerLine: Buffer,
  header: BackupHeader,
  staging: string,
  options: RestoreOptions,
): Promise<Staged> {
  const progress = options.onProgress ?? (() => {});
  const hash = createHash('sha256');
  hash.update(headerLine);
  hash.update('\n');
  const seen = new Set<string>();
  const directories = new Set<string>([staging]);
  const staged: Staged = { databaseBytes: 0, files: 0, fileBytes: 0, secret: undefined };
  let entries = 0;
  let bytes = 0;
  let reportedBytes = 0;
  const report = () => {
    reportedBytes = bytes;
    progress({ phase: 'restore', done: entries, total: header.entries, bytes, totalBytes: header.bytes });
  };
  report();
  let trailer: Record<string, unknown>;
  for (;;) {
    options.signal?.throwIfAborted();
    const line = await reader.line();
    if (line === undefined) throw new Damaged('it ends before its last line');
    const value = parseJson(line);
    if (!value) throw new Damaged('a line is not JSON');
    if (value.end === true) {
      trailer = value;
      break;
    }
    hash.update(line);
    hash.update('\n');
    const name = value.path;
    const size = value.size;
    if (typeof name !== 'string' || !isCount(size)) throw new Damaged('an entry line is incomplete');
    const target = entryTarget(name, header);
    if (seen.has(target)) throw new Damaged(`${name} appears twice`);
    seen.add(target);
    if (target === SECRET_ENTRY) {
      if (size > MAX_SECRET_BYTES) throw new Damaged('its secret is far too long');
      const pieces: Buffer[] = [];
      await reader.bytes(size, async (piece) => {
        hash.update(piece);
        pieces.push(Buffer.from(piece));
      });
      staged.secret = Buffer.concat(pieces).toString('utf8');
      bytes += size;
    } else {
      const full = path.join(staging, target);
      const parent = path.dirname(full);
      if (!directories.has(parent)) {
        await mkdir(parent, { recursive: true });
        for (let dir = parent; dir.length > staging.length; dir = path.dirname(dir)) directories.add(dir);
      }
      const handle = await open(full, 'wx', target === DATABASE_ENTRY ? 0o600 : 0o640);
      try {
        await reader.bytes(size, async (piece) => {
          hash.update(piece);
          await handle.write(piece);
          bytes += piece.length;
          // Within a large entry (the database, a long video), a report every 8 MiB.
          if (bytes - reportedBytes >= 8 * READ_CHUNK_BYTES) report();
        });
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (target === DATABASE_ENTRY) staged.databaseBytes = size;
      else {
        staged.files += 1;
        staged.fileBytes += size;
      }
    }
    entries += 1;
    report();
  }
  // Nothing may follow the trailer; reaching the end is also what makes gunzip check its CRC.
  if (!(await reader.atEnd())) throw new Damaged('data follows its last line');
  if (trailer.sha256 !== hash.digest('hex') || trailer.entries !== entries || trailer.bytes !== bytes) {
    throw new Damaged('its checksum does not match its contents');
  }
  if (header.database === 'sqlite' && !seen.has(DATABASE_ENTRY)) throw new Damaged('its database is missing');
  if (header.secretIncluded) {
    if (staged.secret === undefined) throw new Damaged('its secret is missing');
    if (!constantTimeEqual(secretFingerprint(staged.secret), header.secretFingerprint))
      throw new Damaged('its secret does not match its fingerprint');
  }
  if (header.database === 'sqlite') {
    const problem = checkSqliteDatabase(path.join(staging, DATABASE_ENTRY));
    if (problem) throw new Damaged(`its database fails SQLite's integrity check (${problem})`);
  }
  // The files' bytes were synced one by one; their directory entries now.
  for (const directory of directories) await syncPath(directory);
  return staged;
}

/** Moves the checked staging folder's contents into DATA_DIR: files, then the secret, then the database. */
async function moveIntoPlace(
  staged: Staged,
  header: BackupHeader,
  staging: string,
  dataDir: string,
  database: Database,
  secret: SecretPlan,
): Promise<RestoreSummary> {
  const stagedFiles = path.join(staging, 'files');
  if (await exists(stagedFiles)) {
    const filesDir = filesRoot(dataDir);
    // checkEmptyTarget allowed only an empty folder here.
    await rmdir(filesDir).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
    await rename(stagedFiles, filesDir);
  }
  let secretState: RestoreSummary['secret'] = 'in-use';
  if (secret.write && staged.secret !== undefined) {
    const temp = path.join(staging, `${SECRET_ENTRY}.new`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${staged.secret}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, secret.file);
    secretState = 'restored';
  }
  if (header.database === 'sqlite' && database.kind === 'sqlite') {
    await mkdir(path.dirname(database.file), { recursive: true });
    await moveFile(path.join(staging, DATABASE_ENTRY), database.file);
    await syncPath(path.dirname(database.file));
  }
  await syncPath(dataDir);
  return {
    createdAt: header.createdAt,
    database: header.database,
    databaseBytes: staged.databaseBytes,
    files: staged.files,
    fileBytes: staged.fileBytes,
    secret: secretState,
    secretFile: secret.file,
    filesIn: header.files,
  };
}

function isZlibError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
