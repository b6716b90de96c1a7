import { createRoute, z } from '@hono/zod-openapi';
import type { User } from '../../domain/types.ts';
import { iso } from '../../lib/clock.ts';
import { getProfile } from '../../services/profile.ts';
import { errorResponses, ok, type RegisterRoutes } from './common.ts';
import { dataResponse } from './route-kit.ts';

export const UserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    emailVerified: z.boolean(),
    image: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('User');

/** Domain user → wire user. */
export function userToWire(user: User): z.infer<typeof UserSchema> {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    emailVerified: user.emailVerified,
    image: user.image,
    createdAt: iso(user.createdAt),
  };
}

const MeSchema = z.object({
  user: UserSchema,
  stats: z.object({ workspaces: z.number().int(), recordings: z.number().int(), links: z.number().int() }),
});

const getMe = createRoute({
  method: 'get',
  path: '/public/me',
  tags: ['Account'],
  summary: 'The user the API key belongs to, with counts',
  responses: {
    200: dataResponse('The caller', MeSchema),
    ...errorResponses(),
  },
});

/** GET /public/me. */
export const registerMeRoutes: RegisterRoutes = (api, deps) => {
  api.openapi(getMe, async (c) => {
    const { user, stats } = await getProfile(deps, c.get('userId'));
    return ok(c, 'Profile retrieved', { user: userToWire(user), stats });
  });
};
