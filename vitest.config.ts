import { defineConfig } from 'vitest/config';

// Two projects: the project's own tests (test/) and the conformance suites (suites/), which
// run against the target `hubcheck run` provides, or against an embedded reference hub.
/** Conformance suites that must not run while other suites provision on the same account. */
const EXCLUSIVE_SUITES = ['suites/cloud-api-quota.test.ts', 'suites/cloud-api-rates.test.ts'];

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
          exclude: EXCLUSIVE_SUITES,
          globalSetup: ['suites/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Suites that hold an account-wide resource for a moment (the product quota): they run after all the
        // others, so no other suite's provisioning is refused because of them.
        test: {
          name: 'conformance-exclusive',
          include: EXCLUSIVE_SUITES,
          globalSetup: ['suites/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
