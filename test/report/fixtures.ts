/** Builds RunResults for the report tests: passes, failures with hostile evidence, n/a and errors. */
import { summarize } from '../../src/report/summarize.js';
import type { RunResult, TestResult } from '../../src/report/model.js';

/** Evidence text that breaks naive XML/HTML writers: markup, entities, CDATA end, C0 controls. */
export const HOSTILE = 'payload <script>alert("x")</script> & ]]> \u0000\u0001\u0008\u000b\u001b[31m end';

export function test(over: Partial<TestResult> & Pick<TestResult, 'name' | 'verdict'>): TestResult {
  const req = /\[([A-Z]+-\d+)\]/.exec(over.name)?.[1];
  return {
    fullName: `suite > ${over.name}`,
    file: 'suites/auth.test.ts',
    area: req ? req.split('-')[0]!.toLowerCase() : 'misc',
    requirements: req ? [req] : [],
    durationMs: 12,
    evidence: [],
    ...over,
  };
}

export function run(tests: TestResult[], durationMs = 1234): RunResult {
  return {
    runId: '2026-11-26T15-32-17-abc123',
    startedAt: '2026-11-26T15:32:17.000Z',
    finishedAt: '2026-11-26T15:32:18.234Z',
    hubcheckVersion: '0.1.0',
    target: { name: 'local-aedes', launcher: 'docker', profile: 'strict', endpoints: { mqtt: 'mqtts://127.0.0.1:8883', http: 'http://127.0.0.1:8080' }, faults: ['drop-puback'] },
    ...summarize(tests, durationMs),
    tests,
  };
}

export const mixedTests: TestResult[] = [
  test({ name: '[AUTH-001] valid signature is accepted', verdict: 'pass', evidence: [{ kind: 'note', title: 'ok & fine', lines: ['<ok>'] }] }),
  test({
    name: '[AUTH-003] expired signature is refused',
    verdict: 'fail',
    durationMs: 1500,
    error: { message: 'expected CONNACK rc 4, got 0\nsecond line', stack: 'AssertionError: expected CONNACK rc 4, got 0\n    at suites/auth.test.ts:42:7' },
    evidence: [
      { kind: 'mqtt', title: 'CONNECT -> CONNACK <rc>', lines: ['CONNECT clientId=a&b', HOSTILE] },
      { kind: 'log', title: 'hub log', lines: ['x'] },
    ],
  }),
  test({ name: '[SHADOW-002] shadow delta is delivered', verdict: 'not-applicable', file: 'suites/shadow/delta.test.ts', reason: 'profile "basic" has no <shadow> & no delta' }),
  test({ name: '[OTA-001] firmware upgrade notice', verdict: 'error', file: 'suites/ota.test.ts', error: { message: 'hub crashed: ECONNRESET' } }),
  test({ name: '[SHADOW-001] shadow get returns document', verdict: 'pass', file: 'suites/shadow/delta.test.ts', durationMs: 30 }),
];
