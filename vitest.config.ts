import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
