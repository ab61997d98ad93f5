// @ts-check
// Stryker plugins of the mutation runs (mutation/run.ts): the vitest runner made to see suites that could
// not run, and the reporter that draws the sample and writes the report. Plain JavaScript, because Stryker
// also loads this file in its worker processes, which run no TypeScript loader.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PluginKind, commonTokens, declareClassPlugin, declareFactoryPlugin, tokens } from '@stryker-mutator/api/plugin';
import { strykerPlugins as vitestRunnerPlugins } from '@stryker-mutator/vitest-runner';

/**
 * @typedef {{ size?: number, percent?: number, seed: string }} SampleOption
 * @typedef {{ area: string, root: string, reportDir: string, runner: string, concurrency: number,
 *   mutate: string[], suites: string[], sample?: SampleOption }} HubcheckOptions
 * @typedef {{ seed: string, method: string, population: number, drawn: number, ids: string[] }} Sample
 * @typedef {import('@stryker-mutator/api/core').Mutant} Mutant
 */

/** @param {import('@stryker-mutator/api/core').StrykerOptions} options @returns {HubcheckOptions} */
function hubcheckOptions(options) {
  const h = /** @type {{ hubcheck?: HubcheckOptions }} */ (/** @type {unknown} */ (options)).hubcheck;
  if (!h) throw new Error('mutation/stryker-plugins.js needs the "hubcheck" option that mutation/run.ts sets');
  return h;
}

/**
 * A mutant's identity that does not depend on the run: file (relative to the project, also from a
 * sandbox copy), location, mutator and replacement.
 * @param {Mutant} m @param {string} root
 */
export function mutantKey(m, root) {
  const abs = m.fileName.replace(/[\\/]\.stryker-tmp[\\/][^\\/]+[\\/]/, '/');
  const file = path.isAbsolute(abs) ? path.relative(root, abs).split(path.sep).join('/') : abs;
  const { start, end } = m.location;
  return `${file}:${start.line + 1}:${start.column}-${end.line + 1}:${end.column} ${m.mutatorName} ${m.replacement}`;
}

/**
 * A simple random sample without replacement: the mutants are ranked by SHA-256 of seed and key, and
 * the first `size` (or `percent` of them, rounded up) are drawn. The same seed and code give the same sample.
 * @param {readonly Mutant[]} mutants @param {SampleOption} option @param {string} root @returns {Sample}
 */
