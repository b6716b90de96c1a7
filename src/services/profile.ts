import { ApiError } from '../domain/errors.ts';
import type { User } from '../domain/types.ts';
import { userStats } from '../store/stats.ts';
import { findUserById } from '../store/users.ts';
import type { Deps } from './deps.ts';

/** The caller alone (MCP's get_profile); 401 when the user is gone. */
export async function getUser(deps: Deps, userId: string): Promise<User> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw new ApiError(401, 'API_KEY_INVALID', 'The credentials belong to no user');
  return user;
}

/** The caller and counts of what they can reach (GET /public/me). */
export async function getProfile(
  deps: Deps,
  userId: string,
): Promise<{ user: User; stats: { workspaces: number; recordings: number; links: number } }> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw new ApiError(401, 'API_KEY_INVALID', 'The API key belongs to no user');
  return { user, stats: await userStats(deps.db, userId) };
}
