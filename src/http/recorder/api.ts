import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Server as TusServer } from '@tus/server';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { ApiError } from '../../domain/errors.ts';
import {
  MAX_CONSOLE_LOG_BYTES,
  MAX_THUMBNAIL_BYTES,
  MAX_VIDEO_BYTES,
} from '../../domain/recording-resources.ts';
import { jsonObject, multiLine, singleLine } from '../../domain/text-rules.ts';
import type { Deps } from '../../services/deps.ts';
import { type RateLimiter, retryAfterSeconds } from '../../services/rate-limit.ts';
import {
  acceptVideoUpload,
  attachLog,
  attachMetadata,
  attachThumbnail,
  authorizeUpload,
  finishRecording,
  getRecorderLink,
  startRecording,
} from '../../services/recorder.ts';
import { zodToApiError } from '../api/common.ts';
import { clientIp } from '../middleware/client-ip.ts';
import { renderApiError } from '../middleware/error-handler.ts';
import { apiTextGuard } from '../middleware/text-guard.ts';

// The upload API of the recorder (docs/recorder.md), mounted at /api/v1/recorder: public (a customer
// has no account), bounded by the link (one start per single-use link, rate limits per link and per
// address) and then by the upload token of that one recording.

export const RECORDER_API_PATH = '/api/v1/recorder';
const TUS_PATH = `${RECORDER_API_PATH}/uploads`;

/** Starts allowed per link per hour, and per address per 10 minutes (docs/recorder.md). */
export const STARTS_PER_LINK_PER_HOUR = 100;
export const STARTS_PER_ADDRESS_PER_10_MIN = 30;

const LOG_KINDS = ['console-log', 'network-log', 'action'] as const;

// Captured data is text like any other (domain/text-rules.ts): notes may span lines, meta keys may
// not, and nothing may hold NUL or an unpaired surrogate (S38).
const metaObject = jsonObject(200);
const StartBody = z.strictObject({
  durationMs: z
    .int()
    .min(0)
    .max(24 * 3600 * 1000),
  startedAt: z.int().min(0).optional(),
  notes: multiLine().max(20_000).nullable().optional(),
  systemMeta: metaObject.optional(),
  customMeta: metaObject.optional(),
  video: z.strictObject({ type: singleLine().min(1).max(200), size: z.int().min(0) }),
});
const MetadataBody = z.strictObject({ systemMeta: metaObject.optional(), customMeta: metaObject.optional() });

/** The upload token of `Authorization: Bearer <token>`, or undefined. */
function bearerOf(req: { headers: Headers }): string | undefined {
  const header = req.headers.get('authorization');
  const match = header ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match?.[1];
}

/** The body within `max` bytes: refused from Content-Length when declared larger, counted otherwise. */
async function readBody(c: Context, max: number, field: string): Promise<Buffer> {
  const tooLarge = () =>
    new ApiError(413, 'PAYLOAD_TOO_LARGE', `${field}: must be at most ${max} bytes`, field);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > max) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function readJson<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const bytes = await readBody(c, 64 * 1024, 'body');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ApiError(400, 'VALIDATION_FAILED', 'body: must be a JSON object', 'body');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw zodToApiError(parsed.error, 'json');
  return parsed.data;
}

/** An ApiError as the tus server throws it: status and our JSON error body. */
function tusError(error: unknown): never {
  if (error instanceof ApiError) {
    throw { status_code: error.status, body: JSON.stringify({ error: error.code, message: error.message }) };
  }
  throw error;
}

/**
 * The resumable video upload (tus 1.0): one upload per recording, named by the recording id. Its
 * bytes go where the file store keeps uploads (DATA_DIR/uploads, or the bucket, where any instance
 * can take the next chunk).
 */
function createTusServer(deps: Deps): TusServer {
  const datastore = deps.files.uploadStore();
  return new TusServer({
    path: TUS_PATH,
    datastore,
    maxSize: MAX_VIDEO_BYTES,
    relativeLocation: true,
    respectForwardedHeaders: false,
    allowedHeaders: ['Authorization'],
    // The upload's name is the recording its token is bound to: a second POST for the same
    // recording finds the first (refused below) instead of starting a parallel copy.
    namingFunction: async (req) => {
      try {
        const target = await authorizeUpload(deps, bearerOf(req));
        return target.id;
      } catch (error) {
        return tusError(error);
      }
    },
    onIncomingRequest: async (req, uploadId) => {
      // A creation was checked by namingFunction just before, with the same token.
      if (req.method === 'POST') return;
      try {
        await authorizeUpload(deps, bearerOf(req), uploadId);
      } catch (error) {
        tusError(error);
      }
    },
    onUploadCreate: async (_req, upload) => {
      const exists = await datastore.getUpload(upload.id).then(
        () => true,
        (error: unknown) => {
          // 404 (none) and 410 (its bookkeeping without bytes) are free to create; anything else is
          // a store failure, reported as such.
          const status = (error as { status_code?: number } | null)?.status_code;
          if (status === 404 || status === 410) return false;
          throw error;
        },
      );
      if (exists) {
        tusError(
          new ApiError(
            409,
            'VIDEO_UPLOAD_EXISTS',
            `This recording's upload exists; resume it at ${TUS_PATH}/${upload.id}`,
          ),
        );
      }
      return { metadata: upload.metadata ?? {} };
    },
    onUploadFinish: async (_req, upload) => {
      try {
        await acceptVideoUpload(deps, upload.id);
        return {};
      } catch (error) {
        return tusError(error);
      }
    },
    onResponseError: (_req, error) => {
      if ('status_code' in error) return undefined;
      deps.log.error({ err: error }, 'upload failed');
      return {
        status_code: 500,
        body: JSON.stringify({ error: 'INTERNAL_ERROR', message: 'The upload failed on our side' }),
      };
    },
  });
}

