// @ts-check
// Stryker plugins of the mutation runs (mutation/run.ts): the vitest runner made to see suites that could
// not run, and the reporter that draws the sample and writes the report. Plain JavaScript, because Stryker
// also loads this file in its worker processes, which run no TypeScript loader.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PluginKind, commonTokens, declareClassPlugin, declareFactoryPlugin, tokens } from '@stryker-mutator/api/plugin';
import { strykerPlugins as vitestRunnerPlugins } from '@stryker-mutator/vitest-runner';

/**
 * @typedef {{ size?: number, percent?: number, seed: string }} SampleOption
 * @typedef {{ area: string, root: string, reportDir: string, runner: string, concurrency: number,
 *   mutate: string[], suites: string[], sample?: SampleOption, confirm?: { firstPassDir: string } }} HubcheckOptions
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
 * A mutant's identity that does not depend on the run, in the report's terms (1-based lines and columns):
 * file (relative to the project, also from a sandbox copy), location, mutator and replacement.
 * @param {Mutant} m a mutant of Stryker's plan (0-based lines and columns) @param {string} root
 */
export function mutantKey(m, root) {
  const abs = m.fileName.replace(/[\\/]\.stryker-tmp[\\/][^\\/]+[\\/]/, '/');
  const file = path.isAbsolute(abs) ? path.relative(root, abs).split(path.sep).join('/') : abs;
  const { start, end } = m.location;
  return `${file}:${start.line + 1}:${start.column + 1}-${end.line + 1}:${end.column + 1} ${m.mutatorName} ${m.replacement}`;
}
const planKey = mutantKey;

