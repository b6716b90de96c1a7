import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config/index.ts';
import { ApiError } from '../domain/errors.ts';
import { createLogger } from '../lib/logger.ts';
import { commands } from './commands.ts';
import { type CliContext, CliError } from './support.ts';

export { type CliContext, CliError, type Command } from './support.ts';

function help(): string {
  return [
    'Usage: userplane <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.usage}`),
    '',
  ].join('\n');
}

/** Parses argv, runs one command, returns the exit code. Errors go to stderr. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(help());
    return argv.length === 0 ? 1 : 0;
  }
  const command =
    commands.find((c) => c.name === `${argv[0]} ${argv[1]}`) ??
    commands.find((c) => c.name === argv[0] && !c.name.includes(' '));
  if (!command) {
    process.stderr.write(`userplane: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${help()}`);
    return 2;
  }
  const rest = argv.slice(command.name.split(' ').length);
  let flags: CliContext['flags'];
  try {
    const parsed = parseArgs({
      args: rest,
      options: Object.fromEntries(Object.entries(command.flags).map(([k, v]) => [k, { type: v.type }])),
      strict: true,
      allowPositionals: false,
    });
    flags = parsed.values as CliContext['flags'];
    for (const [name, spec] of Object.entries(command.flags)) {
      if (spec.required && (flags[name] === undefined || flags[name] === ''))
        throw new CliError(`--${name} is required`);
    }
  } catch (error) {
    process.stderr.write(
      `userplane ${command.name}: ${(error as Error).message}\nUsage: userplane ${command.usage}\n`,
    );
    return 2;
  }
  let config: Readonly<Config>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`userplane: configuration error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  for (const warning of config.warnings) log.warn(warning);
  try {
    await command.run({ config, log, flags, out: (line) => process.stdout.write(`${line}\n`) });
    return 0;
  } catch (error) {
    if (error instanceof CliError || error instanceof ApiError || error instanceof ConfigError) {
      process.stderr.write(`userplane ${command.name}: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`userplane ${command.name}: ${message}\n`);
    log.debug({ err: error }, 'command failed');
    return 1;
  }
}
