// @ts-check
// Stryker plugin of the mutation runs (mutation/run.ts): draws the sample and writes the report. Plain
// JavaScript, because Stryker also loads this file in its worker processes, which run no TypeScript loader.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PluginKind, commonTokens, declareClassPlugin, tokens } from '@stryker-mutator/api/plugin';

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

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'hubcheck', HubcheckReporter)];
