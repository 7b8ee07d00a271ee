import { defineConfig } from 'vitest/config';

/** Unit tests that run in a fresh module graph each (see the `unit` project). */
const ISOLATED_UNIT = ['test/unit/runtime/leases/**/*.test.ts', 'test/unit/host/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // CI shares two cores with real nats-servers and process trees: a test that loses a timing
    // race there gets one more try. Locally every failure shows at once.
    retry: process.env.CI ? 1 : 0,
    // Two cores: real-process tests measure timings, so keep parallelism modest.
    maxWorkers: 2,
    coverage: {
      include: ['src/**', 'machines/**'],
      thresholds: { lines: 70, functions: 70, branches: 60, statements: 70 },
    },
    projects: [
      {
        // Unit tests share one module graph per worker: importing the sources again for each
        // of ~150 files cost more than the tests themselves (108 s of imports against 136 s of
        // tests). They set no global state that outlives a file (env names are unique per file).
        // Leases and the process host keep their own files apart: they time real heartbeats and
        // process deaths, and failed in a shared worker where they pass alone.
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: [...ISOLATED_UNIT, '**/node_modules/**'],
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: { name: 'unit-isolated', include: ISOLATED_UNIT },
      },
    ],
  },
});
