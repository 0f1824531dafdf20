import { defineConfig } from 'vitest/config';

// Three projects (`npm test` runs all three; `npm run test:unit` only the first):
//   unit         pure code, fixtures and fakes: no real processes, cgroups, SQLite files, sockets,
//                workers or root; the loop to run on every change (under a minute).
//   integration  real processes, /proc, cgroups, SQLite, sockets, worker threads, root, the built helper.
//   e2e          the built app and renderer in Chromium, and the `allot` command end to end.
// A test belongs to `integration` when it is listed below; every other test under test/main,
// test/shared, test/renderer and test/arch is a unit test.
export const INTEGRATION_TESTS = [
  'test/main/agent/server.test.ts',
  // core and store: every test but the pure ones (engine-counters, launch-recorder, profile-views,
  // sample-source, history metrics and tiers, the ring, the export docs), which are unit tests.
  'test/main/core/admin-socket.test.ts',
  'test/main/core/app.test.ts',
  'test/main/core/audit-config.test.ts',
  'test/main/core/engine-log.test.ts',
  'test/main/core/engine-service.test.ts',
  'test/main/core/engine-store.test.ts',
  'test/main/core/gru-lifecycle.test.ts',
  'test/main/core/gru-trainer.test.ts',
  'test/main/core/host.test.ts',
  'test/main/core/instance-lock.test.ts',
  'test/main/core/pipeline.test.ts',
  'test/main/core/prefetch-planner.test.ts',
  'test/main/electron/integration.test.ts',
  'test/main/helper/elevated.test.ts',
  'test/main/helper/helper.linux.test.ts',
  'test/main/monitor/*.linux.test.ts',
  'test/main/monitor/sampler.si.test.ts',
  'test/main/packaging/**/*.test.ts',
  'test/main/platform/actuator.test.ts',
  'test/main/platform/adapter.linux.test.ts',
  'test/main/platform/guard.test.ts',
  'test/main/platform/identity.linux.test.ts',
  'test/main/platform/index.test.ts',
  'test/main/platform/permission.test.ts',
  'test/main/platform/prefetch.test.ts',
  'test/main/store/audit.test.ts',
  'test/main/store/engine-log.test.ts',
  'test/main/store/export.test.ts',
  'test/main/store/history/aggregation.test.ts',
  'test/main/store/history/index.test.ts',
  'test/main/store/history/queries.test.ts',
  'test/main/store/history/retention.test.ts',
  'test/main/store/history/writer.durability.test.ts',
  'test/main/store/history/writer.test.ts',
  'test/main/store/journal.test.ts',
  'test/main/store/settings.test.ts',
  'test/main/store/trace.test.ts',
];
const E2E_TESTS = ['test/e2e/**/*.test.ts'];
const ALL_TESTS = ['test/**/*.test.ts', 'test/**/*.test.tsx'];
const ALWAYS_EXCLUDED = ['node_modules/**', 'out/**'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    environment: 'node',
    projects: [
      { extends: true, test: { name: 'unit', include: ALL_TESTS, exclude: [...ALWAYS_EXCLUDED, ...INTEGRATION_TESTS, ...E2E_TESTS] } },
      { extends: true, test: { name: 'integration', include: INTEGRATION_TESTS, exclude: ALWAYS_EXCLUDED } },
      { extends: true, test: { name: 'e2e', include: E2E_TESTS, exclude: ALWAYS_EXCLUDED } },
    ],
  },
});
