/** Shapes of a finished hubcheck run, shared by every report writer (JSON, JUnit, HTML, console). */

/** What a run found out about one test. */
export type Verdict = 'pass' | 'fail' | 'not-applicable' | 'error';

/** Wire evidence attached to a test: decoded MQTT packets, HTTP exchanges, hub log lines, notes. */
export interface Evidence { kind: 'mqtt' | 'http' | 'log' | 'note'; title: string; lines: string[] }

export interface TestResult {
  name: string;            // the test title, e.g. "[AUTH-003] expired signature is refused"
  fullName: string;        // suite > test
  file: string;            // path relative to the repo, e.g. suites/auth.test.ts
  area: string;            // e.g. "auth" (from the first requirement id's prefix, lowercased)
  requirements: string[];  // e.g. ["AUTH-003"]
  verdict: Verdict;
  durationMs: number;
  error?: { message: string; stack?: string };
  reason?: string;         // why not applicable
  evidence: Evidence[];
}

export interface AreaSummary { area: string; tests: number; passed: number; failed: number; notApplicable: number; errors: number }

export interface RunResult {
  runId: string; startedAt: string; finishedAt: string; hubcheckVersion: string;
  target: { name: string; launcher: string; profile: string; endpoints: Record<string, string>; faults?: string[]; capabilities?: string[] };
  summary: { tests: number; passed: number; failed: number; notApplicable: number; errors: number; durationMs: number };
  areas: AreaSummary[];
  tests: TestResult[];
  /** Every catalogue requirement's verdict over the tests that cite it. */
  requirements?: RequirementResult[];
  /** Per area: applicable requirements, how many a test exercised, passed and failed. */
  coverage?: CoverageRow[];
}

/** fail: a MUST (or DEVIATION) test failed; warn: only SHOULD/MAY tests failed; untested: applicable, no test ran. */
export type RequirementVerdict = 'pass' | 'fail' | 'warn' | 'not-applicable' | 'untested';
export interface RequirementResult { id: string; verdict: RequirementVerdict; level: string; area: string; tests: string[] }
export interface CoverageRow { area: string; requirements: number; tested: number; passed: number; failed: number; untestedMust: string[] }
