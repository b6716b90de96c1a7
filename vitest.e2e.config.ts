import { defineConfig } from 'vitest/config';

// The Chromium journeys (issue 5, "Must show"): each file starts the real server on a loopback port
// and drives /usr/bin/chromium through playwright-core. Run once, on SQLite:
//   npx vitest run -c vitest.e2e.config.ts
// Files run one after another (one browser at a time keeps timings steady on small machines).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
