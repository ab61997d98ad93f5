/** Verdict counting per run and per area, and the exit code derived from it. */
import { describe, it, expect } from 'vitest';
import { exitCodeFor, summarize } from '../../src/report/summarize.js';
import { mixedTests, run, test } from './fixtures.js';

describe('summarize', () => {
  it('counts every verdict and carries the duration', () => {
    expect(summarize(mixedTests, 999).summary).toEqual({ tests: 5, passed: 2, failed: 1, notApplicable: 1, errors: 1, durationMs: 999 });
  });

  it('groups by area, sorted by name', () => {
    const { areas } = summarize(mixedTests, 0);
    expect(areas.map((a) => a.area)).toEqual(['auth', 'ota', 'shadow']);
    expect(areas.find((a) => a.area === 'shadow')).toEqual({ area: 'shadow', tests: 2, passed: 1, failed: 0, notApplicable: 1, errors: 0 });
    expect(areas.find((a) => a.area === 'auth')).toMatchObject({ tests: 2, passed: 1, failed: 1 });
  });

  it('handles an empty run', () => {
    expect(summarize([], 0)).toEqual({ summary: { tests: 0, passed: 0, failed: 0, notApplicable: 0, errors: 0, durationMs: 0 }, areas: [] });
  });
});

describe('exitCodeFor', () => {
  it('is 0 when everything passed or was not applicable', () => {
    expect(exitCodeFor(run([test({ name: '[A-1] a', verdict: 'pass' }), test({ name: '[A-2] b', verdict: 'not-applicable' })]))).toBe(0);
    expect(exitCodeFor(run([]))).toBe(0);
  });

  it('is 1 on a failure or an error', () => {
    expect(exitCodeFor(run([test({ name: '[A-1] a', verdict: 'fail' })]))).toBe(1);
    expect(exitCodeFor(run([test({ name: '[A-1] a', verdict: 'error' })]))).toBe(1);
    expect(exitCodeFor(run(mixedTests))).toBe(1);
  });

  it('does not trust a summary that disagrees with the tests', () => {
    const r = run([test({ name: '[A-1] a', verdict: 'fail' })]);
    r.summary.failed = 0;
    expect(exitCodeFor(r)).toBe(1);
  });
});
