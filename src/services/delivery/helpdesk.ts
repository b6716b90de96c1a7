import type { Channel } from './channels.ts';

/** Internal notes in Intercom conversations and Zendesk tickets. (stub) */
export const helpdeskChannels: Channel[] = [];
