import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileStore as TusFileStore } from '@tus/file-store';
import type { DataStore } from '@tus/server';
import type { ResourceKind } from '../domain/recording-resources.ts';
import { signFilePath } from '../lib/signed-url.ts';

/**
 * Where recording files live (issue 9): the local disk under DATA_DIR (default) or an S3-compatible
 * bucket. Paths are relative and app-made: `<recordingId>/<kind>.<ext>`, `demo-assets/…`. Services
 * go through this interface only, so both backends behave the same to every caller.
 */
export interface FileStore {
  readonly kind: 'fs' | 's3';
  /**
   * The origin download URLs point at when it is not this server's (S3: the bucket's endpoint), for
   * the pages that load them to list in their Content-Security-Policy; null for our own /files URLs.
   */
  readonly downloadOrigin: string | null;
  /** Writes bytes at `relativePath`, atomically (never half a file under the real name) and durably. */
  write(
    relativePath: string,
    data: Buffer | string,
    options: { contentType: string; durable?: boolean },
  ): Promise<StoredFile>;
  /** Takes a finished local file (a completed upload) to `relativePath`; the local file is gone after. */
  moveIn(relativePath: string, localFile: string, options: { contentType: string }): Promise<StoredFile>;
  /** The bytes, or undefined when there is no such file. */
  read(relativePath: string): Promise<Buffer | undefined>;
  /** The size in bytes, or undefined when there is no such file. */
  size(relativePath: string): Promise<number | undefined>;
  /** Removes every file of a recording (nothing happens when there is none). */
  removeRecording(recordingId: string): Promise<void>;
  /** Relative paths of the files below a folder (`rec_…`), for checks and maintenance. */
  list(folder: string): Promise<string[]>;
  /** A URL a browser can fetch until `expiresAtSec`, served with `contentType` and Range support. */
  downloadUrl(
    relativePath: string,
    options: { contentType: string; expiresAtSec: number },
  ): string | Promise<string>;
  /** Throws, naming what to fix, when the store cannot be used (at start and in /readyz). */
  check(): Promise<void>;

  // Resumable uploads (tus). An upload is named by its recording id; its bytes live beside the
  // files (DATA_DIR/uploads, or `<prefix>uploads/` in the bucket) until it is adopted or removed, so
  // with S3 any instance can take any chunk of it.

  /** The tus data store uploads are written to (made on first use, then the same one). */
  uploadStore(): DataStore;
  /** The first `bytes` bytes (default 16) and the size of a finished upload; undefined when there is none. */
  uploadHead(uploadId: string, bytes?: number): Promise<{ head: Buffer; size: number } | undefined>;
  /**
   * Keeps a finished upload as `relativePath` (atomically: the file appears whole or not at all) and
   * removes what is left of the upload.
   */
  adoptUpload(uploadId: string, relativePath: string, options: { contentType: string }): Promise<StoredFile>;
  /** Removes an upload's bytes and bookkeeping, finished or not (nothing happens when there are none). */
  removeUpload(uploadId: string): Promise<void>;
  /** When an unfinished upload's bytes last moved (epoch ms), or undefined when there is no such upload. */
  uploadLastActivity(uploadId: string): Promise<number | undefined>;
}

// Resource files live under `<DATA_DIR>/files/<recordingId>/<kind>.<ext>`, the tree the signed
// `/files/*` route serves. Every path segment we produce stays inside the route's allowed set
// (letters, digits, `.`, `_`, `-`), so whatever we store can be served.

/** File name extension for a resource's media type (the files route derives Content-Type from it). */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'video/webm': 'webm',
  'video/mp4': 'mp4',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'application/x-ndjson': 'ndjson',
  'application/json': 'json',
};

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * How a browser should treat a stored file: videos and images play or show inline; logs download
 * under a name that says what they are (`rec_…-console-log.ndjson`).
 */