/** The same key for a mutant of a report (mutation.json). @param {string} file @param {any} m */
function reportKey(file, m) {
  const { start, end } = m.location;
  return `${file}:${start.line}:${start.column}-${end.line}:${end.column} ${m.mutatorName} ${m.replacement}`;
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

/**
 * Mutants triaged by hand as equivalent or outside the protocol (mutation/triaged.json, the Survivors table of
 * docs/mutation.md), by key. A run reports them as Ignored with that verdict and reason instead of testing them, so
 * Stryker's score leaves them out, as it does for a `// Stryker disable` comment; a key whose code has changed no
 * longer matches, and the mutant is tested again.
 * @param {string} root @returns {Map<string, string>}
 */
function triaged(root) {
  const file = path.join(root, 'mutation', 'triaged.json');
  if (!existsSync(file)) return new Map();
  /** @type {Array<{ key: string, verdict: string, reason: string }>} */
  const entries = JSON.parse(readFileSync(file, 'utf8'));
  return new Map(entries.map((e) => [e.key, `${TRIAGED}: ${e.verdict}: ${e.reason}`]));
}
/** The start of the reason given to a triaged mutant. */
const TRIAGED = 'triaged (docs/mutation.md)';

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
 * The first pass's verdicts a confirmation pass runs again against every test: survivors, and mutants no test
 * covered (per-test coverage misses code that runs in a suite's hooks; a recheck after new tests may cover them).
 */
const OPEN = ['Survived', 'NoCoverage'];

/** The reason given to mutants the confirmation pass leaves as the first pass decided them. */
const SETTLED = 'decided in the first pass';
/** The reason added to first-pass survivors that the confirmation pass killed. */
const MISSED = 'survived its covering tests; killed when all of the area\'s tests ran against it';

/**
 * Reporter `hubcheck`: draws the sample (when asked), picks the mutants of a confirmation pass, and writes
 * the area's report: mutation.json (the mutation-testing-report-schema), index.html, and summary.json with
 * the counts, the sample, the confirmation and the timing.
 *
 * Choosing mutants: Stryker has no option for it, so when the test plan is ready (before any mutant runs)
 * this reporter turns the plan of each mutant not chosen into an early result "Ignored", with the reason.
 * That relies on Stryker passing its own plan objects to the reporters (true of 9.x; it is listed first in
 * `reporters`, so it runs before the others read the plan). Should that stop working the mutants not chosen
 * would run (slower, not wrong): the report is rewritten anyway, and summary.json counts them (`notChosenButRun`).
 *
 * Confirmation pass (`hubcheck.confirm`): per-test coverage runs a mutant only against the tests that
 * executed its code, which misses a test that depends on state an earlier test built (a cache filled once,
 * say). So the first pass's survivors run again against all of the area's tests, with the mutant active
 * from start-up; the final report is the first pass with those survivors' new results.
 */
class HubcheckReporter {
  static inject = tokens(commonTokens.options, commonTokens.logger);
  startedAt = Date.now();
  /** @type {number | undefined} */ dryRunEndedAt;
  /** @type {number | undefined} */ planReadyAt;
  /** @type {Sample | undefined} */ sample;
  /** Ids of the mutants this pass tests (all when undefined), and the reason given to the others. */
  /** @type {{ ids: Set<string>, reason: string } | undefined} */ chosen;
  /** @type {{ report: any, summary: any } | undefined} */ first;
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
    if (this.hubcheck.confirm) {
      const dir = this.hubcheck.confirm.firstPassDir;
      this.first = {
        report: JSON.parse(readFileSync(path.join(dir, 'mutation.json'), 'utf8')),
        summary: JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')),
      };
    }
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
    const root = this.hubcheck.root;
    if (this.first) {
      const survivors = new Set();
      for (const [file, result] of Object.entries(this.first.report.files)) {
        for (const m of /** @type {any[]} */ (result.mutants)) if (OPEN.includes(m.status)) survivors.add(reportKey(file, m));
      }
      const ids = new Set(event.mutantPlans.filter((p) => survivors.has(planKey(p.mutant, root))).map((p) => p.mutant.id));
      if (ids.size !== survivors.size) throw new Error(`the confirmation pass finds ${ids.size} of the first pass's ${survivors.size} survivors: did the source change between the passes?`);
      this.chosen = { ids, reason: SETTLED };
      this.log.info(`Confirmation: the ${ids.size} survivors and uncovered mutants of the first pass run against all of the area's tests.`);
    } else if (this.hubcheck.sample) {
      // The population: every mutant not already ignored by a `// Stryker disable` comment.
      const population = event.mutantPlans.map((p) => p.mutant).filter((m) => m.status !== 'Ignored');
      this.sample = drawSample(population, this.hubcheck.sample, root);
      this.chosen = { ids: new Set(this.sample.ids), reason: notDrawn(this.sample) };
      writeFileSync(path.join(this.hubcheck.reportDir, 'sample.json'), JSON.stringify(this.sample, null, 2));
      this.log.info(`Sample: ${this.sample.drawn} of ${this.sample.population} mutants (seed ${this.sample.seed}); the others are reported as Ignored.`);
    }
    const chosen = this.chosen;
    const verdicts = triaged(root);
    for (const plan of event.mutantPlans) {
      if (plan.mutant.status === 'Ignored') continue;
      const isChosen = !chosen || chosen.ids.has(plan.mutant.id);
      const verdict = isChosen ? verdicts.get(planKey(plan.mutant, root)) : undefined;
      if (isChosen && !verdict) continue;
      const p = /** @type {{ plan: string, mutant: { status?: string, statusReason?: string } }} */ (/** @type {unknown} */ (plan));
      p.plan = 'EarlyResult';
      p.mutant.status = 'Ignored';
      p.mutant.statusReason = verdict ?? chosen?.reason;
    }
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

  /** This pass's own results, mutants not chosen set aside. @param {any} original */
  ownResults(original) {
    const report = structuredClone(original);
    const chosen = this.chosen;
    let notChosenButRun = 0;
    for (const result of Object.values(report.files)) {
      for (const m of /** @type {any[]} */ (result.mutants)) {
        if (!chosen || chosen.ids.has(m.id)) continue;
        if (m.status !== 'Ignored' || m.statusReason !== chosen.reason) notChosenButRun++;
        m.status = 'Ignored';
        m.statusReason = chosen.reason;
        delete m.killedBy;
        delete m.testsCompleted;
      }
    }
    return { report, notChosenButRun };
  }

  /** The first pass with the survivors' results of this (confirmation) pass. @param {any} own @param {any} first */
  merged(own, first) {
    const report = structuredClone(first);
    /** @type {Map<string, any>} */
    const again = new Map();
    for (const [file, result] of Object.entries(own.files)) {
      for (const m of /** @type {any[]} */ (result.mutants)) if (m.statusReason !== SETTLED) again.set(reportKey(file, m), m);
    }
    let killed = 0;
    for (const [file, result] of Object.entries(report.files)) {
      for (const m of /** @type {any[]} */ (result.mutants)) {
        const n = OPEN.includes(m.status) ? again.get(reportKey(file, m)) : undefined;
        if (!n) continue;
        if (n.status === 'Ignored') m.statusReason = n.statusReason; // triaged since the first pass
        m.status = n.status;
        m.killedBy = n.killedBy;
        m.testsCompleted = n.testsCompleted;
        if (DETECTED.includes(n.status)) {
          killed++;
          m.statusReason = [MISSED, n.statusReason].filter(Boolean).join(': ');
        }
      }
    }
    return { report, confirmation: { rechecked: again.size, killed, stillSurvived: again.size - killed } };
  }

  /** @param {import('@stryker-mutator/api/core').schema.MutationTestResult} original */
  async write(original) {
    const endedAt = Date.now();
    const own = this.ownResults(original);
    const first = this.first;
    const { report, confirmation } = first ? this.merged(own.report, first.report) : { report: own.report, confirmation: null };
    /** @type {Record<string, number>} */
    const counts = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, RuntimeError: 0, CompileError: 0, Ignored: 0, 'not sampled': 0, triaged: 0 };
    /** @type {Array<Record<string, unknown>>} */
    const open = [];
    let staticMutants = 0;
    const notDrawnReason = first?.summary.sample ? notDrawn(first.summary.sample) : this.sample && notDrawn(this.sample);
    for (const [file, result] of Object.entries(report.files)) {
      for (const m of /** @type {any[]} */ (result.mutants)) {
        if (m.status === 'Ignored' && m.statusReason === notDrawnReason) {
          counts['not sampled']++;
          continue;
        }
        if (m.status === 'Ignored' && String(m.statusReason).startsWith(TRIAGED)) {
          counts['triaged']++;
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
    const mutantPhaseMs = endedAt - (this.planReadyAt ?? endedAt);
    const chosen = this.chosen;
    // Gaps between results of mutants that ran tests (early results and mutants not chosen arrive at once).
    /** @type {Record<string, number[]>} */
    const gaps = {};
    let last = this.planReadyAt ?? this.startedAt;
    let ran = 0;
    for (const t of this.tested) {
      if (!RAN.includes(t.status) || (chosen && !chosen.ids.has(t.id))) continue;
      (gaps[t.status] ??= []).push(t.at - last);
      last = t.at;
      ran++;
    }
    const pass = {
      coverage: first ? 'off: every test of the area, the mutant active from start-up' : 'perTest',
      totalMs: endedAt - this.startedAt,
      dryRunMs: (this.dryRunEndedAt ?? this.startedAt) - this.startedAt,
      dryRun: this.dryRun,
      mutantPhaseMs,
      mutantsRun: ran,
      perMutantMs: ran ? Math.round(mutantPhaseMs / ran) : null,
      ...(this.hubcheck.concurrency === 1 ? { medianMsByStatus: Object.fromEntries(Object.entries(gaps).map(([k, v]) => [k, median(v)])) } : {}),
      notChosenButRun: own.notChosenButRun,
    };
    const sample = first ? first.summary.sample : this.sample && { seed: this.sample.seed, method: this.sample.method, population: this.sample.population, drawn: this.sample.drawn };
    const summary = {
      area: this.hubcheck.area,
      date: first ? first.summary.date : new Date(this.startedAt).toISOString(),
      runner: this.hubcheck.runner,
      concurrency: this.hubcheck.concurrency,
      mutate: this.hubcheck.mutate,
      suites: this.hubcheck.suites,
      scope: sample ? 'sampled' : 'full',
      sample: sample ?? null,
      mutants: valid + (counts['RuntimeError'] ?? 0) + (counts['CompileError'] ?? 0),
      counts,
      staticMutants,
      score: valid ? Math.round((detected / valid) * 10000) / 100 : null,
      coveredScore: covered ? Math.round((detected / covered) * 10000) / 100 : null,
      confirmation,
      timing: {
        totalMs: (first ? first.summary.timing.totalMs : 0) + pass.totalMs,
        passes: first ? [...(first.summary.timing.passes ?? [{ coverage: 'perTest', ...first.summary.timing }]), pass] : [pass],
      },
      open,
    };
    const dir = this.hubcheck.reportDir;
    writeFileSync(path.join(dir, 'mutation.json'), JSON.stringify(report));
    writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
    const title = sample ? `${this.hubcheck.area} (sample of ${sample.drawn}/${sample.population}, seed ${sample.seed})` : this.hubcheck.area;
    writeFileSync(path.join(dir, 'index.html'), html(report, title));
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
    if (result.status !== 'complete') return result;
    const errors = this.errors();
    if (errors.length) {
      return { status: /** @type {import('@stryker-mutator/api/test-runner').DryRunStatus.Error} */ ('error'), errorMessage: `a suite could not run against the hub without mutants:\n${errors.map((e) => `${e.file}: ${e.message}`).join('\n')}` };
    }
    if (result.mutantCoverage) result.mutantCoverage = reattribute(this.inner.ctx.state.getFiles(), result.tests, result.mutantCoverage);
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

/**
 * Stryker counts as static every mutant executed outside a test, and runs each such mutant against every
 * test of the area with the environment reloaded. Only the hub's start-up needs that: mutation/hub-in-worker.ts
 * records what had been executed when the hub was up (`hubcheckStartupCoverage`); what ran outside a test
 * after that (a suite's provisioning in beforeAll, work left between tests) is given to every test of that
 * file, which runs it again with the mutant active from the file's first hook.
 * @param {any[]} files vitest's file tasks @param {{ id: string, fileName?: string }[]} tests the dry run's tests
 * @param {import('@stryker-mutator/api/test-runner').MutantCoverage} coverage the runner's merged coverage
 */
export function reattribute(files, tests, coverage) {
  /** @type {Record<string, Record<string, number>>} */
  const perTest = structuredClone(coverage.perTest);
  /** @type {Record<string, number>} */
  const staticHits = {};
  /** @param {Record<string, number>} into @param {string} id @param {number} n */
  const add = (into, id, n) => { into[id] = (into[id] ?? 0) + n; };
  for (const f of files) {
    const own = f.meta?.mutantCoverage?.static;
    if (!own) continue;
    const atStartup = f.meta?.hubcheckStartupCoverage;
    const ids = tests.filter((t) => t.fileName === path.resolve(f.filepath)).map((t) => t.id);
    for (const [id, n] of Object.entries(/** @type {Record<string, number>} */ (own))) {
      if (!atStartup || ids.length === 0) { add(staticHits, id, n); continue; } // not started by hub-in-worker, or no test to give it to
      const early = Math.min(atStartup[id] ?? 0, n);
      if (early > 0) add(staticHits, id, early);
      if (n > early) for (const t of ids) add((perTest[t] ??= {}), id, n - early);
    }
  }
  return { static: staticHits, perTest };
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
