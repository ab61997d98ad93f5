import { defineConfig } from 'vitest/config';

// Two projects: the project's own tests (test/) and the conformance suites (suites/), which
// run against the target `hubcheck run` provides, or against an embedded reference hub.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
      },
      {
        test: {
          name: 'conformance',
          include: ['suites/**/*.test.ts'],
          globalSetup: ['suites/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
