import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as Presigner from '@aws-sdk/s3-request-presigner';
import { DataStore, ERRORS, Upload } from '@tus/server';
import type { Logger } from '../lib/logger.ts';
import {
  checkedSegments,
  contentDispositionFor,
  type FileStore,
  type StoredFile,
  singleSegment,
} from './file-store.ts';

// Recording files in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Backblaze B2, …) through
// @aws-sdk/client-s3. A file `<recordingId>/<kind>.<ext>` is the object `<prefix><recordingId>/<kind>.<ext>`;
// unfinished resumable uploads live under `<prefix>uploads/`. Downloads are presigned GET URLs, so
// the bytes go from the bucket to the browser without passing through this server (S3 serves Range).
//
// Resumable uploads use a tus data store of our own rather than @tus/s3-store: that one puts every
// upload at the bucket's root (no S3_PREFIX) and learns an upload's offset from ListParts, which not
// every S3-compatible server implements (s3rver, which the tests run, has neither ListParts nor
// AbortMultipartUpload). Keeping the part list in the bucket ourselves needs only PutObject,
// GetObject (with Range), HeadObject, DeleteObjects and the multipart calls every provider has.

// The AWS SDK is loaded when an S3 store is made, not with this module: a server that keeps its files
// on disk (STORAGE=fs, the default) would otherwise carry ~8 MB of RSS and a slower start for code it
// never runs (issue 11, item 4). `require`, since the packages are CommonJS (their `main`, which an
// `import` loads too) and a synchronous load keeps s3FileStore() synchronous like the disk store.
const requireSdk = createRequire(import.meta.url);
let S3: typeof S3Sdk;
let presigner: typeof Presigner;

function loadSdk(): void {
  S3 ??= requireSdk('@aws-sdk/client-s3') as typeof S3Sdk;
  presigner ??= requireSdk('@aws-sdk/s3-request-presigner') as typeof Presigner;
}

/** Bytes per multipart part: S3's minimum for every part but the last (R2 also wants them all equal). */
export const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
/** How long /readyz and the start wait for the bucket before calling it unreachable. */
const CHECK_TIMEOUT_MS = 5_000;
/** The longest lifetime S3 accepts for a presigned URL (SigV4: 7 days). */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** How to reach the bucket; the values of the S3_* settings (docs/configuration.md). */
export interface S3FileStoreOptions {
  bucket: string;
  region: string;
  /** Null: AWS S3 itself; otherwise the provider's endpoint (R2, MinIO, B2, …). */
  endpoint: string | null;
  forcePathStyle: boolean;
  /** Null: the AWS default credential chain (environment, profile, instance or task role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | null;
  /** '' or a prefix ending in '/', put before every key. */
  prefix: string;
  /** The app's clock in epoch ms: presigned URLs are dated by it (tests pass a fake one). */
  now?: () => number;
  log?: Logger;
  /** Bytes per multipart part (default UPLOAD_PART_BYTES; S3 refuses less than 5 MiB). */
  partSize?: number;
}

/**
 * The bookkeeping of one resumable upload, kept as the object `<prefix>uploads/<id>.info` so that every
 * instance sees the same state. Parts are exactly `partSize` bytes; the bytes after the last whole
 * part wait in `<id>.tail` until the next chunk completes a part (or the upload ends).
 */
interface UploadInfo {
  size: number;
  metadata: Record<string, string | null> | null;
  creationDate: string;
  /** The S3 multipart upload; null for an empty upload (stored at once as an empty object). */
  multipartUploadId: string | null;
  parts: Array<{ number: number; etag: string; size: number }>;
  /**
   * How many bytes of `<id>.tail` belong to the upload. Only the first `tailSize` bytes are read, so
   * a tail written just before a crash, before this number was saved, is harmless: until a part is
   * flushed every new tail starts with the previous one.
   */
  tailSize: number;
  /** The multipart upload has been completed: the object `<prefix>uploads/<id>` holds every byte. */
  complete: boolean;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  return String((error as { name?: unknown } | null)?.name ?? '');
}

function isNotFound(error: unknown): boolean {
  const name = nameOf(error);
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404;
}

function partsBytes(info: UploadInfo): number {
  return info.parts.reduce((sum, part) => sum + part.size, 0);
}

