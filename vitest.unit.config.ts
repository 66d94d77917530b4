import { defineConfig } from 'vitest/config';

/** Unit tests only: no global setup, so no server is built or started. */
export default defineConfig({
  test: {
    include: ['test/**/*.unit.test.ts'],
    testTimeout: 20_000,
  },
});
