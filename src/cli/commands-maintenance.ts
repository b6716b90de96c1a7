import {
  DELIVERY_LOG_DAYS,
  type RetentionReport,
  retentionLease,
  runRetention,
} from '../services/retention.ts';
import { type Command, withDeps } from './support.ts';

/** One line for operators: what the run removed, or why it did nothing. */
function summary(report: RetentionReport): string {
  const { expired, purged } = report;
  const parts = [
    `files of ${expired.recordings} expired recording(s) removed (${expired.bytes} bytes)`,
    `purged ${purged.recordings} recording(s), ${purged.links} link(s), ${purged.projects} project(s) (${purged.bytes} bytes)`,
    `${report.batches} audit event(s)`,
    `${report.deliveries} finished deliveries older than ${DELIVERY_LOG_DAYS} days`,
  ];
  return `retention: ${parts.join('; ')}${report.interrupted ? '; stopped early: another process took the lease' : ''}`;
}

/** `maintenance`: runs the retention job once, now (every server also runs it every ten minutes). */
export const maintenanceCommands: Command[] = [
  {
    name: 'maintenance',
    usage:
      'maintenance [--json]          run the retention job now (expired files, purge after the grace period)',
    flags: { json: { type: 'boolean' } },
    run: (ctx) =>
      withDeps(ctx, async (deps) => {
        const report = await runRetention(deps);
        if (ctx.flags.json === true) {
          ctx.out(JSON.stringify(report));
          return;
        }
        if (!report.ran) {
          const lease = await retentionLease(deps);
          ctx.out(
            `retention: another process is running the job (${lease?.holder ?? 'unknown'}, lease until ${new Date(lease?.expiresAt ?? 0).toISOString()}); nothing done`,
          );
          return;
        }
        ctx.out(summary(report));
      }),
  },
];