function offsetOf(info: UploadInfo): number {
  return info.complete ? info.size : partsBytes(info) + info.tailSize;
}

/** The S3 side of a store: the client, the bucket and how relative paths become keys. */
interface Bucket {
  client: S3Client;
  name: string;
  key(relativePath: string): string;
  uploadKey(uploadId: string, suffix?: '.info' | '.tail'): string;
  readInfo(uploadId: string): Promise<UploadInfo | undefined>;
  saveInfo(uploadId: string, info: UploadInfo): Promise<void>;
  bytes(key: string, start: number, length: number): Promise<Buffer>;
  deleteKeys(keys: string[]): Promise<void>;
  removeUpload(uploadId: string): Promise<void>;
}

/**
 * The tus data store on S3: each PATCH appends to one multipart upload, whichever instance takes it,
 * because the upload's whole state is in the bucket. It needs only the calls every S3-compatible
 * service implements (no ListParts, no UploadPartCopy), and it honours S3_PREFIX.
 */
class S3UploadStore extends DataStore {
  constructor(
    private readonly bucket: Bucket,
    private readonly partSize: number,
  ) {
    super();
    // No deferred length: the recorder always declares the size, and the parts need it to end.
    this.extensions = ['creation', 'creation-with-upload', 'termination'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const id = singleSegment(upload.id);
    if (upload.size === undefined) throw ERRORS.INVALID_LENGTH;
    const key = this.bucket.uploadKey(id);
    upload.creation_date = new Date().toISOString();
    let multipartUploadId: string | null = null;
    if (upload.size === 0) {
      // S3 completes no multipart upload without a part: an empty upload is an empty object at once.
      await this.bucket.client.send(
        new S3.PutObjectCommand({ Bucket: this.bucket.name, Key: key, Body: Buffer.alloc(0) }),
      );
    } else {
      const created = await this.bucket.client.send(
        new S3.CreateMultipartUploadCommand({ Bucket: this.bucket.name, Key: key }),
      );
      if (!created.UploadId) throw new Error('S3 CreateMultipartUpload returned no UploadId');
      multipartUploadId = created.UploadId;
    }
    await this.bucket.saveInfo(id, {
      size: upload.size,
      metadata: upload.metadata ?? null,
      creationDate: upload.creation_date,
      multipartUploadId,
      parts: [],
      tailSize: 0,
      complete: upload.size === 0,
    });
    upload.storage = { type: 's3', path: key, bucket: this.bucket.name };
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    const info = await this.bucket.readInfo(singleSegment(id));
    if (!info) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      size: info.size,
      offset: offsetOf(info),
      ...(info.metadata ? { metadata: info.metadata } : {}),
      creation_date: info.creationDate,
      storage: { type: 's3', path: this.bucket.uploadKey(id), bucket: this.bucket.name },
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    const info = await this.bucket.readInfo(singleSegment(id));
    if (!info) throw ERRORS.FILE_NOT_FOUND;
    if (info.complete || offset !== offsetOf(info)) throw ERRORS.INVALID_OFFSET;
    const { client, name } = this.bucket;
    const key = this.bucket.uploadKey(id);
    const tailKey = this.bucket.uploadKey(id, '.tail');

    const chunks: Buffer[] = [];
    let buffered = 0;
    if (info.tailSize > 0) {
      const tail = await this.bucket.bytes(tailKey, 0, info.tailSize);
      if (tail.length !== info.tailSize) throw new Error(`upload ${id}: its tail is shorter than recorded`);
      chunks.push(tail);
      buffered = tail.length;
    }
    const flush = async (part: Buffer) => {
      const number = info.parts.length + 1;
      const sent = await client.send(
        new S3.UploadPartCommand({
          Bucket: name,
          Key: key,
          UploadId: info.multipartUploadId!,
          PartNumber: number,
          Body: part,
        }),
      );
      if (!sent.ETag) throw new Error('S3 UploadPart returned no ETag');
      info.parts.push({ number, etag: sent.ETag, size: part.length });
      info.tailSize = 0;
      // Saved after each part: a crash loses at most the part being sent, which is sent again.
      await this.bucket.saveInfo(id, info);
    };

    let received = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      received += chunk.length;
      chunks.push(chunk);
      buffered += chunk.length;
      if (partsBytes(info) + buffered > info.size) throw ERRORS.ERR_SIZE_EXCEEDED;
      while (buffered >= this.partSize) {
        const all = Buffer.concat(chunks);
        await flush(all.subarray(0, this.partSize));
        chunks.length = 0;
        const rest = all.subarray(this.partSize);
        if (rest.length > 0) chunks.push(rest);
        buffered = rest.length;
      }
    }

    if (partsBytes(info) + buffered === info.size) {
      // The last part may be smaller than the others.
      if (buffered > 0 || info.parts.length === 0) await flush(Buffer.concat(chunks));
      await this.complete(id, info);
      info.complete = true;
      info.tailSize = 0;
      await this.bucket.saveInfo(id, info);
      await this.bucket.deleteKeys([tailKey]);
    } else if (received > 0 && buffered > 0) {
      // Less than a part since the last one: kept in the bucket (not in this process), so the next
      // chunk can arrive at any instance. Written before its size is recorded (see UploadInfo).
      await client.send(new S3.PutObjectCommand({ Bucket: name, Key: tailKey, Body: Buffer.concat(chunks) }));
      info.tailSize = buffered;
      await this.bucket.saveInfo(id, info);
    }
    return offsetOf(info);
  }

