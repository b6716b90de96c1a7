import { addDomain, ownerAccess } from '../services/domains.ts';
import { type Command, withDeps } from './support.ts';

/** `domain add`: an operator adds a site to a workspace, acting as its owner. */
export const domainCommands: Command[] = [
  {
    name: 'domain add',
    usage: 'domain add --workspace W --url U [--verified]',
    flags: {
      workspace: { type: 'string', required: true },
      url: { type: 'string', required: true },
      verified: { type: 'boolean' },
    },
    run: (ctx) =>
      withDeps(ctx, async (deps) => {
        const access = await ownerAccess(deps, ctx.flags.workspace as string);
        // --verified is trusted here: whoever runs the CLI already controls the server.
        const domain = await addDomain(deps, access, {
          url: ctx.flags.url as string,
          verified: ctx.flags.verified === true,
        });
        ctx.out(domain.id);
      }),
  },
];
