import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'load-tests/**/*.test.ts'],
    // Real mediasoup workers and Chromium share 2 cores: one file at a time keeps runs honest.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
