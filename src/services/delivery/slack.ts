import type { Channel } from './channels.ts';

/** Slack incoming webhook: recording received. (stub) */
export const slackChannel: Channel = {
  channel: 'slack',
  plan: async () => [],
  send: async () => ({ ok: false, retry: false, error: 'Slack is not built yet' }),
};
