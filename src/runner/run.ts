/** Runs the conformance suites against a target through vitest's Node API and writes the reports. */
import path from 'node:path';
import { createVitest } from 'vitest/node';
import { HubcheckError } from '../errors.js';
import type { RunResult } from '../report/model.js';
import { summarize } from '../report/summarize.js';
import { newRunId, writeReports } from '../report/write.js';
import { loadDescriptor, type TargetDescriptor } from '../target/descriptor.js';
import { launch } from '../target/launch.js';
import { coverageByArea, foldRequirements } from './coverage.js';
import { ROOT, VERSION } from './paths.js';
import { ConformanceReporter, type ProgressSink } from './reporter.js';
import './vitest-context.js';


export interface RunOptions {
  /** A descriptor file, or a descriptor object; default: the embedded reference hub. */
  target?: string | TargetDescriptor;
  /** Regular expression over test titles (which begin with requirement ids). */
  only?: string;
  /** Suite files to run (paths or fragments); default: all. */
  files?: string[];
  /** Where to write the reports; default reports/<run-id>. */
  reportDir?: string;
  /** Write no report files (selftest runs). */
  noReports?: boolean;
  progress?: ProgressSink;
}

export interface RunOutcome { result: RunResult; paths?: { json: string; junit: string; html: string }; runErrors: string[] }

export async function runConformance(o: RunOptions = {}): Promise<RunOutcome> {
  if (o.only !== undefined) {
    try { new RegExp(o.only); } catch (e) { throw new HubcheckError('BAD_OPTION', `--only ${JSON.stringify(o.only)} is not a regular expression: ${(e as Error).message}`); }
  }
  const descriptor = typeof o.target === 'string' ? loadDescriptor(o.target) : o.target ?? { launcher: 'embedded' as const };
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const launched = await launch(descriptor);
  const reporter = new ConformanceReporter(ROOT, o.progress);
  try {
    const vitest = await createVitest('test', {
      root: ROOT,
      config: path.join(ROOT, 'vitest.config.ts'),
      project: ['conformance'],
      watch: false,
      reporters: [reporter],
      provide: { target: launched.target },
      ...(o.only !== undefined ? { testNamePattern: o.only } : {}),
    });
    try {
      await vitest.start(o.files);
    } finally {
      await vitest.close();
    }
  } finally {
    await launched.stop();
  }
  if (reporter.results.length === 0) {
    throw new HubcheckError('NO_TESTS', `no test matched${o.only ? ` --only ${JSON.stringify(o.only)}` : ''}${reporter.runErrors.length ? `: ${reporter.runErrors.join('; ')}` : ''}`);
  }
  const finishedAt = new Date();
  const tests = reporter.results;
  const { summary, areas } = summarize(tests, finishedAt.getTime() - startedAt.getTime());
  const t = launched.target;
  const result: RunResult = {
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    hubcheckVersion: VERSION,
    target: { name: t.name, launcher: t.launcher, profile: t.profile, endpoints: { ...t.endpoints }, faults: t.faults, capabilities: t.capabilities },
    summary,
    areas,
    tests,
  };
  result.requirements = foldRequirements(tests, t.capabilities);
  result.coverage = coverageByArea(result.requirements);
  if (o.noReports) return { result, runErrors: reporter.runErrors };
  const paths = await writeReports(o.reportDir ?? path.join(process.cwd(), 'reports', runId), result);
  return { result, paths, runErrors: reporter.runErrors };
}
