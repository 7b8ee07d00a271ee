import { defineConfig } from 'vitest/config';

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
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', '**/node_modules/**'],
        },
      },
    ],
  },
});
