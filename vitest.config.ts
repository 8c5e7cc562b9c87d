import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules', 'dist', '.wt'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real servers and spawn the built binary; two cores here.
    maxWorkers: 2,
  },
});
