import type { Command } from './index.ts';

/** `domain add` (filled in with the domains service). */
export const domainCommands: Command[] = [];
