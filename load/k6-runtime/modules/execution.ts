/** The `k6/execution` module: the VU, scenario and test as k6 describes them to the script. */
import { vu } from '../vu/state.js';

class TestAbort extends Error { readonly abort = true; }

const execution = {
  vu: {
    get idInTest() { return vu.id; },
    get idInInstance() { return vu.idInInstance; },
    get iterationInInstance() { return vu.iter; },
    get iterationInScenario() { return vu.iterationInScenario; },
    get tags() { return { ...vu.scenario.tags, scenario: vu.scenario.name }; },
  },
  scenario: {
    get name() { return vu.scenario.name; },
    get executor() { return vu.scenario.executor; },
    get startTime() { return vu.scenario.startedAt; },
    get iterationInInstance() { return vu.iterationInScenario; },
    get iterationInTest() { return vu.iterationInScenario; },
  },
  instance: {
    get vusInitialized() { return 1; },
    get vusActive() { return 1; },
  },
  test: {
    /** Ends the whole test; the runner reports it as k6 does (exit code 108). */
    abort(reason?: string): never { throw new TestAbort(reason ?? 'test aborted'); },
  },
};

export default execution;
