// Requirement verdicts fold with a fixed precedence, and coverage counts what applies.
import { describe, expect, it } from 'vitest';
import type { TestResult, Verdict } from '../../src/report/model.js';
import { exitCodeFor, summarize } from '../../src/report/summarize.js';
import { coverageByArea, foldRequirements } from '../../src/runner/coverage.js';
import { PROFILES, REQUIREMENTS } from '../../specs/requirements/index.js';

const test = (requirements: string[], verdict: Verdict, name = `${requirements.join(',')} ${verdict}`): TestResult => ({
  name, fullName: name, file: 'suites/x.test.ts', area: 'auth', requirements, verdict, durationMs: 1, evidence: [],
});
const caps = [...PROFILES['tencent-hub'].capabilities];
const verdictOf = (tests: TestResult[], id: string, capabilities: string[] = caps) => foldRequirements(tests, capabilities).find((r) => r.id === id)!.verdict;

describe('requirement verdicts', () => {
  it('lets a failure win over passes, and a pass over a skip, in any order', () => {
    expect(verdictOf([test(['AUTH-001'], 'pass'), test(['AUTH-001'], 'fail')], 'AUTH-001')).toBe('fail');
    expect(verdictOf([test(['AUTH-001'], 'fail'), test(['AUTH-001'], 'pass')], 'AUTH-001')).toBe('fail');
    expect(verdictOf([test(['AUTH-001'], 'pass'), test(['AUTH-001'], 'not-applicable')], 'AUTH-001')).toBe('pass');
    expect(verdictOf([test(['AUTH-001'], 'not-applicable'), test(['AUTH-001'], 'pass')], 'AUTH-001')).toBe('pass');
    expect(verdictOf([test(['AUTH-001'], 'error')], 'AUTH-001')).toBe('fail');
  });

  it('only warns when the failing requirement is a SHOULD', () => {
    const should = Object.entries(REQUIREMENTS).find(([, r]) => r.level === 'SHOULD' && caps.includes(r.capability))![0];
    expect(verdictOf([test([should], 'fail')], should)).toBe('warn');
  });

  it('marks requirements without tests untested, and those outside the capabilities not applicable', () => {
    expect(verdictOf([], 'AUTH-001')).toBe('untested');
    expect(verdictOf([test(['AUTH-001'], 'fail')], 'AUTH-001', ['mqtt-tcp'])).toBe('not-applicable');
  });

  it('counts coverage per area and lists untested MUSTs', () => {
    const rows = coverageByArea(foldRequirements([test(['AUTH-001'], 'pass'), test(['AUTH-003'], 'fail')], caps));
    const auth = rows.find((r) => r.area === 'auth')!;
    expect(auth.tested).toBe(2);
    expect(auth.passed).toBe(1);
    expect(auth.failed).toBe(1);
    expect(auth.untestedMust).not.toContain('AUTH-001');
    expect(auth.untestedMust).toContain('AUTH-004');
  });

  it('decides the exit code by MUST failures and errors', () => {
    const should = Object.entries(REQUIREMENTS).find(([, r]) => r.level === 'SHOULD' && caps.includes(r.capability))![0];
    const run = (tests: TestResult[]) => {
      const { summary, areas } = summarize(tests, 1);
      const requirements = foldRequirements(tests, caps);
      return exitCodeFor({ runId: 'r', startedAt: '', finishedAt: '', hubcheckVersion: '0', target: { name: 't', launcher: 'embedded', profile: 'tencent-hub', endpoints: {} }, summary, areas, tests, requirements });
    };
    expect(run([test(['AUTH-001'], 'pass')])).toBe(0);
    expect(run([test([should], 'fail')])).toBe(0);
    expect(run([test(['AUTH-001'], 'fail')])).toBe(1);
  });
});
