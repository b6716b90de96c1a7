import type { Channel } from './channels.ts';

/** Standard Webhooks to the workspace's endpoints. (stub) */
export const webhookChannel: Channel = {
  channel: 'webhook',
  plan: async () => [],
  send: async () => ({ ok: false, retry: false, error: 'webhooks are not built yet' }),
};
