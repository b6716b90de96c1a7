import { buildApp } from '../app.ts';
import type { Config } from '../config/index.ts';
import { type Logger, silentLogger } from '../lib/logger.ts';
import type { Deps } from '../services/deps.ts';
import { getUserByEmail } from '../services/users.ts';
import { migrateToLatest, openStore } from '../store/db.ts';

// What every command module shares: the command shape, the error type, and the way to reach the
// services. Kept apart from index.ts and commands.ts so command modules import nothing circular.

export interface CliContext {
  config: Readonly<Config>;
  log: Logger;
  /** Values of --flags. */
  flags: Record<string, string | boolean | undefined>;
  /** Prints a result line to stdout. */
  out(line: string): void;
}

export interface Command {
  /** e.g. "user create" */
  name: string;
  usage: string;
  flags: Record<string, { type: 'string' | 'boolean'; required?: boolean }>;
  run(ctx: CliContext): Promise<void>;
}

/** A failure to report on stderr with a non-zero exit, without a stack trace. */
export class CliError extends Error {}

/** Opens the configured database, migrates it, and runs `fn` with the services' deps. */
export async function withDeps<T>(ctx: CliContext, fn: (deps: Deps) => Promise<T>): Promise<T> {
  const store = openStore(ctx.config.database);
  try {
    await migrateToLatest(store.db);
    const { deps } = buildApp({ config: ctx.config, store, log: silentLogger() });
    return await fn(deps);
  } finally {
    await store.close();
  }
}

/** The user with this email or a CliError naming it. */
export async function userByEmail(deps: Deps, email: string) {
  const user = await getUserByEmail(deps, email);
  if (!user) throw new CliError(`no user with email ${email}`);
  return user;
}
