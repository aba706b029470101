import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`): kills real agents at seeded random moments. Not part of
// `npm test`; see docs/TESTING.md ("Fault suite") for running it longer and replaying a seed.
export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