/** The recorder's upload API; mount at RECORDER_API_PATH. */
export function createRecorderApi(deps: Deps, limiter: RateLimiter): Hono {
  const app = new Hono();
  // Made on the first upload: the local file store creates its uploads directory when asked for its
  // tus store, which an app that never takes an upload (a CLI command, most tests) has no reason to do.
  let tusServer: TusServer | undefined;
  const tus = () => {
    tusServer ??= createTusServer(deps);
    return tusServer;
  };
  // tus sets its own CORS headers (any origin, its protocol headers exposed). On a Node server it
  // gets the raw request and response, so the body streams from the socket to the file without
  // going through a web ReadableStream first (measured in `npm run bench`, upload_20mb).
  const tusHandler = async (c: Context) => {
    const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
    // HEAD is answered by Hono through its GET route, re-wrapping the response, so it must stay a
    // web Response (it has no body to stream anyway).
    if (env?.incoming && env.outgoing && c.req.method !== 'HEAD') {
      await tus().handle(env.incoming, env.outgoing);
      // The shared marker (never modified): the response has been written already.
      return RESPONSE_ALREADY_SENT;
    }
    return tus().handleWeb(c.req.raw);
  };
  app.all('/uploads', tusHandler);
  app.all('/uploads/:id', tusHandler);

  // The page (our origin) and the embed script (the customer's) call these; no cookies are used.
  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['GET', 'POST', 'PUT', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type'],
      exposeHeaders: ['Retry-After'],
      maxAge: 600,
    }),
  );

  // Route parameters are looked up (and the link id keys a rate limit): the text rule first.
  const guard = apiTextGuard();

  app.get('/links/:linkId', guard, async (c) => {
    const view = await getRecorderLink(deps, c.req.param('linkId'));
    const { verifiedHosts: _hosts, ...data } = view;
    c.header('Cache-Control', 'no-store');
    return c.json({ message: 'Recording link', data });
  });

  app.post('/links/:linkId/recordings', guard, async (c) => {
    const linkId = c.req.param('linkId');
    const ip = clientIp(c, deps.config.trustProxy);
    for (const [bucket, limit, windowMs] of [
      [`rec:link:${linkId.slice(0, 64)}`, STARTS_PER_LINK_PER_HOUR, 3_600_000],
      [`rec:ip:${ip}`, STARTS_PER_ADDRESS_PER_10_MIN, 600_000],
    ] as const) {
      const decision = await limiter.hit(bucket, limit, windowMs);
      if (!decision.allowed) {
        const seconds = retryAfterSeconds([decision], deps.clock.now()) ?? 1;
        c.header('Retry-After', String(seconds));
        throw new ApiError(429, 'RATE_LIMITED', `Too many recordings started; retry in ${seconds} s`);
      }
    }
    const body = await readJson(c, StartBody);
    const started = await startRecording(deps, linkId, body);
    c.header('Cache-Control', 'no-store');
    return c.json(
      {
        message: 'Recording started; upload the video, then finish',
        data: {
          recordingId: started.recordingId,
          uploadToken: started.uploadToken,
          uploadTokenExpiresAt: new Date(started.uploadTokenExpiresAt).toISOString(),
          videoUploadUrl: TUS_PATH,
          maxVideoBytes: started.maxVideoBytes,
        },
      },
      201,
    );
  });

  app.put('/recordings/:recordingId/thumbnail', guard, async (c) => {
    const recordingId = c.req.param('recordingId');
    const target = await authorizeUpload(deps, bearerOf(c.req.raw), recordingId);
    const bytes = await readBody(c, MAX_THUMBNAIL_BYTES, 'thumbnail');
    const stored = await attachThumbnail(deps, target, bytes);
    return c.json({ message: 'Thumbnail stored', data: stored });
  });

  for (const kind of LOG_KINDS) {
    app.put(`/recordings/:recordingId/${kind}`, guard, async (c) => {
      const recordingId = c.req.param('recordingId');
      // Token and origin first, so a refused sender never gets to stream 50 MB at us.
      const target = await authorizeUpload(deps, bearerOf(c.req.raw), recordingId);
      const text = (await readBody(c, MAX_CONSOLE_LOG_BYTES, kind)).toString('utf8');
      const result = await attachLog(deps, target, kind, text, c.req.header('origin'));
      return c.json({ message: `${kind} stored`, data: result });
    });
  }

  app.put('/recordings/:recordingId/metadata', guard, async (c) => {
    const recordingId = c.req.param('recordingId');
    const target = await authorizeUpload(deps, bearerOf(c.req.raw), recordingId);
    const body = await readJson(c, MetadataBody);
    await attachMetadata(deps, target, body, c.req.header('origin'));
    return c.json({ message: 'Metadata stored', data: { recordingId } });
  });

  app.post('/recordings/:recordingId/finish', guard, async (c) => {
    const result = await finishRecording(deps, bearerOf(c.req.raw), c.req.param('recordingId'));
    return c.json({ message: 'Recording ready', data: result });
  });

  app.notFound((c) =>
    c.json({ error: 'NOT_FOUND', message: `No route for ${c.req.method} ${c.req.path}` }, 404),
  );
  app.onError((error, c) => renderApiError(error, c, deps.log));
  return app;
}

