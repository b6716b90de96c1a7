import { DEMO_DEFAULT_RECORDINGS, DEMO_MAX_RECORDINGS, runDemo } from '../services/demo.ts';
import { CliError, type Command, withDeps } from './support.ts';

/** Parses --recordings: a whole number from 0 to 100,000 (digits only, so "1e3" or "5x" are refused). */
function recordingsFlag(value: string | boolean | undefined): number {
  if (value === undefined) return DEMO_DEFAULT_RECORDINGS;
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value) || Number(value) > DEMO_MAX_RECORDINGS) {
    throw new CliError(`--recordings must be a whole number from 0 to ${DEMO_MAX_RECORDINGS}`);
  }
  return Number(value);
}

/** `demo`: a workspace with a team, links and recordings to try everything with. */
export const demoCommands: Command[] = [
  {
    name: 'demo',
    usage: `demo [--recordings N]        create a demo workspace with N recordings (default ${DEMO_DEFAULT_RECORDINGS})`,
    flags: { recordings: { type: 'string' } },
    run: (ctx) => {
      const total = recordingsFlag(ctx.flags.recordings);
      return withDeps(ctx, async (deps) => {
        const started = Date.now();
        let lastTenth = 0;
        // Progress goes to stderr so stdout carries only the summary (and can be piped).
        process.stderr.write(`demo: creating a workspace with ${total} recordings…\n`);
        const summary = await runDemo(deps, {
          recordings: total,
          onProgress: (done, all) => {
            // One line each time another tenth is done.
            const tenth = Math.floor((done * 10) / all);
            if (tenth === lastTenth) return;
            lastTenth = tenth;
            process.stderr.write(`demo: ${Math.floor((done * 100) / all)}% (${done}/${all} recordings)\n`);
          },
        });
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        process.stderr.write(`demo: done, ${summary.recordings} recordings in ${seconds}s\n`);
        // First line: the id alone, like every other command's result.
        ctx.out(summary.workspaceId);
        ctx.out(`Workspace: ${summary.workspaceName} (${summary.workspaceId})`);
        ctx.out(
          `Created: ${summary.recordings} recordings, ${summary.links.length} links, ${summary.projects.length} projects, verified domain app.example.com`,
        );
        ctx.out('Sign in with (passwords are shown only now):');
        for (const user of summary.users) {
          ctx.out(`  ${user.role.padEnd(6)}  ${user.email}  ${user.password}`);
        }
        ctx.out(`Create an API key for one of them: userplane key create --email ${summary.users[0]!.email}`);
      });
    },
  },
];