  private async complete(id: string, info: UploadInfo): Promise<void> {
    const key = this.bucket.uploadKey(id);
    try {
      await this.bucket.client.send(
        new S3.CompleteMultipartUploadCommand({
          Bucket: this.bucket.name,
          Key: key,
          UploadId: info.multipartUploadId!,
          MultipartUpload: { Parts: info.parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
        }),
      );
    } catch (error) {
      // Completed already, by an attempt that crashed before saving it: the object is there, whole.
      if (nameOf(error) !== 'NoSuchUpload') throw error;
      const head = await this.bucket.client.send(
        new S3.HeadObjectCommand({ Bucket: this.bucket.name, Key: key }),
      );
      if (head.ContentLength !== info.size) throw error;
    }
  }

  override async remove(id: string): Promise<void> {
    if (!(await this.bucket.readInfo(singleSegment(id)))) throw ERRORS.FILE_NOT_FOUND;
    await this.bucket.removeUpload(id);
  }

  override async declareUploadLength(): Promise<void> {
    throw ERRORS.UNSUPPORTED_CREATION_DEFER_LENGTH_EXTENSION;
  }
}

/** Names the setting to fix for an error S3 (or the way to it) answered a bucket check with. */
function explainCheckFailure(error: unknown, options: S3FileStoreOptions): string {
  const where = options.endpoint ? `at ${options.endpoint} (S3_ENDPOINT)` : `in AWS region ${options.region}`;
  const status = statusOf(error);
  const name = nameOf(error);
  const bucket = `S3_BUCKET "${options.bucket}" is not usable`;
  if (name === 'CredentialsProviderError')
    return `${bucket}: no S3 credentials found; set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or configure the AWS default credential chain`;
  if (status === 404 || name === 'NoSuchBucket' || name === 'NotFound')
    return `${bucket}: there is no such bucket ${where}`;
  if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'Forbidden') {
    const credentials = options.credentials
      ? 'S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY'
      : 'the credentials of the AWS default chain';
    return `${bucket}: access denied ${where} (HTTP 403); check ${credentials} and the bucket policy (s3:ListBucket is needed)`;
  }
  if (status === 301 || name === 'PermanentRedirect')
    return `${bucket}: the bucket is in another region than S3_REGION "${options.region}"`;
  if (status === undefined) {
    const cause = error instanceof Error ? `${name}: ${error.message}` : String(error);
    return options.endpoint
      ? `${bucket}: S3_ENDPOINT ${options.endpoint} is not reachable (${cause})`
      : `${bucket}: S3 in region ${options.region} is not reachable (${cause})`;
  }
  return `${bucket}: S3 answered HTTP ${status} ${name} ${where}`;
}

/**
 * The origin of the bucket's presigned URLs, asked of the client's own endpoint resolution (the rules
 * that pick `https://<bucket>.s3.<region>.amazonaws.com`, path style for dotted names, a custom
 * endpoint …), so it is exactly the origin getSignedUrl produces.
 */
