/** Self-validation: run the suites against the reference hub with each fault switched on and check that each is caught. */
import type { TestResult } from '../report/model.js';
import { FAULT_EXPECTATIONS } from './faults.js';
import type { ProgressSink } from './reporter.js';
import { runConformance } from './run.js';

export interface FaultVerdict {
  fault: string;
  caught: boolean;
  /** Failed tests that name one of the requirements the fault breaks. */
  catching: TestResult[];
  /** Other tests that failed too (collateral). */
  collateral: TestResult[];
  durationMs: number;
}

export interface SelftestResult { baselineFailures: TestResult[]; faults: FaultVerdict[] }

const bad = (t: TestResult) => t.verdict === 'fail' || t.verdict === 'error';

/** A --only pattern selecting the tests that name any of these requirement ids. */
export function requirementPattern(ids: readonly string[]): string {
  return `\\[[^\\]]*\\b(${ids.join('|')})\\b[^\\]]*\\]`;
}

/**
 * With `baseline` (the default) the fault-free hub must pass the same suites first, so a caught
 * fault means the fault and not a broken suite made the tests fail. Each fault's run selects only
 * the tests of the requirements it breaks, which keeps a full selftest to minutes.
 */
export async function selftest(o: { faults?: string[]; baseline?: boolean; progress?: ProgressSink; log?: (line: string) => void } = {}): Promise<SelftestResult> {
  const names = o.faults?.length ? o.faults : Object.keys(FAULT_EXPECTATIONS);
  for (const n of names) {
    if (!FAULT_EXPECTATIONS[n]) throw new Error(`unknown fault ${JSON.stringify(n)}; known: ${Object.keys(FAULT_EXPECTATIONS).join(', ')}`);
  }
  const suites = [...new Set(names.flatMap((n) => FAULT_EXPECTATIONS[n]!.suites))];
  const ids = [...new Set(names.flatMap((n) => FAULT_EXPECTATIONS[n]!.requirements))];
  let baselineFailures: TestResult[] = [];
  if (o.baseline !== false) {
    o.log?.(`baseline: the tests of ${ids.length} requirements in ${suites.length} suites against the reference hub without faults`);
    const baseline = await runConformance({ files: suites, only: requirementPattern(ids), noReports: true, progress: o.progress, probe: false });
    baselineFailures = baseline.result.tests.filter(bad);
  }
  const faults: FaultVerdict[] = [];
  for (const fault of names) {
    const expectation = FAULT_EXPECTATIONS[fault]!;
    o.log?.(`fault ${fault}: ${expectation.suites.join(', ')}`);
    const started = Date.now();
    const run = await runConformance({ target: { launcher: 'embedded', embedded: { faults: [fault] } }, files: expectation.suites, only: requirementPattern(expectation.requirements), noReports: true, progress: o.progress, probe: false });
    const failed = run.result.tests.filter(bad);
    const catching = failed.filter((t) => t.requirements.some((id) => expectation.requirements.includes(id)));
    faults.push({ fault, caught: catching.length > 0, catching, collateral: failed.filter((t) => !catching.includes(t)), durationMs: Date.now() - started });
  }
  return { baselineFailures, faults };
}
