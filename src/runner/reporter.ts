/** A vitest reporter that turns test cases into hubcheck verdicts with requirement ids and evidence, and shows progress. */
import path from 'node:path';
import type { Reporter, SerializedError, TestCase, TestModule } from 'vitest/node';
import './vitest-context.js';
import type { TestResult } from '../report/model.js';
import { areaOf, isReqId } from '../../specs/requirements/index.js';

export interface ProgressSink { write(text: string): void }

export class ConformanceReporter implements Reporter {
  readonly results: TestResult[] = [];
  readonly runErrors: string[] = [];
  private done = 0;
  /** Set when a hub hubcheck started stopped on its own: why, and its last output lines. */
  private death?: { reason: string; lines: string[] };
  /** Tests whose result came in before the hub died keep their verdict; the rest become errors. */
  private readonly beforeDeath = new Set<string>();

  constructor(private readonly root: string, private readonly progress?: ProgressSink) {}

  /** The runner's health watcher calls this when the hub dies; the run is being cancelled. */
  hubDied(reason: string, lines: string[]): void {
    if (this.death) return;
    this.death = { reason, lines };
    this.runErrors.push(lines.length ? `${reason}; its last output:\n  ${lines.slice(-10).join('\n  ')}` : reason);
  }

  onTestCaseResult(testCase: TestCase): void {
    if (testCase.options.mode !== 'run') return; // left out by --only
    if (!this.death) this.beforeDeath.add(testCase.id);
    this.done++;
    const state = testCase.result().state;
    const mark = state === 'passed' ? '.' : state === 'failed' ? 'F' : state === 'skipped' ? '-' : '?';
    this.progress?.write(this.done % 60 === 0 ? `${mark}\n` : mark);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    if (this.done % 60 !== 0) this.progress?.write('\n');
    for (const e of unhandledErrors) this.runErrors.push(e.message ?? String(e));
    for (const module of testModules) {
      // An error outside any test (a failed beforeAll, an import error) makes every test of the file an error.
      const moduleErrors = [...module.errors(), ...[...module.children.allSuites()].flatMap((s) => s.errors())].map((e) => e.message);
      for (const testCase of module.children.allTests()) {
        // Tests left out by --only are skipped statically: they are not part of this run at all.
        if (testCase.result().state === 'skipped' && testCase.options.mode !== 'run' && !moduleErrors.length) continue;
        this.results.push(this.toResult(module, testCase, moduleErrors));
      }
      if (moduleErrors.length && [...module.children.allTests()].length === 0) {
        this.runErrors.push(`${path.relative(this.root, module.moduleId)}: ${moduleErrors.join('; ')}`);
      }
    }
  }

  private toResult(module: TestModule, testCase: TestCase, moduleErrors: string[]): TestResult {
    const meta = testCase.meta();
    const requirements = meta.requirements ?? [];
    const result = testCase.result();
    const base = {
      name: testCase.name,
      fullName: testCase.fullName,
      file: path.relative(this.root, module.moduleId),
      area: requirements[0] ? areaOf(requirements[0]) : 'other',
      requirements,
      durationMs: Math.round(testCase.diagnostic()?.duration ?? 0),
      evidence: meta.evidence ?? [],
    };
    if (this.death && !this.beforeDeath.has(testCase.id) && result.state !== 'passed' && !(result.state === 'skipped' && result.note?.startsWith('the target does not offer'))) {
      const { reason, lines } = this.death;
      const output = lines.length ? `; its last output:\n${lines.join('\n')}` : '';
      return { ...base, verdict: 'error', error: { message: `${reason}${output}` }, evidence: [...base.evidence, { kind: 'log', title: 'hub output before it stopped', lines }] };
    }
    const unknown = requirements.filter((id) => !isReqId(id));
    if (requirements.length === 0 || unknown.length) {
      const message = requirements.length === 0 ? 'the test names no requirement id' : `unknown requirement id(s): ${unknown.join(', ')}`;
      return { ...base, verdict: 'error', error: { message } };
    }
    switch (result.state) {
      case 'passed':
        return { ...base, verdict: 'pass' };
      case 'failed': {
        const first = result.errors[0];
        return { ...base, verdict: 'fail', error: { message: result.errors.map((e) => e.message).join('\n'), stack: first?.stack } };
      }
      case 'skipped':
        if (moduleErrors.length) return { ...base, verdict: 'error', error: { message: `the suite could not run: ${moduleErrors.join('; ')}` } };
        return { ...base, verdict: 'not-applicable', reason: result.note ?? 'skipped' };
      default:
        return { ...base, verdict: 'error', error: { message: moduleErrors.length ? moduleErrors.join('; ') : 'the test did not finish' } };
    }
  }
}