function downloadOriginOf(client: S3Client, options: S3FileStoreOptions): string | null {
  try {
    const resolved = client.config.endpointProvider({
      Bucket: options.bucket,
      Region: options.region,
      UseFIPS: false,
      UseDualStack: false,
      Accelerate: false,
      ForcePathStyle: options.forcePathStyle,
      UseGlobalEndpoint: false,
      ...(options.endpoint ? { Endpoint: options.endpoint } : {}),
      Key: `${options.prefix}x`,
    });
    return resolved.url.origin;
  } catch (error) {
    options.log?.warn({ err: error }, 'could not work out the S3 download origin');
    return null;
  }
}

/** The store on an S3-compatible bucket (STORAGE=s3). */
export function s3FileStore(options: S3FileStoreOptions): FileStore {
  loadSdk();
  const client = new S3.S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Checksums only where S3 requires them: R2, B2 and older MinIO reject or mangle the optional
    // ones, and a presigned GET must not ask for checksum mode.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // An unreachable endpoint fails fast; a request stalled for a minute is given up (and retried).
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  });
  const prefix = options.prefix;
  const now = options.now ?? Date.now;
  const partSize = options.partSize ?? UPLOAD_PART_BYTES;
  const Bucket = options.bucket;

  const key = (relativePath: string) => `${prefix}${checkedSegments(relativePath).join('/')}`;
  const uploadKey = (uploadId: string, suffix = '') => `${prefix}uploads/${singleSegment(uploadId)}${suffix}`;

  async function get(objectKey: string, range?: string): Promise<Buffer | undefined> {
    try {
      const res = await client.send(
        new S3.GetObjectCommand({ Bucket, Key: objectKey, ...(range ? { Range: range } : {}) }),
      );
      return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function head(objectKey: string): Promise<{ size: number; modifiedAt: number } | undefined> {
    try {
      const res = await client.send(new S3.HeadObjectCommand({ Bucket, Key: objectKey }));
      return { size: res.ContentLength ?? 0, modifiedAt: res.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every key below `keyPrefix` (with `delimiter`: only the level right below it). */
  async function listKeys(keyPrefix: string, delimiter?: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new S3.ListObjectsV2Command({
          Bucket,
          Prefix: keyPrefix,
          ...(delimiter ? { Delimiter: delimiter } : {}),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async function deleteKeys(keys: string[]): Promise<void> {
    // DeleteObjects takes at most 1000 keys; a key that does not exist counts as deleted.
    for (let i = 0; i < keys.length; i += 1000) {
      const res = await client.send(
        new S3.DeleteObjectsCommand({
          Bucket,
          Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = res.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `S3 DeleteObjects failed for ${failed.length} key(s), first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`,
        );
      }
    }
  }

  const bucket: Bucket = {
    client,
    name: Bucket,
    key,
    uploadKey,
    async readInfo(uploadId) {
      const bytes = await get(uploadKey(uploadId, '.info'));
      return bytes ? (JSON.parse(bytes.toString('utf8')) as UploadInfo) : undefined;
    },
    async saveInfo(uploadId, info) {
      await client.send(
        new S3.PutObjectCommand({
          Bucket,
          Key: uploadKey(uploadId, '.info'),
          Body: JSON.stringify(info),
          ContentType: 'application/json',
        }),
      );
    },
    async bytes(objectKey, start, length) {
      const bytes = await get(objectKey, `bytes=${start}-${start + length - 1}`);
      if (!bytes) throw new Error(`S3 object ${objectKey} is missing`);
      return bytes;
    },
    deleteKeys,
    async removeUpload(uploadId) {
      const info = await bucket.readInfo(uploadId);
      if (info?.multipartUploadId && !info.complete) {
        try {
          await client.send(
            new S3.AbortMultipartUploadCommand({
              Bucket,
              Key: uploadKey(uploadId),
              UploadId: info.multipartUploadId,
            }),
          );
        } catch (error) {
          // Gone already is fine. Anything else leaves its parts to the bucket's lifecycle rule
          // (docs/operations.md: abort incomplete multipart uploads after a day); not worth failing for.
          if (nameOf(error) !== 'NoSuchUpload')
            options.log?.warn({ err: error, uploadId }, 'could not abort the multipart upload');
        }
      }
      await deleteKeys([uploadKey(uploadId), uploadKey(uploadId, '.info'), uploadKey(uploadId, '.tail')]);
    },
  };

  let tusStore: S3UploadStore | undefined;

  return {
    kind: 's3',
    downloadOrigin: downloadOriginOf(client, options),
    async write(relativePath, data, opts): Promise<StoredFile> {
      // A PUT is atomic (readers see the old object or the new one) and durable once answered.
      await client.send(
        new S3.PutObjectCommand({
          Bucket,
          Key: key(relativePath),
          Body: data,
          ContentType: opts.contentType,
        }),
      );
      return {
        storagePath: relativePath,
        size: typeof data === 'string' ? Buffer.byteLength(data) : data.length,
      };
    },
    async moveIn(relativePath, localFile, opts) {
      const { size } = await stat(localFile);
      await client.send(
        new S3.PutObjectCommand({
          Bucket,
          Key: key(relativePath),
          Body: createReadStream(localFile),
          ContentLength: size,
          ContentType: opts.contentType,
        }),
      );
      await rm(localFile, { force: true });
      return { storagePath: relativePath, size };
    },
    read: (relativePath) => get(key(relativePath)),
    size: async (relativePath) => (await head(key(relativePath)))?.size,
    async removeRecording(recordingId) {
      // Only a single plain segment: a bad id must never widen the delete to the whole prefix.
      const folder = `${prefix}${singleSegment(recordingId)}/`;
      await deleteKeys(await listKeys(folder));
    },
    async list(folder) {
      const keys = await listKeys(`${prefix}${singleSegment(folder)}/`, '/');
      return keys.map((k) => k.slice(prefix.length));
    },
    async downloadUrl(relativePath, opts) {
      const nowMs = now();
      const expiresIn = Math.min(
        MAX_PRESIGN_SECONDS,
        Math.max(1, opts.expiresAtSec - Math.floor(nowMs / 1000)),
      );
      return presigner.getSignedUrl(
        client,
        new S3.GetObjectCommand({
          Bucket,
          Key: key(relativePath),
          ResponseContentType: opts.contentType,
          ResponseContentDisposition: contentDispositionFor(relativePath, opts.contentType),
          // The URL stops working at expiry, so no cache should keep the answer longer.
          ResponseCacheControl: `private, max-age=${expiresIn}`,
        }),
        { expiresIn, signingDate: new Date(nowMs) },
      );
    },
    async check() {
      try {
        await client.send(new S3.HeadBucketCommand({ Bucket }), {
          abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
        });
      } catch (error) {
        throw new Error(explainCheckFailure(error, options), { cause: error });
      }
    },
    uploadStore() {
      tusStore ??= new S3UploadStore(bucket, partSize);
      return tusStore;
    },
    async uploadHead(uploadId, bytes = 16) {
      const info = await bucket.readInfo(uploadId);
      if (!info?.complete) return undefined;
      const length = Math.min(bytes, info.size);
      return {
        head: length > 0 ? await bucket.bytes(uploadKey(uploadId), 0, length) : Buffer.alloc(0),
        size: info.size,
      };
    },
    async adoptUpload(uploadId, relativePath, opts) {
      const info = await bucket.readInfo(uploadId);
      if (!info?.complete) throw new Error(`upload ${uploadId} is not finished`);
      // A server-side copy (no bytes through this process; one request up to 5 GB, far above the
      // video limit) gives the object its final name and type; then the upload's objects go.
      const source = uploadKey(uploadId);
      await client.send(
        new S3.CopyObjectCommand({
          Bucket,
          Key: key(relativePath),
          CopySource: `${Bucket}/${source.split('/').map(encodeURIComponent).join('/')}`,
          ContentType: opts.contentType,
          MetadataDirective: 'REPLACE',
        }),
      );
      await bucket.removeUpload(uploadId);
      return { storagePath: relativePath, size: info.size };
    },
    removeUpload: (uploadId) => bucket.removeUpload(uploadId),
    async uploadLastActivity(uploadId) {
      // The info object is rewritten with every part and every tail, so its date follows the bytes.
      return (await head(uploadKey(uploadId, '.info')))?.modifiedAt;
    },
  };
}
