import type { Channel } from './channels.ts';

/** E-mail: invitations, recording received, invitation accepted, new Connected App. (stub) */
export const emailChannel: Channel = {
  channel: 'email',
  plan: async () => [],
  send: async () => ({ ok: false, retry: false, error: 'e-mail is not built yet' }),
};