export function contentDispositionFor(relativePath: string, contentType: string): string {
  if (contentType.startsWith('video/') || contentType.startsWith('image/')) return 'inline';
  // Only letters, digits, `.`, `_` and `-` reach the header, whatever the path held.
  const name = relativePath
    .split('/')
    .join('-')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${name}"`;
}

/** A stored file: its path relative to `<DATA_DIR>/files` and its size in bytes. */
export interface StoredFile {
  storagePath: string;
  size: number;
}

/** The directory the `/files/*` route serves. */
export function filesRoot(dataDir: string): string {
  return path.resolve(dataDir, 'files');
}

/** An id used as one path segment (a recording, an upload); throws for anything else. */
export function singleSegment(id: string): string {
  const segments = checkedSegments(id);
  if (segments.length !== 1) throw new TypeError(`file-store: not a plain id: ${id}`);
  return segments[0]!;
}

/** Where unfinished resumable uploads live on the local disk (one file + one .json per upload). */
export function uploadsDir(dataDir: string): string {
  return path.resolve(dataDir, 'uploads');
}

/** The extension stored files of this media type get; throws for a type we never store. */
export function extensionFor(contentType: string): string {
  const ext = EXTENSIONS[contentType];
  if (ext === undefined) throw new TypeError(`file-store: no extension for ${contentType}`);
  return ext;
}

/** The path's segments, each one a plain name (letters, digits, `.`, `_`, `-`); throws otherwise. */
export function checkedSegments(relativePath: string): string[] {
  const segments = relativePath.split('/');
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) {
    throw new TypeError(`file-store: not a storable path: ${relativePath}`);
  }
  return segments;
}

/**
 * Writes `data` at `relativePath` below the files root, atomically: a temporary name in the same
 * directory, then rename, so a reader never sees half a file. With `durable` (the default) the
 * file and its directory are fsynced, so a file whose row was committed survives a power loss.
 */
