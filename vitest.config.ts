import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['hearth-source'] },
  ssr: { resolve: { conditions: ['hearth-source'] } },
  test: {
    include: ['libs/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // each integration file starts its own nats-server; two cores, so keep parallelism modest
    maxWorkers: 2,
    reporters: ['default'],
  },
});
