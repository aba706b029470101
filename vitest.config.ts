import { configDefaults, defineConfig } from 'vitest/config';

// Two projects: unit tests beside the code, and integration tests under test/ that start real
// processes and real services (their global setup brings the services up, idempotently).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'core/**/*.test.ts',
            'plugins/**/*.test.ts',
            'collector/**/*.test.ts',
            'examples/**/*.test.ts',
            'conf/**/*.test.ts',
            'repo.test.ts',
          ],
          testTimeout: 30_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // The fault suite runs on its own: `npm run test:faults` (vitest.faults.config.ts).
          exclude: [...configDefaults.exclude, 'test/faults/**'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          pool: 'forks',
          globalSetup: ['test/setup/services.ts'],
        },
      },
    ],
  },
});