export function drawSample(mutants, option, root) {
  const ranked = mutants
    .map((m) => ({ id: m.id, rank: createHash('sha256').update(`${option.seed}\n${mutantKey(m, root)}`).digest('hex') }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  const drawn = option.size !== undefined
    ? Math.min(option.size, ranked.length)
    : Math.ceil(((option.percent ?? 100) / 100) * ranked.length);
  const method = option.size !== undefined ? `${drawn} mutants` : `${option.percent} % of the mutants, rounded up`;
  return {
    seed: option.seed,
    method: `simple random sample without replacement (${method}), ranked by SHA-256 of the seed and each mutant's file, location, mutator and replacement`,
    population: ranked.length,
    drawn,
    ids: ranked.slice(0, drawn).map((r) => r.id),
  };
}

/** The reason given for a mutant not drawn. @param {Sample} sample */
function notDrawn(sample) {
  return `not in the sample (seed ${sample.seed}: ${sample.drawn} of ${sample.population} mutants drawn)`;
}

/** Statuses Stryker's score counts as detected, and those it counts at all (the rest are invalid or ignored). */
const DETECTED = ['Killed', 'Timeout'];
const VALID = [...DETECTED, 'Survived', 'NoCoverage'];
/** Statuses of mutants whose tests ran. */
const RAN = ['Killed', 'Survived', 'Timeout', 'RuntimeError'];

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
}

/**
 * Reporter `hubcheck`: draws the sample (when asked), and writes the area's report: mutation.json (the
 * mutation-testing-report-schema), index.html, and summary.json with the counts, the sample and the timing.
 *
 * Sampling: Stryker has no option for it, so when the test plan is ready (before any mutant runs) this
 * reporter turns the plan of each mutant not drawn into an early result "Ignored", with the reason. That
 * relies on Stryker passing its own plan objects to the reporters (true of 9.x; it is listed first in
 * `reporters`, so it runs before the others read the plan). Should that stop working the mutants not drawn
 * would run (slower, not wrong): the report is rewritten so they are Ignored anyway, and summary.json
 * says how many of them ran (`sample.notDrawnButRun`).
 */
class HubcheckReporter {
  static inject = tokens(commonTokens.options, commonTokens.logger);
  startedAt = Date.now();
  /** @type {number | undefined} */ dryRunEndedAt;
  /** @type {number | undefined} */ planReadyAt;
  /** @type {Sample | undefined} */ sample;
  /** @type {{ tests: number, netTimeMs: number, overheadMs: number } | undefined} */ dryRun;
  /** @type {Promise<void> | undefined} */ written;
  /** When each mutant's result came in: with one worker, the gaps are the time each mutant took. */
  /** @type {Array<{ id: string, at: number, status: string }>} */ tested = [];

  /**
   * @param {import('@stryker-mutator/api/core').StrykerOptions} options
   * @param {import('@stryker-mutator/api/logging').Logger} log
   */
  constructor(options, log) {
    this.hubcheck = hubcheckOptions(options);
    this.log = log;
    mkdirSync(this.hubcheck.reportDir, { recursive: true });
  }

  /** @param {import('@stryker-mutator/api/report').DryRunCompletedEvent} event */
  onDryRunCompleted(event) {
    this.dryRunEndedAt = Date.now();
    const tests = event.result.status === 'complete' ? event.result.tests.length : 0;
    this.dryRun = { tests, netTimeMs: event.timing.net, overheadMs: event.timing.overhead };
  }

  /** @param {import('@stryker-mutator/api/report').MutationTestingPlanReadyEvent} event */
  onMutationTestingPlanReady(event) {
    this.planReadyAt = Date.now();
    if (!this.hubcheck.sample) return;
    // The population: every mutant not already ignored by a `// Stryker disable` comment.
    const population = event.mutantPlans.map((p) => p.mutant).filter((m) => m.status !== 'Ignored');
    this.sample = drawSample(population, this.hubcheck.sample, this.hubcheck.root);
    const selected = new Set(this.sample.ids);
    const reason = notDrawn(this.sample);
    for (const plan of event.mutantPlans) {
      if (selected.has(plan.mutant.id) || plan.mutant.status === 'Ignored') continue;
      const p = /** @type {{ plan: string, mutant: { status?: string, statusReason?: string } }} */ (/** @type {unknown} */ (plan));
      p.plan = 'EarlyResult';
      p.mutant.status = 'Ignored';
      p.mutant.statusReason = reason;
    }
    this.log.info(`Sample: ${this.sample.drawn} of ${this.sample.population} mutants (seed ${this.sample.seed}); the others are reported as Ignored.`);
  }

  /** @param {Readonly<import('@stryker-mutator/api/core').MutantResult>} result */
  onMutantTested(result) {
    this.tested.push({ id: result.id, at: Date.now(), status: result.status });
  }

  /** @param {import('@stryker-mutator/api/core').schema.MutationTestResult} report */
  onMutationTestReportReady(report) {
    this.written = this.write(report);
  }

  wrapUp() {
    return this.written;
  }

  /** @param {import('@stryker-mutator/api/core').schema.MutationTestResult} original */
  async write(original) {
    const endedAt = Date.now();
    const report = /** @type {typeof original} */ (structuredClone(original));
    const sample = this.sample;
    const selected = sample && new Set(sample.ids);
    const reason = sample && notDrawn(sample);
    let notDrawnButRun = 0;
    /** @type {Record<string, number>} */
    const counts = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, RuntimeError: 0, CompileError: 0, Ignored: 0, 'not sampled': 0 };
    /** @type {Array<Record<string, unknown>>} */
    const open = [];
    let staticMutants = 0;
    for (const [file, result] of Object.entries(report.files)) {
      for (const m of result.mutants) {
        if (selected && !selected.has(m.id)) {
          // Not drawn: Ignored already (the plan was changed), or run all the same; either way not counted.
          if (m.status !== 'Ignored' || m.statusReason !== reason) notDrawnButRun++;
          m.status = 'Ignored';
          m.statusReason = reason;
          delete m.killedBy;
          delete m.testsCompleted;
          counts['not sampled']++;
          continue;
        }
        counts[m.status] = (counts[m.status] ?? 0) + 1;
        if (m.static) staticMutants++;
        if (m.status === 'Survived' || m.status === 'NoCoverage') {
          open.push({
            id: m.id, status: m.status, file, line: m.location.start.line, column: m.location.start.column,
            mutator: m.mutatorName, replacement: m.replacement, static: m.static ?? false, coveredBy: m.coveredBy?.length ?? 0,
          });
        }
      }
    }
    const detected = DETECTED.reduce((n, s) => n + (counts[s] ?? 0), 0);
    const valid = VALID.reduce((n, s) => n + (counts[s] ?? 0), 0);
    const covered = valid - (counts['NoCoverage'] ?? 0);
    const ran = RAN.reduce((n, s) => n + (counts[s] ?? 0), 0);
    const mutantPhaseMs = endedAt - (this.planReadyAt ?? endedAt);
    // Gaps between results of mutants that ran tests (early results and unsampled ones arrive at once).
    /** @type {Record<string, number[]>} */
    const gaps = {};
    let last = this.planReadyAt ?? this.startedAt;
    for (const t of this.tested) {
      if (!RAN.includes(t.status) || (selected && !selected.has(t.id))) continue;
      (gaps[t.status] ??= []).push(t.at - last);
      last = t.at;
    }
    const summary = {
      area: this.hubcheck.area,
      date: new Date(this.startedAt).toISOString(),
      runner: this.hubcheck.runner,
      concurrency: this.hubcheck.concurrency,
      mutate: this.hubcheck.mutate,
      suites: this.hubcheck.suites,
      scope: sample ? 'sampled' : 'full',
      sample: sample ? { seed: sample.seed, method: sample.method, population: sample.population, drawn: sample.drawn, notDrawnButRun } : null,
      mutants: valid + (counts['RuntimeError'] ?? 0) + (counts['CompileError'] ?? 0),
      counts,
      staticMutants,
      score: valid ? Math.round((detected / valid) * 10000) / 100 : null,
      coveredScore: covered ? Math.round((detected / covered) * 10000) / 100 : null,
      timing: {
        totalMs: endedAt - this.startedAt,
        dryRunMs: (this.dryRunEndedAt ?? this.startedAt) - this.startedAt,
        dryRun: this.dryRun,
        mutantPhaseMs,
        mutantsRun: ran,
        perMutantMs: ran ? Math.round(mutantPhaseMs / ran) : null,
        ...(this.hubcheck.concurrency === 1 ? { medianMsByStatus: Object.fromEntries(Object.entries(gaps).map(([k, v]) => [k, median(v)])) } : {}),
      },
      open,
    };
    const dir = this.hubcheck.reportDir;
    writeFileSync(path.join(dir, 'mutation.json'), JSON.stringify(report));
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
    writeFileSync(path.join(dir, 'index.html'), html(report, sample ? `${this.hubcheck.area} (sample of ${sample.drawn}/${sample.population}, seed ${sample.seed})` : this.hubcheck.area));
  }
}

