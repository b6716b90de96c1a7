import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { ApiError } from '../../domain/errors.ts';
import { singleLine } from '../../domain/text-rules.ts';
import type { Deps } from '../../services/deps.ts';
import type { ApiEnv } from '../middleware/api-auth.ts';

export type ApiApp = OpenAPIHono<ApiEnv>;

/** Each REST resource module exports one of these; index.ts calls them in order. */
export type RegisterRoutes = (api: ApiApp, deps: Deps) => void;

/** Turns the first zod issue into one 400 that names the field (S38). */
export function zodToApiError(error: ZodError, target: string): ApiError {
  const issue = error.issues[0];
  const path = issue?.path.length ? issue.path.join('.') : target === 'json' ? 'body' : target;
  let message = issue?.message ?? 'is invalid';
  if (issue?.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    return new ApiError(
      400,
      'VALIDATION_FAILED',
      `${keys.join(', ')}: unknown field${keys.length > 1 ? 's' : ''}`,
      keys[0] ?? path,
    );
  }
  if (issue?.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
  return new ApiError(400, 'VALIDATION_FAILED', `${path}: ${message}`, path);
}

/** A fresh OpenAPIHono whose validation failures become VALIDATION_FAILED errors. */
export function createApiApp(): ApiApp {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw zodToApiError(result.error, result.target);
    },
  });
}

/** The success envelope of PRODUCT.md §3. */
export function ok<T, S extends 200 | 201 = 200>(c: Context, message: string, data: T, status?: S) {
  return c.json({ message, data }, (status ?? 200) as S);
}

/** `page` and `per_page` query parameters with a default and a cap (S38). */
export function paginationQuery(defaultPerPage: number, maxPerPage: number) {
  return {
    page: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(1)
      .openapi({ description: 'Page number, from 1', example: 1 }),
    per_page: z.coerce
      .number()
      .int()
      .min(1)
      .max(maxPerPage)
      .default(defaultPerPage)
      .openapi({
        description: `Items per page (default ${defaultPerPage}, max ${maxPerPage})`,
        example: defaultPerPage,
      }),
  };
}

/** Wraps a data schema in the success envelope for the OpenAPI document. */
export function envelope<T extends z.ZodTypeAny>(data: T) {
  return z.object({ message: z.string(), data });
}

export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: 'VALIDATION_FAILED' }),
    message: z.string().openapi({ example: 'per_page: Too big: expected number to be <=20' }),
  })
  .openapi('Error');

/** OpenAPI response entries for the given error statuses. */
export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid input (VALIDATION_FAILED names the field)',
    401: 'Missing, invalid or expired API key',
    403: 'Not a member, or the role does not allow it',
    404: 'Not found',
    409: 'Conflict',
    410: 'Deleted',
    413: 'Body too large',
    429: 'Rate limited (see Retry-After)',
  };
  const out: Record<
    number,
    { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }
  > = {};
  for (const status of [401, 429, ...statuses]) {
    out[status] = {
      description: descriptions[status] ?? 'Error',
      content: { 'application/json': { schema: ErrorSchema } },
    };
  }
  return out;
}

/** OpenAPI error responses with descriptions of their own (naming the codes each status carries). */
export function describedErrors(descriptions: Record<number, string>): ReturnType<typeof errorResponses> {
  const out: ReturnType<typeof errorResponses> = {};
  for (const [status, description] of Object.entries(descriptions)) {
    out[Number(status)] = { description, content: { 'application/json': { schema: ErrorSchema } } };
  }
  return out;
}

/** A JSON request body entry for createRoute, required so a missing or non-JSON body is a 400. */
export function jsonBody<T extends z.ZodTypeAny>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } } as const;
}

/** The workspaceId path parameter. */
export const workspaceIdParam = singleLine()
  .min(1)
  .max(64)
  .openapi({ param: { name: 'workspaceId', in: 'path' }, example: 'ws_01…' });
