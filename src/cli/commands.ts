import { startServer } from '../main.ts';
import { API_KEY_EXPIRY_OPTIONS, type ApiKeyExpiry, createApiKey } from '../services/api-keys.ts';
import { createUser } from '../services/users.ts';
import { createWorkspace } from '../services/workspaces.ts';
import { migrateToLatest, openStore } from '../store/db.ts';
import { backupCommands } from './commands-backup.ts';
import { demoCommands } from './commands-demo.ts';
import { domainCommands } from './commands-domains.ts';
import { keyCommands } from './commands-keys.ts';
import { maintenanceCommands } from './commands-maintenance.ts';
import { memberCommands } from './commands-members.ts';
import { type CliContext, CliError, type Command, userByEmail, withDeps } from './support.ts';

const str = (ctx: CliContext, name: string) => ctx.flags[name] as string;

export const commands: Command[] = [
  {
    name: 'serve',
    usage: 'serve [--only mcp]          migrate the database, then serve HTTP (--only mcp: just /mcp)',
    flags: { only: { type: 'string' } },
    async run(ctx) {
      const only = ctx.flags.only as string | undefined;
      if (only !== undefined && only !== 'mcp') throw new CliError('--only accepts one value: mcp');
      const server = await startServer(ctx.config, ctx.log, only ? { only } : {});
      ctx.log.info({ url: server.url, database: ctx.config.database.kind }, 'Userplane is listening');
      ctx.out(
        `Userplane is running at ${server.url} (database: ${ctx.config.database.kind}, data: ${ctx.config.dataDir}${only ? ', serving /mcp only' : ''})`,
      );
      if (server.setupUrl) {
        ctx.out(
          `First run: create the first account and workspace at ${server.setupUrl} (the link works once, for 24 hours)`,
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      ctx.log.info('shutting down');
      await server.stop();
    },
  },
  {
    name: 'migrate',
    usage: 'migrate                    apply pending database migrations',
    flags: {},
    async run(ctx) {
      const store = openStore(ctx.config.database);
      try {
        const applied = await migrateToLatest(store.db);
        ctx.out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await store.close();
      }
    },
  },
  {
    name: 'user create',
    usage: 'user create --email E --password P [--name N]',
    flags: {
      email: { type: 'string', required: true },
      password: { type: 'string', required: true },
      name: { type: 'string' },
    },
    run: (ctx) =>
      withDeps(ctx, async (deps) => {
        const user = await createUser(deps, {
          email: str(ctx, 'email'),
          password: str(ctx, 'password'),
          name: ctx.flags.name as string | undefined,
        });
        ctx.out(user.id);
      }),
  },
  {
    name: 'workspace create',
    usage: 'workspace create --name N --owner E',
    flags: { name: { type: 'string', required: true }, owner: { type: 'string', required: true } },
    run: (ctx) =>
      withDeps(ctx, async (deps) => {
        const owner = await userByEmail(deps, str(ctx, 'owner'));
        const { workspace } = await createWorkspace(deps, { name: str(ctx, 'name'), ownerUserId: owner.id });
        ctx.out(workspace.id);
      }),
  },
  {
    name: 'key create',
    usage: 'key create --email E [--name N] [--expires 7d|30d|60d|90d|never]',
    flags: {
      email: { type: 'string', required: true },
      name: { type: 'string' },
      expires: { type: 'string' },
    },
    run: (ctx) =>
      withDeps(ctx, async (deps) => {
        const expires = (ctx.flags.expires as string | undefined) ?? 'never';
        if (!API_KEY_EXPIRY_OPTIONS.includes(expires as ApiKeyExpiry)) {
          throw new CliError(`--expires must be one of ${API_KEY_EXPIRY_OPTIONS.join(', ')}`);
        }
        const user = await userByEmail(deps, str(ctx, 'email'));
        const { secret } = await createApiKey(deps, {
          userId: user.id,
          name: ctx.flags.name as string | undefined,
          expiry: expires as ApiKeyExpiry,
        });
        ctx.out(secret);
      }),
  },
  ...memberCommands,
  ...domainCommands,
  ...demoCommands,
  ...keyCommands,
  ...maintenanceCommands,
  ...backupCommands,
];
