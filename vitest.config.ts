import { defineConfig } from 'vitest/config';

/** Test groups (SPEC §10): each runnable alone with `vitest run --project <group>`. */
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['agents/*/src/**/*.test.ts', 'backend/src/**/*.test.ts', 'scripts/**/*.test.ts'],
        },
      },
      { extends: true, test: { name: 'contract', include: ['tests/contract/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['tests/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'] } },
      { extends: true, test: { name: 'security', include: ['tests/security/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'performance', include: ['tests/performance/**/*.test.ts', 'bench/**/*.test.ts'] },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['agents/*/src/**/*.ts', 'backend/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/fixtures/**', '**/main.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 80 },
    },
  },
});
