// A retention run in a process of its own, for the crash test (retention-crash.test.ts): the same
// settings as the server (the environment), and a hook that stops the run in the middle of a purge
// batch — after the files of the Nth recording were removed, before the batch is committed — prints
// `PAUSED <recordingId>` and waits to be killed. Run with `node --import tsx`.
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { runRetention } from '../../src/services/retention.ts';
import { openStore } from '../../src/store/db.ts';

const pauseAfter = Number(process.env.RETENTION_CHILD_PAUSE_AFTER ?? '1');
const leaseMs = Number(process.env.RETENTION_CHILD_LEASE_MS ?? '3000');

const config = loadConfig(process.env);
const store = openStore(config.database);
const { deps } = buildApp({ config, store, log: silentLogger() });
let removed = 0;
const report = await runRetention(deps, {
  leaseMs,
  hooks: {
    async afterFilesRemoved(recordingId) {
      removed += 1;
      if (removed !== pauseAfter) return;
      process.stdout.write(`PAUSED ${recordingId}\n`);
      // Keep the process alive until the test kills it.
      setInterval(() => {}, 1000);
      await new Promise(() => {});
    },
  },
});
process.stdout.write(`DONE ${JSON.stringify(report)}\n`);
await store.close();