/** Adds the recorder API to the REST API's OpenAPI document (the same API serves integrations). */
export function documentRecorderApi(registry: OpenAPIHono['openAPIRegistry']): void {
  registry.registerComponent('securitySchemes', 'uploadToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      'The uploadToken returned by POST /recorder/links/{linkId}/recordings (bound to one recording, 2 hours)',
  });
  const error = {
    description: 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  const json = (description: string) => ({
    description,
    content: { 'application/json': { schema: { type: 'object' as const } } },
  });
  const recordingId = {
    name: 'recordingId',
    in: 'path' as const,
    required: true,
    schema: { type: 'string' as const },
  };
  const tags = ['Recorder'];
  registry.registerPath({
    method: 'get',
    path: '/recorder/links/{linkId}',
    tags,
    summary:
      'What the recorder shows for a link: its state (open, recorded, gone, domain_unverified), workspace, agent, length limits',
    security: [],
    request: { params: z.object({ linkId: z.string() }) },
    responses: { 200: json('The link state'), 404: error },
  });
  registry.registerPath({
    method: 'post',
    path: '/recorder/links/{linkId}/recordings',
    tags,
    summary:
      'Start a recording for a link; returns an upload token bound to it. A single-use link accepts one.',
    security: [],
    request: {
      params: z.object({ linkId: z.string() }),
      body: { content: { 'application/json': { schema: StartBody } } },
    },
    responses: {
      201: json('Started: recordingId, uploadToken, uploadTokenExpiresAt, videoUploadUrl, maxVideoBytes'),
      400: error,
      403: error,
      404: error,
      409: error,
      410: error,
      413: error,
      415: error,
      429: error,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/recorder/uploads',
    tags,
    summary:
      'tus 1.0 resumable upload of the video (creation, creation-with-upload, termination); then PATCH/HEAD /recorder/uploads/{recordingId}. WebM or MP4 by its first bytes, at most 500 MB.',
    security: [{ uploadToken: [] }],
    parameters: [
      { name: 'Upload-Length', in: 'header', required: true, schema: { type: 'integer' } },
      { name: 'Tus-Resumable', in: 'header', required: true, schema: { type: 'string', example: '1.0.0' } },
    ],
    responses: {
      201: { description: 'Created; Location names the upload' },
      401: error,
      403: error,
      409: error,
      413: error,
      415: error,
    },
  });
  for (const kind of ['thumbnail', ...LOG_KINDS] as const) {
    registry.registerPath({
      method: 'put',
      path: `/recorder/recordings/{recordingId}/${kind}`,
      tags,
      summary:
        kind === 'thumbnail'
          ? 'The thumbnail: PNG, JPEG or WebP by its first bytes, at most 10 MB'
          : `The ${kind} (${kind === 'console-log' ? 'NDJSON' : 'JSON array'}, at most 50 MB). Only from an Origin that is a verified domain of the workspace. Malformed entries are dropped and counted.`,
      security: [{ uploadToken: [] }],
      parameters: [recordingId],
      responses: {
        200: json('Stored'),
        400: error,
        401: error,
        403: error,
        409: error,
        410: error,
        413: error,
        415: error,
      },
    });
  }
  registry.registerPath({
    method: 'put',
    path: '/recorder/recordings/{recordingId}/metadata',
    tags,
    summary: 'systemMeta and customMeta (each at most 10 KB), from a verified domain’s origin',
    security: [{ uploadToken: [] }],
    request: {
      params: z.object({ recordingId: z.string() }),
      body: { content: { 'application/json': { schema: MetadataBody } } },
    },
    responses: { 200: json('Stored'), 400: error, 401: error, 403: error },
  });
  registry.registerPath({
    method: 'post',
    path: '/recorder/recordings/{recordingId}/finish',
    tags,
    summary: 'Mark the recording ready once its video is whole',
    security: [{ uploadToken: [] }],
    parameters: [recordingId],
    responses: { 200: json('Ready'), 401: error, 403: error, 409: error, 410: error },
  });
}
