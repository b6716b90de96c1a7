import { createKeyManager } from '../services/signing-keys.ts';
import { type Command, withDeps } from './support.ts';

/** `keys rotate`: an operator replaces the access-token signing key (S21). */
export const keyCommands: Command[] = [
  {
    name: 'keys rotate',
    usage: 'keys rotate [--immediate]     new signing key (signs in 10 min; --immediate: now)',
    flags: { immediate: { type: 'boolean' } },
    run: (ctx) =>
      withDeps(ctx, async (deps) => {
        // A manager of its own: every decision lives in the database, which the servers reread
        // within 30 s, so running processes pick the new key up without a restart.
        const keys = createKeyManager(deps);
        const { kid } = await keys.rotate('cli', { immediate: ctx.flags.immediate === true });
        ctx.out(kid);
      }),
  },
];
