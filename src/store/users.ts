import type { User } from '../domain/types.ts';
import type { Db } from './db.ts';
import { prepared } from './prepared.ts';
import type { UsersTable } from './schema.ts';

function toUser(row: UsersTable): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified === 1,
    image: row.image,
    createdAt: row.created_at,
  };
}

/** Lower-cased, trimmed email: the unique key (emails are case-insensitive for sign-in). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A new user as services describe it; insertUser stores the normalized email beside it. */
export interface NewUser {
  id: string;
  email: string;
  name: string;
  /** Already hashed; null for an account without a password. */
  passwordHash: string | null;
  emailVerified: boolean;
  image: string | null;
  /** Also its first updated_at. */
  createdAt: number;
}

/** Inserts a user; the caller has hashed the password. */
export async function insertUser(db: Db, user: NewUser): Promise<User> {
  const row: UsersTable = {
    id: user.id,
    email: user.email,
    email_normalized: normalizeEmail(user.email),
    name: user.name,
    password_hash: user.passwordHash,
    email_verified: user.emailVerified ? 1 : 0,
    image: user.image,
    created_at: user.createdAt,
    updated_at: user.createdAt,
  };
  await db.insertInto('users').values(row).execute();
  return toUser(row);
}

/** The user with this id, or undefined. */
export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  const [row] = await userById(db, id);
  return row && toUser(row);
}

// Every tool call that needs the caller's profile reads this row (prepared.ts says why compiled once).
const userById = prepared(1, (db, id: string) => db.selectFrom('users').selectAll().where('id', '=', id));

/** The user with this email (any case) and their password hash, or undefined. */
export async function findUserByEmail(
  db: Db,
  email: string,
): Promise<(User & { passwordHash: string | null }) | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('email_normalized', '=', normalizeEmail(email))
    .executeTakeFirst();
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

/** Counts users; the first-run setup needs to know whether any exists. */
export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