export async function writeStoredFile(
  dataDir: string,
  relativePath: string,
  data: Buffer | string,
  options: { durable?: boolean } = {},
): Promise<StoredFile> {
  const durable = options.durable ?? true;
  const target = path.join(filesRoot(dataDir), ...checkedSegments(relativePath));
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
  const handle = await open(temp, 'wx', 0o640);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // The rename is durable only once the directory entry is on disk.
  if (durable) await syncDirectory(dir);
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  return { storagePath: relativePath, size };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes one resource of a recording as `<recordingId>/<kind>.<ext>`. */
export async function writeResourceFile(
  dataDir: string,
  recordingId: string,
  kind: ResourceKind,
  contentType: string,
  data: Buffer | string,
  options: { durable?: boolean } = {},
): Promise<StoredFile> {
  return writeStoredFile(dataDir, `${recordingId}/${kind}.${extensionFor(contentType)}`, data, options);
}

/** Size of an already stored file, or undefined when it does not exist. */
export async function storedFileSize(dataDir: string, relativePath: string): Promise<number | undefined> {
  try {
    const info = await stat(path.join(filesRoot(dataDir), ...checkedSegments(relativePath)));
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The bytes of a stored file, or undefined when it does not exist (e.g. removed by a concurrent delete). */
export async function readStoredFile(dataDir: string, relativePath: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path.join(filesRoot(dataDir), ...checkedSegments(relativePath)));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes a recording's folder and everything in it (nothing happens when it does not exist). */
export async function deleteRecordingFiles(dataDir: string, recordingId: string): Promise<void> {
  // Only a single plain segment: a bad id must never widen the delete to the files root.
  const [segment] = checkedSegments(recordingId);
  if (segment !== recordingId) throw new TypeError(`file-store: not a recording id: ${recordingId}`);
  await rm(path.join(filesRoot(dataDir), segment), { recursive: true, force: true });
}

/**
 * The local-disk store: files under `<DATA_DIR>/files`, served by the signed `/files/…` route of
 * this server (one machine, or instances sharing DATA_DIR on a network file system).
 */
export function localFileStore(options: {
  dataDir: string;
  publicUrl: string;
  secret: string | Buffer;
}): FileStore {
  const root = filesRoot(options.dataDir);
  const uploads = uploadsDir(options.dataDir);
  const uploadFile = (uploadId: string) => localUploadFile(options.dataDir, uploadId);
  let tusStore: TusFileStore | undefined;
  return {
    kind: 'fs',
    downloadOrigin: null,
    write: (relativePath, data, opts) =>
      writeStoredFile(
        options.dataDir,
        relativePath,
        data,
        opts.durable === undefined ? {} : { durable: opts.durable },
      ),
    moveIn: (relativePath, localFile) => moveLocalFile(root, relativePath, localFile),
    read: (relativePath) => readStoredFile(options.dataDir, relativePath),
    size: (relativePath) => storedFileSize(options.dataDir, relativePath),
    removeRecording: (recordingId) => deleteRecordingFiles(options.dataDir, recordingId),
    async list(folder) {
      const [segment] = checkedSegments(folder);
      try {
        return (await readdir(path.join(root, segment!)))
          .filter((name) => !name.includes('.tmp-'))
          .map((name) => `${segment}/${name}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
    downloadUrl: (relativePath, opts) =>
      `${options.publicUrl}${signFilePath(options.secret, `/files/${relativePath}`, opts.expiresAtSec)}`,
    async check() {
      await mkdir(root, { recursive: true });
    },
    uploadStore() {
      // Made on first use: the tus file store creates its directory when constructed, which an app
      // that never takes an upload (a CLI command, most tests) has no reason to do.
      if (!tusStore) {
        mkdirSync(uploads, { recursive: true });
        tusStore = new TusFileStore({ directory: uploads });
      }
      return tusStore;
    },
    async uploadHead(uploadId, bytes = 16) {
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(uploadFile(uploadId), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        const head = Buffer.alloc(bytes);
        const { bytesRead } = await handle.read(head, 0, bytes, 0);
        return { head: head.subarray(0, bytesRead), size: (await handle.stat()).size };
      } finally {
        await handle.close();
      }
    },
    async adoptUpload(uploadId, relativePath) {
      // The same file system as DATA_DIR/files: a rename, no copy.
      const stored = await moveLocalFile(root, relativePath, uploadFile(uploadId));
      await rm(`${uploadFile(uploadId)}.json`, { force: true });
      return stored;
    },
    removeUpload: (uploadId) => removeLocalUpload(options.dataDir, uploadId),
    uploadLastActivity: (uploadId) => localUploadLastActivity(options.dataDir, uploadId),
  };
}

// Upload ids are recording ids; checked anyway, so no id can name a file outside DATA_DIR/uploads.
function localUploadFile(dataDir: string, uploadId: string): string {
  return path.join(uploadsDir(dataDir), singleSegment(uploadId));
}

/** Removes an upload's data file and its tus bookkeeping (`.json`) from DATA_DIR/uploads. */
export async function removeLocalUpload(dataDir: string, uploadId: string): Promise<void> {
  const file = localUploadFile(dataDir, uploadId);
  await rm(file, { force: true });
  await rm(`${file}.json`, { force: true });
}

/** When a local upload's bytes last moved: its data file's mtime, which every chunk written moves. */
export async function localUploadLastActivity(
  dataDir: string,
  uploadId: string,
): Promise<number | undefined> {
  try {
    return (await stat(localUploadFile(dataDir, uploadId))).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Renames a finished local file into the files tree: fsync first, so a file whose row is committed
 * survives a power loss; then the directory entry.
 */
async function moveLocalFile(root: string, relativePath: string, localFile: string): Promise<StoredFile> {
  const target = path.join(root, ...checkedSegments(relativePath));
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const handle = await open(localFile, 'r');
  let size: number;
  try {
    await handle.sync();
    size = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  await rename(localFile, target);
  await syncDirectory(dir);
  return { storagePath: relativePath, size };
}
