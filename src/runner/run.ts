/** Runs the conformance suites against a target through vitest's Node API and writes the reports. */
import path from 'node:path';
import { createVitest } from 'vitest/node';
import { HubcheckError } from '../errors.js';
import type { RunResult } from '../report/model.js';
import { summarize } from '../report/summarize.js';
import { newRunId, writeReports } from '../report/write.js';
import type { TargetDescriptor } from '../target/descriptor.js';
import type { HubIdentity } from '../target/identity.js';
import type { ResolvedTarget } from '../target/resolved.js';
import { descriptorFor, launch } from '../target/launch.js';
import type { ProbeOutcome } from '../probe/index.js';
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
  /** `--long`: tests of limits measured in hours run without a test clock, waiting for real. */
  long?: boolean;
  progress?: ProgressSink;
  /** Measure the target's limits before the suites (default: the descriptor's probe field, else true). */
  probe?: boolean;
  /** Lines about the run's phases (probe timings), for the console. */
  log?: (line: string) => void;
  /** Suite files run at once (default DEFAULT_PARALLEL). */
  parallel?: number;
  /** Environment knobs for the suites' workers during this run (src/runner/knobs.ts), restored afterwards. */
  env?: Record<string, string>;
}

/**
 * Suite files run at once. A suite spends most of its time waiting on the target (keep-alive and RRPC timeouts, the
 * 500 ms offline pace, TLS handshakes), not on this machine's CPU, so running more files than there are cores cuts the
 * run's wall time (about 140 s to 70 s on 2 cores) without changing a verdict: every test decides by ordering barriers,
 * never by how long something took. `--parallel 1` runs one file at a time, for a target that must see one client at once.
 */
export const DEFAULT_PARALLEL = 4;
export const MAX_PARALLEL = 32;

/** Hub output lines kept in results.json and shown with tests that the hub's death cut short. */
const TARGET_LOG_LINES = 200;
const DEATH_EVIDENCE_LINES = 30;

export interface RunOutcome {
  result: RunResult;
  paths?: { json: string; junit: string; html: string };
  runErrors: string[];
  /** What the launcher knew about the hub (name, version, image digest). */
  hub?: HubIdentity;
  /** Secret values of the target (cloud API key, PSKs, passwords), for writers that must leave them out. */
  secrets?: string[];
}

/** The target's secrets as plain strings, so a bundle writer can scrub them from anything it copies. */
function secretsOf(t: ResolvedTarget): string[] {
  return [t.cloudApi.secretKey, t.plainLogin?.password, ...(t.fixtures ?? []).map((f) => f.psk)].filter((v): v is string => typeof v === 'string' && v.length > 0);
}

/** Sets the knobs for the run's workers, which inherit this process's environment; returns how to put it back. */
function withEnv(env: Record<string, string> | undefined): () => void {
  if (!env) return () => {};
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

export async function runConformance(o: RunOptions = {}): Promise<RunOutcome> {
  if (o.only !== undefined) {
    try { new RegExp(o.only); } catch (e) { throw new HubcheckError('BAD_OPTION', `--only ${JSON.stringify(o.only)} is not a regular expression: ${(e as Error).message}`); }
  }
  const parallel = o.parallel ?? DEFAULT_PARALLEL;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL) {
    throw new HubcheckError('BAD_OPTION', `--parallel takes a whole number of suite files to run at once, from 1 to ${MAX_PARALLEL} (got ${String(o.parallel)})`);
  }
  const descriptor = await descriptorFor(o.target);
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const launched = await launch(descriptor, { long: o.long });
  const reporter = new ConformanceReporter(ROOT, o.progress);
  let probed: ProbeOutcome | undefined;
  const restoreEnv = withEnv(o.env);
  try {
    if (o.probe ?? descriptor.probe ?? true) {
      const { probeTarget } = await import('../probe/index.js');
      try {
        probed = await probeTarget(launched.target, o.log);
      } catch (e) {
        // A probe that cannot run is a note, not a reason to skip the suites: they say more.
        probed = { probe: { durationMs: 0, notes: [`the probe could not run: ${(e as Error).message.split('\n')[0]}`] }, findings: [] };
      }
    }
    const vitest = await createVitest('test', {
      root: ROOT,
      config: path.join(ROOT, 'vitest.config.ts'),
      project: ['conformance', 'conformance-exclusive'],
      watch: false,
      maxWorkers: parallel,
      reporters: [reporter],
      // reportDir: where failing model runs save their replay files (<reportDir>/replays/); long: --long
      provide: { target: { ...launched.target, ...(o.long ? { long: true } : {}), ...(o.noReports ? {} : { reportDir: o.reportDir ?? path.join(process.cwd(), 'reports', runId) }) } },
      ...(o.only !== undefined ? { testNamePattern: o.only } : {}),
    });
    // Health watcher: a hub that dies mid-run cancels the run; the reporter turns what is left into errors.
    let running = true;
    void launched.exited?.then((why) => {
      if (!running) return;
      reporter.hubDied(`the hub stopped during the run: ${why}`, launched.output?.(DEATH_EVIDENCE_LINES) ?? []);
      void vitest.cancelCurrentRun('test-failure');
    });
    try {
      await vitest.start(o.files);
    } finally {
      running = false;
      await vitest.close();
    }
  } finally {
    restoreEnv();
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
  if (probed) { result.probe = probed.probe; result.findings = probed.findings; }
  const log = launched.output?.(TARGET_LOG_LINES);
  if (log?.length) result.targetLog = log;
  const known = { hub: launched.identity, secrets: secretsOf(t) };
  if (o.noReports) return { result, runErrors: reporter.runErrors, ...known };
  const paths = await writeReports(o.reportDir ?? path.join(process.cwd(), 'reports', runId), result);
  return { result, paths, runErrors: reporter.runErrors, ...known };
}
