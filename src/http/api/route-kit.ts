import { z } from '@hono/zod-openapi';
import { singleLine } from '../../domain/text-rules.ts';
import { PaginationSchema as WirePagination } from '../../domain/wire.ts';
import { describedErrors, envelope } from './common.ts';

// The pieces the REST resource modules build their OpenAPI routes from: the shared wire schemas of
// domain/wire.ts named for the document, success answers in the envelope, path parameters.

/** The pagination object of PRODUCT.md §3 (domain/wire.ts), named for the OpenAPI document. */
export const PaginationSchema = z.object(WirePagination.shape).openapi('Pagination');

/** The JSON content of a success answer whose `data` has this schema. */
export function dataContent<T extends z.ZodTypeAny>(data: T) {
  return { 'application/json': { schema: envelope(data) } };
}

/** A success response entry (200, 201) whose `data` has this schema. */
export function dataResponse<T extends z.ZodTypeAny>(description: string, data: T) {
  return { description, content: dataContent(data) };
}

/** A success response entry whose `data` is a page: `{ [key]: item[], pagination }`. */
export function pageResponse<K extends string, T extends z.ZodTypeAny>(description: string, key: K, item: T) {
  const shape = { [key]: z.array(item), pagination: PaginationSchema } as {
    [k in K]: z.ZodArray<T>;
  } & { pagination: typeof PaginationSchema };
  return dataResponse(description, z.object(shape));
}

/** A success response entry whose `data` is a list without paging: `{ [key]: item[] }`. */
export function listResponse<K extends string, T extends z.ZodTypeAny>(description: string, key: K, item: T) {
  const shape = { [key]: z.array(item) } as { [k in K]: z.ZodArray<T> };
  return dataResponse(description, z.object(shape));
}

/** An id path parameter (`{linkId}`, `{recordingId}`, …) with its example. */
export function idParam(name: string, example: string) {
  return singleLine()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: 'path' }, example });
}

/** The 403 of the admin-only resources (webhooks, integrations), naming what needs the role. */
export function adminOnly(what: string) {
  return describedErrors({ 403: `NOT_A_MEMBER, or FORBIDDEN: ${what} need the admin or owner role` });
}