/**
 * The report page: the mutation-testing-elements app Stryker's own HTML reporter uses, with the report inline.
 * @param {unknown} report @param {string} title
 */
function html(report, title) {
  const require = createRequire(createRequire(import.meta.url).resolve('@stryker-mutator/core'));
  const script = readFileSync(require.resolve('mutation-testing-elements/dist/mutation-test-elements.js'), 'utf8');
  const json = JSON.stringify(report).replace(/</g, '\\u003c');
  const esc = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>hubcheck mutation: ${esc}</title><script>${script.replace(/<\/script/gi, '<\\/script')}</script></head>
<body>
<mutation-test-report-app titlePostfix="hubcheck mutation: ${esc}"></mutation-test-report-app>
<script>
  const app = document.querySelector('mutation-test-report-app');
  app.report = ${json};
  const theme = () => { document.body.style.backgroundColor = app.themeBackgroundColor; };
  app.addEventListener('theme-changed', theme);
  theme();
</script>
</body>
</html>
`;
}

/**
 * Errors of the last vitest run that belong to no test: a setup file (the hub did not start), a
 * beforeAll/afterAll hook (provisioning through the hub's API failed) or the suite file's import.
 * @param {any} vitest the runner's Vitest instance @returns {{ file: string, message: string }[]}
 */
function suiteErrors(vitest) {
  /** @type {{ file: string, message: string }[]} */
  const errors = [];
  /** @param {any} task */
  const walk = (task) => {
    if (task.type === 'test') return;
    for (const e of task.result?.errors ?? []) errors.push({ file: task.file?.filepath ?? task.filepath ?? task.name, message: String(e?.message ?? e).split('\n')[0] });
    for (const t of task.tasks ?? []) walk(t);
  };
  for (const f of vitest.state.getFiles()) walk(f);
  return errors;
}

/**
 * Test runner `hubcheck-vitest`: Stryker's vitest runner, except that a suite that could not run counts.
 * When a setup file or a beforeAll hook fails, vitest marks the file failed but its tests only skipped,
 * and Stryker's runner, which looks at tests alone, calls the mutant survived. Here such a mutant run is
 * killed (the suite fails against that hub, as `hubcheck run` would), and such a dry run is an error.
 */
class SuiteAwareVitestRunner {
  /** @param {import('@stryker-mutator/api/test-runner').TestRunner & { ctx?: any }} inner */
  constructor(inner) {
    this.inner = inner;
  }

  capabilities() { return this.inner.capabilities(); }
  init() { return this.inner.init?.(); }
  dispose() { return this.inner.dispose?.(); }

  errors() {
    if (!this.inner.ctx?.state) throw new Error('hubcheck-vitest: Stryker\'s vitest runner no longer exposes its Vitest instance as `ctx`; mutation/stryker-plugins.js needs updating');
    return suiteErrors(this.inner.ctx);
  }

  /** @param {import('@stryker-mutator/api/test-runner').DryRunOptions} options */
  async dryRun(options) {
    const result = await this.inner.dryRun(options);
    const errors = result.status === 'complete' ? this.errors() : [];
    if (errors.length) {
      return { status: /** @type {import('@stryker-mutator/api/test-runner').DryRunStatus.Error} */ ('error'), errorMessage: `a suite could not run against the hub without mutants:\n${errors.map((e) => `${e.file}: ${e.message}`).join('\n')}` };
    }
    return result;
  }

  /** @param {import('@stryker-mutator/api/test-runner').MutantRunOptions} options */
  async mutantRun(options) {
    const result = await this.inner.mutantRun(options);
    if (result.status !== 'survived') return result;
    const errors = this.errors();
    if (!errors.length) return result;
    const files = new Set(errors.map((e) => e.file));
    return {
      status: /** @type {import('@stryker-mutator/api/test-runner').MutantRunStatus.Killed} */ ('killed'),
      killedBy: (options.testFilter ?? []).filter((id) => files.has(id.slice(0, id.indexOf('#')))),
      failureMessage: `the suite could not run: ${errors.map((e) => `${path.basename(e.file)}: ${e.message}`).join('; ')}`,
      nrOfTests: result.nrOfTests,
    };
  }
}

const vitestRunner = vitestRunnerPlugins.find((p) => p.kind === PluginKind.TestRunner && p.name === 'vitest');
if (!vitestRunner || !('factory' in vitestRunner)) throw new Error('@stryker-mutator/vitest-runner no longer declares the "vitest" test runner as a factory; mutation/stryker-plugins.js needs updating');
const innerFactory = vitestRunner.factory;

/** @param {import('@stryker-mutator/api/plugin').Injector<any>} injector */
function createSuiteAwareVitestRunner(injector) {
  return new SuiteAwareVitestRunner(injector.injectFunction(innerFactory));
}
createSuiteAwareVitestRunner.inject = tokens(commonTokens.injector);

export const strykerPlugins = [
  declareClassPlugin(PluginKind.Reporter, 'hubcheck', HubcheckReporter),
  declareFactoryPlugin(PluginKind.TestRunner, 'hubcheck-vitest', createSuiteAwareVitestRunner),
];
