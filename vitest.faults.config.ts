import { defineConfig } from 'vitest/config';

// The fault suite (`npm run test:faults`): real agents under seeded faults (kill -9, outages, a full
// disk, a Kafka broker restart). Not part of `npm test`; see docs/TESTING.md ("Fault suite") for
// running it longer and replaying a seed.
// One seed for the whole run, shared by every test file (forks inherit the environment); each file
// prints it (test/faults/load.ts) so that a failure can be replayed with VIVA_FAULT_SEED.
process.env.VIVA_FAULT_SEED ??= String(Math.floor(Math.random() * 2 ** 31));

export default defineConfig({
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The scenarios load the machine and time their faults: one file at a time.
    fileParallelism: false,
  },
});
