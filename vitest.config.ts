import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Two cores: real-process tests measure timings, so keep parallelism modest.
    maxWorkers: 2,
    coverage: {
      include: ['src/**', 'machines/**'],
      thresholds: { lines: 70, functions: 70, branches: 60, statements: 70 },
    },
  },
});
