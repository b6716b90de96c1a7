import type { Command } from './index.ts';

/** `demo` (filled in with the recordings service). */
export const demoCommands: Command[] = [];
