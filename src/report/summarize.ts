/** Counts verdicts per run and per area, and turns a run into a process exit code. */
import type { AreaSummary, RunResult, TestResult } from './model.js';

type Counts = Omit<AreaSummary, 'area'>;

function emptyCounts(): Counts {
  return { tests: 0, passed: 0, failed: 0, notApplicable: 0, errors: 0 };
}

function add(c: Counts, t: TestResult): void {
  c.tests++;
  if (t.verdict === 'pass') c.passed++;
  else if (t.verdict === 'fail') c.failed++;
  else if (t.verdict === 'not-applicable') c.notApplicable++;
  else c.errors++;
}

export function summarize(
  tests: TestResult[],
  durationMs: number,
): { summary: RunResult['summary']; areas: AreaSummary[] } {
  const total = emptyCounts();
  const byArea = new Map<string, Counts>();
  for (const t of tests) {
    add(total, t);
    let c = byArea.get(t.area);
    if (!c) byArea.set(t.area, (c = emptyCounts()));
    add(c, t);
  }
  // Plain code-unit order, not localeCompare, so reports are identical on every machine.
  const areas = [...byArea]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([area, c]) => ({ area, ...c }));
  return { summary: { ...total, durationMs }, areas };
}

/**
 * 0 only when nothing that matters failed: no test errored, and no requirement failed. With
 * requirement verdicts present, a failure that only touches SHOULD/MAY requirements is a
 * warning; without them, any failed test counts.
 */
export function exitCodeFor(result: RunResult): 0 | 1 {
  if (result.summary.errors > 0 || result.tests.some((t) => t.verdict === 'error')) return 1;
  if (result.requirements) return result.requirements.some((r) => r.verdict === 'fail') ? 1 : 0;
  return result.summary.failed > 0 || result.tests.some((t) => t.verdict === 'fail') ? 1 : 0;
}
