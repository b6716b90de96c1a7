import type { Command } from './index.ts';

/** `member add` (filled in with the members service). */
export const memberCommands: Command[] = [];
