import { ApiError } from '../domain/errors.ts';
import type { User, Workspace } from '../domain/types.ts';
import { DAY_MS } from '../lib/clock.ts';
import { constantTimeEqual, randomToken, sha256Hex } from '../lib/crypto.ts';
import { consumeSetupToken, findSetupToken, replaceSetupToken } from '../store/setup-tokens.ts';
import { countUsers } from '../store/users.ts';
import type { Deps } from './deps.ts';
import { checkNewUser, createUser } from './users.ts';
import { checkWorkspaceName, createWorkspace } from './workspaces.ts';

// First run (issue 5): while the database has no users, `userplane serve` prints a one-time link
// where the first person creates their account and first workspace. The token is stored only as
// its SHA-256 and expires; each start with an empty database replaces it, so only the newest
// printed link works. Once a user exists the link is dead whatever its state.

/** How long a printed setup link works. */
export const SETUP_TOKEN_TTL_MS = DAY_MS;

/** The path of the setup page for a token. */
export function setupPath(token: string): string {
  return `/setup/${token}`;
}

/**
 * When the database has no users, issues a fresh setup token (replacing any earlier one) and returns
 * the full link to print; otherwise null.
 */
export async function ensureSetupLink(deps: Deps): Promise<string | null> {
  if ((await countUsers(deps.db)) > 0) return null;
  const token = randomToken(32);
  const now = deps.clock.now();
  await replaceSetupToken(deps.db, {
    tokenHash: sha256Hex(token),
    createdAt: now,
    expiresAt: now + SETUP_TOKEN_TTL_MS,
  });
  return `${deps.config.publicUrl}${setupPath(token)}`;
}

/** What the setup page may do with a presented token. */
export type SetupTokenState = 'valid' | 'unknown' | 'expired' | 'done';

/**
 * Checks a presented token: 'done' once any user exists (or the link was used), 'expired' after its
 * expiry, 'unknown' when it is not the current token. Compared in constant time.
 */
export async function checkSetupToken(deps: Deps, token: string): Promise<SetupTokenState> {
  if ((await countUsers(deps.db)) > 0) return 'done';
  if (token.length === 0 || token.length > 128) return 'unknown';
  const stored = await findSetupToken(deps.db);
  if (!stored || !constantTimeEqual(stored.tokenHash, sha256Hex(token))) return 'unknown';
  if (stored.usedAt !== null) return 'done';
  if (stored.expiresAt <= deps.clock.now()) return 'expired';
  return 'valid';
}

function refusal(state: Exclude<SetupTokenState, 'valid'>): ApiError {
  if (state === 'done') return new ApiError(410, 'NOT_FOUND', 'Setup is already complete; sign in instead');
  if (state === 'expired')
    return new ApiError(410, 'NOT_FOUND', 'This setup link has expired; restart the server for a new one');
  return new ApiError(404, 'NOT_FOUND', 'This setup link is not valid');
}

/**
 * Completes setup with a valid token: creates the first user and their first workspace. Input is
 * validated before the token is spent; the token is consumed with one conditional UPDATE, so two
 * racing submissions create one account.
 */
export async function completeSetup(
  deps: Deps,
  token: string,
  input: { name: string; email: string; password: string; workspaceName: string },
): Promise<{ user: User; workspace: Workspace }> {
  const state = await checkSetupToken(deps, token);
  if (state !== 'valid') throw refusal(state);
  const name = input.name.trim();
  checkNewUser({ email: input.email, password: input.password, name });
  const workspaceName = checkWorkspaceName(input.workspaceName);
  if (!(await consumeSetupToken(deps.db, sha256Hex(token), deps.clock.now()))) throw refusal('done');
  const user = await createUser(deps, {
    email: input.email,
    password: input.password,
    name: name || undefined,
  });
  const { workspace } = await createWorkspace(deps, { name: workspaceName, ownerUserId: user.id });
  deps.log.info({ userId: user.id, workspaceId: workspace.id }, 'first-run setup complete');
  return { user, workspace };
}
