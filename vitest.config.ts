import os from 'node:os';
import { defineConfig } from 'vitest/config';

// Three projects, run one after the other (sequence.groupOrder): the project's own tests (test/), then the
// conformance suites (suites/) against the target `hubcheck run` provides or an embedded reference hub, then the
// suites that must run alone.

/**
 * Conformance suites that hold something account- or hub-wide for a while: the product quota, the API's request rate,
 * the hub clock (qos-clock moves it by days, which would expire the other suites' sessions). They run after all the
 * others, one file at a time.
 */
const EXCLUSIVE_SUITES = ['suites/cloud-api-quota.test.ts', 'suites/cloud-api-rates.test.ts', 'suites/qos-clock.test.ts', 'suites/coap-clock.test.ts'];

export default defineConfig({
  test: {
    // The conformance suites' files at once (`hubcheck run --parallel` sets it there; src/runner/run.ts says why 4).
    maxWorkers: 4,
    projects: [
      {
        // Many of the project's own tests use the CPU in earnest (load engines, selftest, SDK runs): one worker per
        // core but one, vitest's own default; but two at least, since the longest of them (the selftest, minutes of
        // suites run once per fault) mostly waits on its children, and one at a time would put all of it in series.
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          maxWorkers: Math.max(2, os.availableParallelism() - 1),
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'conformance',
          include: ['suites/**/*.test.ts'],
          exclude: EXCLUSIVE_SUITES,
          globalSetup: ['suites/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Suites that hold an account- or hub-wide resource for a moment: they run after all the others, one at a
        // time, so no other suite's provisioning is refused and no other suite's session expires because of them.
        test: {
          name: 'conformance-exclusive',
          include: EXCLUSIVE_SUITES,
          globalSetup: ['suites/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 30_000,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
