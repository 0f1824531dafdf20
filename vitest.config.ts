import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['node_modules/**', 'out/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    environment: 'node',
  },
});
