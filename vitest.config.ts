import { defineConfig } from 'vitest/config';

// One run for every workspace. The server project shares one PostgreSQL (global setup) and
// clones a migrated template per test file; the e2e project drives Chromium against a real server.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'server',
          root: './server',
          sequence: { groupOrder: 0 },
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 3,
          env: { TZ: 'UTC' },
        },
      },
      {
        test: {
          // The smoke subset on the system's PostgreSQL 15: the oldest version we support.
          name: 'server-pg15',
          root: './server',
          sequence: { groupOrder: 2 },
          include: [
            'src/core/db.test.ts',
            'src/core/http.test.ts',
            'src/modules/accounts/accounts.routes.test.ts',
            'src/modules/plans/plans.service.test.ts',
          ],
          globalSetup: ['./test/global-setup.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
          env: { TZ: 'UTC' },
        },
      },
      {
        test: {
          name: 'contracts',
          sequence: { groupOrder: 1 },
          root: './contracts',
          include: ['src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'sdk',
          sequence: { groupOrder: 1 },
          root: './sdk',
          include: ['src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'web',
          sequence: { groupOrder: 1 },
          root: './web',
          include: ['src/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
        },
      },
      {
        test: {
          name: 'e2e',
          root: './e2e',
          include: ['**/*.test.ts'],
          globalSetup: ['./global-setup.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
          env: { TZ: 'UTC' },
        },
      },
    ],
  },
});
