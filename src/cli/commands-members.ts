import { ROLES } from '../domain/permissions.ts';
import { addMemberDirectly } from '../services/members.ts';
import { CliError, type Command, userByEmail, withDeps } from './support.ts';

/** `member add`: an operator puts an existing user into a workspace directly, without an invitation. */
export const memberCommands: Command[] = [
  {
    name: 'member add',
    usage: 'member add --workspace W --email E --role owner|admin|member   (owner transfers ownership)',
    flags: {
      workspace: { type: 'string', required: true },
      email: { type: 'string', required: true },
      role: { type: 'string', required: true },
    },
    async run(ctx) {
      const role = ctx.flags.role as string;
      // Checked before opening the database so a typo costs nothing and says what is allowed.
      if (!(ROLES as readonly string[]).includes(role))
        throw new CliError(`--role must be one of ${ROLES.join(', ')} (got "${role}")`);
      await withDeps(ctx, async (deps) => {
        const user = await userByEmail(deps, ctx.flags.email as string);
        const member = await addMemberDirectly(deps, {
          workspaceId: ctx.flags.workspace as string,
          userId: user.id,
          role,
        });
        ctx.out(member.id);
      });
    },
  },
];
