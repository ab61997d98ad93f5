// `npm run mutation -- --area NAME`: mutation testing of the reference hub, one area at a time (docs/mutation.md).
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { LogLevel, PartialStrykerOptions } from '@stryker-mutator/api/core';
import { AREAS, isArea, mapGaps, resolveArea, UNMAPPED, type AreaName } from './areas.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);

const USAGE = `usage: npm run mutation -- --area NAME [--area NAME …] [options]
       npm run mutation -- --list

  --area NAME        an area of mutation/areas.ts, or "all" (every area, one after another)
  --sample N | P%    mutate a seeded random sample of N mutants (or P % of them) instead of all
  --seed S           the sample's seed (default 1)
  --runner R         vitest (default: in-process, per-test coverage, hub started in the test worker)
                     or command (\`vitest run\` of the area's suites per mutant, no coverage analysis)
  --concurrency N    Stryker worker processes (default 1)
  --no-confirm       skip the confirmation pass (the first pass's survivors and uncovered mutants run again against every
                     test of the area: per-test coverage misses tests that depend on an earlier test)
  --recheck          only the confirmation pass, over the survivors and uncovered mutants of the area's last report (after
                     adding tests; the hub's code must be unchanged since that report)
  --list             print the areas, their files and suites, and hub files in no area

Reports: reports/mutation/<area>/{index.html,mutation.json,summary.json}.`;

interface Cli {
  areas: AreaName[];
  sample?: { size?: number; percent?: number; seed: string };
  runner: 'vitest' | 'command';
  concurrency: number;
  confirm: boolean;
  recheck: boolean;
  list: boolean;
}

function fail(message: string): never {
  throw Object.assign(new Error(`${message}\n\n${USAGE}`), { usage: true });
}

export function parseCli(argv: string[]): Cli {
  const { values } = parseArgs({
    args: argv,
    options: {
      area: { type: 'string', multiple: true },
      sample: { type: 'string' },
      seed: { type: 'string' },
      runner: { type: 'string' },
      concurrency: { type: 'string' },
      list: { type: 'boolean' },
      'no-confirm': { type: 'boolean' },
      recheck: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) fail('mutation testing of the reference hub');
  const names = values.area ?? [];
  const areas = names.includes('all') ? (Object.keys(AREAS) as AreaName[]) : names.map((n) => (isArea(n) ? n : fail(`unknown area ${JSON.stringify(n)}; areas: ${Object.keys(AREAS).join(', ')}, all`)));
  if (!values.list && areas.length === 0) fail('name an area with --area');
  let sample: Cli['sample'];
  if (values.sample !== undefined) {
    const m = /^(\d+)(%?)$/.exec(values.sample);
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 1 || (m[2] && n > 100)) fail(`--sample takes a number of mutants (≥ 1) or a percentage (1–100%), not ${JSON.stringify(values.sample)}`);
    sample = { ...(m[2] ? { percent: n } : { size: n }), seed: values.seed ?? '1' };
  } else if (values.seed !== undefined) {
    fail('--seed goes with --sample');
  }
  const runner = values.runner ?? 'vitest';
  if (runner !== 'vitest' && runner !== 'command') fail(`--runner is vitest or command, not ${JSON.stringify(runner)}`);
  const concurrency = Number(values.concurrency ?? '1');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) fail('--concurrency is an integer from 1 to 16');
  if (values.recheck && (values['no-confirm'] || values.sample !== undefined || runner !== 'vitest')) fail('--recheck goes without --no-confirm, --sample and --runner command (it reuses the last report, sample included)');
  return { areas, sample, runner, concurrency, confirm: !values['no-confirm'], recheck: values.recheck ?? false, list: values.list ?? false };
}

const reportDirOf = (area: AreaName) => path.join(ROOT, 'reports', 'mutation', area);

