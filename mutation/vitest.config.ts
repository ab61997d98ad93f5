// vitest configuration of mutation runs (mutation/run.ts): the conformance suites of one area, each
// suite file against its own embedded hub started in the test worker (mutation/hub-in-worker.ts).
import { defineConfig } from 'vitest/config';

/** The area's suite files, set by mutation/run.ts (comma-separated, relative to the project root). */
const suites = (process.env.HUBCHECK_MUTATION_SUITES ?? '').split(',').filter(Boolean);

export default defineConfig({
  test: {
    name: 'mutation',
    root: new URL('..', import.meta.url).pathname,
    include: suites.length ? suites : ['suites/**/*.test.ts'],
    setupFiles: ['mutation/hub-in-worker.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
