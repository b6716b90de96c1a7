import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

// A real S3 server for the tests (s3rver: the S3 REST API over a temporary directory) on a free
// loopback port, with one bucket. The app talks to it through @aws-sdk/client-s3 exactly as it talks
// to AWS, R2 or MinIO; only the endpoint and path-style addressing differ.
//
// s3rver knows one account: access key id `S3RVER`, secret `S3RVER` (any other key id is refused
// with 403 InvalidAccessKeyId). It does not verify SigV4 signatures or expiry, so tests of what a
// signature protects stay with the local /files route; everything else (objects, ranges, response
// header overrides, multipart uploads, copies, listings) it answers like S3.

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** The part of s3rver's file-system store that writes object and part files. */
interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: unknown }): Promise<{
    size: number;
    md5: string;
  }>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: number,
    content: Buffer | Readable,
  ): Promise<{ size: number; md5: string }>;
}

/**
 * s3rver (3.7.1) answers a PUT, and an UploadPart, once the bytes have passed its hashing stream,
 * before its file stream has written them: a GET right after may read a short object, and a
 * CompleteMultipartUpload short parts. S3 answers a PUT only once the object is stored, and every
 * read after it sees the whole object, which is what the app relies on (and what makes another
 * instance see an upload's state). So the helper gives s3rver's store writes that finish first:
 * into a temporary file, then renamed over the object (readers see the old object or the new one).
 */
function makeWritesDurable(store: S3rverStore, scratch: string): void {
  const writeWhole = async (target: string, content: Buffer | Readable) => {
    await mkdir(dirname(target), { recursive: true });
    const temp = join(scratch, randomBytes(8).toString('hex'));
    const md5 = createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Buffer.isBuffer(content) ? Readable.from([content]) : content,
        count,
        createWriteStream(temp),
      );
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { size, md5: md5.digest('hex') };
  };
  store.putObject = async (object) => {
    const written = await writeWhole(
      store.getResourcePath(object.bucket, object.key, 'object'),
      object.content,
    );
    await store.putMetadata(object.bucket, object.key, object.metadata, written.md5);
    return written;
  };
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const target = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    const written = await writeWhole(target, content);
    await writeFile(`${target}.md5`, written.md5);
    return written;
  };
}

export interface TestS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** The settings that point a server at this bucket (STORAGE=s3, S3_ENDPOINT, S3_BUCKET, …). */
  env: Record<string, string>;
  /** A client of its own, for assertions through the S3 API. */
  client: S3Client;
  /** Every key in the bucket (below `prefix`), sorted. */
  keys(prefix?: string): Promise<string[]>;
  /** Creates another bucket. */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 (a port the kernel picks) over a temporary directory, with `bucket`. */
export async function startS3Server(
  options: { bucket?: string; prefix?: string } = {},
): Promise<TestS3Server> {
  const base = mkdtempSync(join(tmpdir(), 'userplane-s3-'));
  const directory = join(base, 'buckets');
  const scratch = join(base, 'scratch');
  mkdirSync(directory);
  mkdirSync(scratch);
  const bucket = options.bucket ?? 'userplane-test';
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  makeWritesDurable((server as unknown as { store: S3rverStore }).store, scratch);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
  const createBucket = async (name: string) => {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  };
  try {
    await createBucket(bucket);
  } catch (error) {
    await server.close();
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint,
    bucket,
    env: {
      STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      ...(options.prefix ? { S3_PREFIX: options.prefix } : {}),
    },
    client,
    async keys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    createBucket,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
