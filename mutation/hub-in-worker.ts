// Mutation runs: starts the embedded reference hub inside the test worker, before each suite file, so
// the mutant Stryker activates in the worker (and its per-test coverage) reaches the hub's code.
// The normal runs start the hub once in vitest's main process instead (suites/support/global-setup.ts).
import { afterAll } from 'vitest';
import { launch } from '../src/target/launch.js';
import { useWorkerTarget } from '../suites/support/harness.js';

const launched = await launch({ launcher: 'embedded' });
useWorkerTarget(launched.target);
afterAll(() => launched.stop());
