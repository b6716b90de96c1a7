import { hash, verify } from '@node-rs/argon2';
import { ApiError, validationError } from '../domain/errors.ts';
import type { User } from '../domain/types.ts';
import { newId } from '../lib/ids.ts';
import { hasAuditEventFrom } from '../store/audit.ts';
import { findUserByEmail, insertUser } from '../store/users.ts';
import type { Deps } from './deps.ts';

// argon2id with OWASP's suggested memory cost (19 MiB, 2 passes): memory-hard against GPUs while
// a sign-in still takes tens of milliseconds on a small server.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1, algorithm: 2 } as const;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;

/** Validates sign-up input the same way for the CLI, the setup page and sign-up. */
export function checkNewUser(input: { email: string; password: string; name?: string | undefined }): void {
  if (input.email.length > 254 || !EMAIL.test(input.email.trim()))
    throw validationError('email', 'must be a valid email address');
  if (input.password.length < 8) throw validationError('password', 'must be at least 8 characters');
  if (input.password.length > 256) throw validationError('password', 'must be at most 256 characters');
  if (input.name !== undefined && input.name.length > 100)
    throw validationError('name', 'must be at most 100 characters');
}

/** Creates a user with an argon2id password hash; EMAIL_TAKEN when the email (any case) exists. */
export async function createUser(
  deps: Deps,
  input: { email: string; password: string; name?: string | undefined },
): Promise<User> {
  checkNewUser(input);
  const email = input.email.trim();
  if (await findUserByEmail(deps.db, email))
    throw new ApiError(409, 'EMAIL_TAKEN', 'A user with this email already exists', 'email');
  const now = deps.clock.now();
  const passwordHash = await hash(input.password, ARGON2);
  try {
    return await insertUser(deps.db, {
      id: newId('usr', now),
      email,
      name: input.name?.trim() || email.split('@')[0]!,
      passwordHash,
      emailVerified: false,
      image: null,
      createdAt: now,
    });
  } catch (error) {
    // Two sign-ups racing for one email: the unique index decides, the loser gets the same answer.
    if (await findUserByEmail(deps.db, email))
      throw new ApiError(409, 'EMAIL_TAKEN', 'A user with this email already exists', 'email');
    throw error;
  }
}

// A fixed hash to verify against when the email is unknown, so both paths cost the same (S31).
let dummyHash: Promise<string> | undefined;

/** The user when email and password match, otherwise undefined (never says which part failed). */
export async function authenticate(deps: Deps, email: string, password: string): Promise<User | undefined> {
  const user = await findUserByEmail(deps.db, email);
  if (!user?.passwordHash) {
    dummyHash ??= hash('not-a-real-password', ARGON2);
    await verify(await dummyHash, password).catch(() => false);
    return undefined;
  }
  const ok = await verify(user.passwordHash, password).catch(() => false);
  if (!ok) return undefined;
  const { passwordHash: _omit, ...rest } = user;
  return rest;
}

/** How long a successful sign-in makes its address "known" to the account (S31). */
export const KNOWN_ADDRESS_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Whether the account with this email signed in successfully from `ip` lately. Such an address is
 * exempt from the per-account sign-in limit, so strangers guessing the password cannot lock the
 * owner out of their usual places (S31); the strict per-address limit still applies to it.
 */
export async function signedInBeforeFrom(deps: Deps, email: string, ip: string): Promise<boolean> {
  if (!email) return false;
  const user = await findUserByEmail(deps.db, email);
  if (!user) return false;
  return hasAuditEventFrom(deps.db, {
    userId: user.id,
    type: 'user.signed_in',
    ip,
    since: deps.clock.now() - KNOWN_ADDRESS_MS,
  });
}

/** The user with this email (any case), without the password hash. */
export async function getUserByEmail(deps: Deps, email: string): Promise<User | undefined> {
  const found = await findUserByEmail(deps.db, email);
  if (!found) return undefined;
  const { passwordHash: _omit, ...user } = found;
  return user;
}
