import { createRoute, z } from '@hono/zod-openapi';
import { singleLine } from '../../domain/text-rules.ts';
import type { ApiKey } from '../../domain/types.ts';
import { iso } from '../../lib/clock.ts';
import {
  API_KEY_EXPIRY_OPTIONS,
  apiKeyStatus,
  createApiKey,
  deleteApiKey,
  listApiKeys,
  maskApiKey,
  rotateApiKey,
} from '../../services/api-keys.ts';
import { errorResponses, jsonBody, ok, type RegisterRoutes } from './common.ts';
import { dataResponse, listResponse } from './route-kit.ts';

const ApiKeySchema = z
  .object({
    keyId: z.string(),
    name: z.string().nullable(),
    maskedKey: z.string().openapi({ example: 'uspl_…Ab3x' }),
    status: z.enum(['active', 'disabled', 'expired']),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('ApiKey');

const NewApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'The full key. Shown only in this response.' }),
}).openapi('NewApiKey');

const CreateApiKeyBody = z
  .strictObject({
    name: singleLine().max(100).optional(),
    expiresIn: z.enum(API_KEY_EXPIRY_OPTIONS).optional().openapi({ description: 'Default: never' }),
  })
  .openapi('CreateApiKey');

const keyIdParam = z.object({
  keyId: singleLine()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'keyId', in: 'path' } }),
});

function keyToWire(key: ApiKey, now: number): z.infer<typeof ApiKeySchema> {
  return {
    keyId: key.id,
    name: key.name,
    maskedKey: maskApiKey(key),
    status: apiKeyStatus(key, now),
    expiresAt: iso(key.expiresAt),
    lastUsedAt: iso(key.lastUsedAt),
    createdAt: iso(key.createdAt),
  };
}

const list = createRoute({
  method: 'get',
  path: '/public/api-keys',
  tags: ['API keys'],
  summary: "The caller's API keys (masked)",
  responses: {
    200: listResponse('Keys', 'apiKeys', ApiKeySchema),
    ...errorResponses(),
  },
});

const create = createRoute({
  method: 'post',
  path: '/public/api-keys',
  tags: ['API keys'],
  summary: 'Create an API key (at most 3 live keys per user)',
  request: { body: jsonBody(CreateApiKeyBody) },
  responses: {
    201: dataResponse('The new key, shown once', NewApiKeySchema),
    ...errorResponses(400, 403),
  },
});

const rotate = createRoute({
  method: 'post',
  path: '/public/api-keys/{keyId}/rotate',
  tags: ['API keys'],
  summary: 'Replace a key: the old one stops working at once',
  request: { params: keyIdParam },
  responses: {
    200: dataResponse('The replacement key, shown once', NewApiKeySchema),
    ...errorResponses(404),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/public/api-keys/{keyId}',
  tags: ['API keys'],
  summary: 'Revoke a key',
  request: { params: keyIdParam },
  responses: {
    200: dataResponse('Revoked', z.object({ keyId: z.string() })),
    ...errorResponses(404),
  },
});

/** The caller's own API keys. */
export const registerApiKeyRoutes: RegisterRoutes = (api, deps) => {
  api.openapi(list, async (c) => {
    const now = deps.clock.now();
    const keys = await listApiKeys(deps, c.get('userId'));
    return ok(c, 'API keys retrieved', { apiKeys: keys.map((k) => keyToWire(k, now)) });
  });
  api.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const { key, secret } = await createApiKey(deps, {
      userId: c.get('userId'),
      name: body.name,
      expiry: body.expiresIn,
    });
    return ok(
      c,
      'API key created; copy it now, it will not be shown again',
      { ...keyToWire(key, deps.clock.now()), key: secret },
      201,
    );
  });
  api.openapi(rotate, async (c) => {
    const { key, secret } = await rotateApiKey(deps, c.get('userId'), c.req.valid('param').keyId);
    return ok(c, 'API key rotated; the old key no longer works', {
      ...keyToWire(key, deps.clock.now()),
      key: secret,
    });
  });
  api.openapi(remove, async (c) => {
    const { keyId } = c.req.valid('param');
    await deleteApiKey(deps, c.get('userId'), keyId);
    return ok(c, 'API key revoked', { keyId });
  });
};