/** Stryker's options for one area; `firstPassDir` makes them those of the confirmation pass. */
export function strykerOptions(area: AreaName, cli: Cli, firstPassDir?: string): PartialStrykerOptions {
  const { mutate, suites } = resolveArea(area, ROOT);
  const reportDir = reportDirOf(area);
  const runner: PartialStrykerOptions = cli.runner === 'vitest'
    ? {
        testRunner: 'hubcheck-vitest', // Stryker's vitest runner that also sees suites that could not run (stryker-plugins.js)
        coverageAnalysis: firstPassDir ? 'off' : 'perTest',
        vitest: { configFile: 'mutation/vitest.config.ts', related: false },
      }
    : {
        testRunner: 'command',
        coverageAnalysis: 'off',
        // The normal conformance project: its global setup starts the hub in vitest's main process,
        // which reads the active mutant from the environment variable Stryker sets per run.
        commandRunner: { command: `npx vitest run --project conformance ${suites.map((s) => (s.includes('*') ? 'suites/' : s)).join(' ')}` },
      };
  return {
    ...runner,
    mutate,
    concurrency: cli.concurrency,
    plugins: ['@stryker-mutator/vitest-runner', path.join(ROOT, 'mutation', 'stryker-plugins.js'), path.join(ROOT, 'mutation', 'ignore.js')],
    // Code that is not the protocol (fault switches, log lines, message texts) is not mutated (mutation/ignore.js).
    ignorers: ['hubcheck-outside-protocol'],
    // hubcheck first: it draws the sample before the others read the plan (mutation/stryker-plugins.js).
    reporters: ['hubcheck', process.stdout.isTTY ? 'progress' : 'progress-append-only'],
    // Only what the suites need goes into the sandbox.
    ignorePatterns: ['/bench', '/load', '/docker', '/docs', '/test', '/reports', '/coverage', '/.cache', '*.db', '*.db-wal', '*.db-shm'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    // A mutant that makes the hub slow or silent ends as a timeout: the suites' own waits are a few seconds.
    timeoutMS: 15_000,
    dryRunTimeoutMinutes: 10,
    fileLogLevel: 'off' as LogLevel,
    logLevel: (process.env['HUBCHECK_STRYKER_LOG'] ?? 'info') as LogLevel, // e.g. debug, to see each run
    warnings: { unknownOptions: false, preprocessorErrors: true, unserializableOptions: true, slow: true },
    hubcheck: {
      area,
      root: ROOT,
      reportDir,
      runner: cli.runner,
      concurrency: cli.concurrency,
      mutate,
      suites,
      ...(cli.sample ? { sample: cli.sample } : {}),
      ...(firstPassDir ? { confirm: { firstPassDir } } : {}),
    },
  };
}

/** Prints the map; 1 when a hub file is in no area (or UNMAPPED is out of date). */
function printList(): number {
  for (const name of Object.keys(AREAS) as AreaName[]) {
    const { mutate, suites } = resolveArea(name, ROOT);
    console.log(`${name}: ${AREAS[name].what}`);
    console.log(`  mutate: ${mutate.length > 8 ? `${mutate.slice(0, 8).join(' ')} … (${mutate.length} patterns)` : mutate.join(' ')}`);
    console.log(`  suites: ${suites.join(' ')}`);
  }
  console.log('not mutated:');
  for (const [file, why] of Object.entries(UNMAPPED)) console.log(`  ${file}: ${why}`);
  const gaps = mapGaps(ROOT);
  for (const f of gaps.unmapped) console.log(`  ${f}: IN NO AREA — add it to an area of mutation/areas.ts or to UNMAPPED`);
  for (const f of gaps.stale) console.log(`  ${f}: listed in UNMAPPED but mutated by an area, or gone`);
  for (const f of gaps.suitesInNoArea) console.log(`suite in no area: ${f} — add it to the suites of the areas whose code it judges`);
  return gaps.unmapped.length || gaps.stale.length || gaps.suitesInNoArea.length ? 1 : 0;
}

interface Summary {
  counts: Record<string, number>;
  score: number | null;
  scope: string;
  confirmation: { rechecked: number; killed: number } | null;
  timing: { totalMs: number; passes: { mutantsRun: number; perMutantMs: number | null }[] };
}

const readSummary = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Summary;

async function runArea(area: AreaName, cli: Cli): Promise<void> {
  const { suites } = resolveArea(area, ROOT);
  const reportDir = reportDirOf(area);
  const firstPassDir = path.join(reportDir, 'first-pass');
  process.env['HUBCHECK_MUTATION_SUITES'] = suites.join(',');
  const { Stryker } = await import('@stryker-mutator/core');
  let s: Summary;
  if (cli.recheck) {
    if (!existsSync(path.join(reportDir, 'mutation.json'))) throw new Error(`--recheck: no report of area ${area} yet (${path.relative(ROOT, reportDir)}); run it first`);
    s = readSummary(reportDir);
  } else {
    rmSync(reportDir, { recursive: true, force: true });
    console.log(`\n== ${area}: ${AREAS[area].what}${cli.sample ? ` (sample: ${cli.sample.size ?? `${cli.sample.percent}%`}, seed ${cli.sample.seed})` : ''}`);
    await new Stryker(strykerOptions(area, cli)).runMutationTest();
    s = readSummary(reportDir);
  }
  // The confirmation pass (vitest runner only: the command runner already runs every test for every mutant).
  const open = (s.counts['Survived'] ?? 0) + (s.counts['NoCoverage'] ?? 0);
  if (cli.confirm && cli.runner === 'vitest' && open > 0) {
    rmSync(firstPassDir, { recursive: true, force: true });
    for (const f of ['mutation.json', 'summary.json', 'index.html', 'sample.json']) {
      if (existsSync(path.join(reportDir, f))) cpSync(path.join(reportDir, f), path.join(firstPassDir, f));
    }
    console.log(`\n== ${area}: confirming ${open} survivors and uncovered mutants against all of the area's tests`);
    await new Stryker(strykerOptions(area, cli, firstPassDir)).runMutationTest();
    s = readSummary(reportDir);
  }
  const c = s.counts;
  const runs = s.timing.passes.map((p) => `${p.mutantsRun} runs, ${p.perMutantMs ?? '-'} ms each`).join('; then ');
  console.log(`${area}: ${s.scope}; killed ${c['Killed']}, survived ${c['Survived']}, timeout ${c['Timeout']}, no coverage ${c['NoCoverage']}` +
    `${c['RuntimeError'] ? `, runtime error ${c['RuntimeError']}` : ''}${c['not sampled'] ? `, not sampled ${c['not sampled']}` : ''}${c['triaged'] ? `, triaged as equivalent or outside the protocol ${c['triaged']}` : ''}` +
    `${s.confirmation ? ` (${s.confirmation.killed} of them killed only by the confirmation pass)` : ''}; score ${s.score ?? '-'} %;` +
    ` ${Math.round(s.timing.totalMs / 1000)} s (${runs}); report ${path.relative(ROOT, path.join(reportDir, 'index.html'))}`);
}

export async function main(argv: string[]): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (cli.list) return printList();
  process.chdir(ROOT);
  for (const area of cli.areas) await runArea(area, cli);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
