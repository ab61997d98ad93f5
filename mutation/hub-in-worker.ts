// Mutation runs: starts the embedded reference hub inside the test worker, before each suite file, so
// the mutant Stryker activates in the worker (and its per-test coverage) reaches the hub's code.
// The normal runs start the hub once in vitest's main process instead (suites/support/global-setup.ts).
import { afterAll, inject } from 'vitest';
import { launch } from '../src/target/launch.js';
import { useWorkerTarget } from '../suites/support/harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by Stryker's vitest runner: the global its instrumented code counts coverage in. */
    globalNamespace?: string;
  }
  export interface TaskMeta {
    /** Mutants the hub's start-up executed (Stryker's static coverage at that point), for mutation/stryker-plugins.js. */
    hubcheckStartupCoverage?: Record<string, number>;
  }
}

const launched = await launch({ launcher: 'embedded' });
useWorkerTarget(launched.target);

// What ran up to here is the hub's start-up: truly static (a mutant there needs the hub restarted). What
// Stryker also counts as static later (provisioning in beforeAll hooks, work left over between tests) the
// runner gives to this file's tests instead, so such mutants run this file, not every test of the area.
const ns = inject('globalNamespace');
const coverage = ns ? (globalThis as unknown as Record<string, { mutantCoverage?: { static: Record<string, number> } } | undefined>)[ns]?.mutantCoverage : undefined;
const atStartup = coverage && { ...coverage.static };

// vitest wants the first argument of a hook destructured, even when nothing of it is used
afterAll(({}, suite) => {
  if (atStartup) suite.meta.hubcheckStartupCoverage = atStartup;
  return launched.stop();
});
