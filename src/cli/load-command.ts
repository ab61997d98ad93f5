/** `hubcheck load`, `hubcheck report compare` and `hubcheck report merge`: option parsing into the load/ modules, with the exit code. */
import pc from 'picocolors';
import { HubcheckError } from '../errors.js';

export interface LoadCliOptions {
  target?: string;
  engine?: string;
  devices?: string;
  duration?: string;
  rate?: string;
  qos?: string;
  connectRate?: string;
  maxPending?: string;
  processes?: string;
  threads?: string;
  localAddresses?: string;
  fixtures?: string;
  fixturesOffset?: string;
  hubPid?: string;
  reportDir?: string;
  keepDevices?: boolean;
  segment?: string;
  threshold?: string[];
  makeFixtures?: string;
  live?: string;
  messages?: string;
  qos1Share?: string;
  cycles?: string;
  dwell?: string;
  /** Progress lines: false for none (default: stderr, one updating line on a terminal). */
  progress?: boolean;
}

const bad = (msg: string) => new HubcheckError('BAD_OPTION', msg);

function num(flag: string, v: string | undefined, o: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const min = o.min ?? 0;
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  if (!v.trim() || !Number.isFinite(n) || (o.int && !Number.isInteger(n)) || n < min || n > max) {
    throw bad(`${flag}: expected ${o.int ? 'an integer' : 'a number'} from ${min} to ${max} (got "${v}")`);
  }
  return n;
}

/** "127.0.0.1-4" or "127.0.0.1,127.0.0.2" → addresses. */
export function parseLocalAddresses(v: string): string[] {
  const out: string[] = [];
  for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})-(\d{1,3})$/.exec(part);
    if (range) {
      const [, a, b, from, to] = range.map(Number) as number[];
      if (from! > to! || to! > 254) throw bad(`--local-addresses ${part}: the range must rise and stay within .1–.254`);
      for (let i = from!; i <= to!; i++) out.push(`127.${a}.${b}.${i}`);
    } else if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(part)) out.push(part);
    else throw bad(`--local-addresses ${part}: use 127.x.y.z addresses or a range like 127.0.0.1-4 (load traffic stays on loopback)`);
  }
  if (!out.length) throw bad('--local-addresses: give at least one address, e.g. 127.0.0.1-4');
  return out;
}

/** METRIC:EXPRESSION pairs; the metric may hold ':' inside braces, e.g. delivery_latency{qos:1}:p(99)<100. */
export function parseThresholds(list: string[] | undefined): Record<string, string[]> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const t of list) {
    const close = t.lastIndexOf('}');
    const colon = t.indexOf(':', close < 0 ? 0 : close);
    const metric = colon > 0 ? t.slice(0, colon).trim() : '';
    const expr = colon > 0 ? t.slice(colon + 1).trim() : '';
    if (!metric || !expr) throw bad(`--threshold ${t}: use METRIC:EXPRESSION, e.g. --threshold 'delivery_latency{qos:1}:p(99)<100'`);
    (out[metric] ??= []).push(expr);
  }
  return out;
}

export async function loadCommand(scenario: string | undefined, opts: LoadCliOptions, write: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  if (opts.makeFixtures) {
    const devices = num('--devices', opts.devices ?? '1000', { int: true, min: 1, max: 10_000_000 })!;
    const { writeFixtures } = await import('../../load/fleet/credentials.js');
    const t0 = performance.now();
    const products = await writeFixtures(opts.makeFixtures, devices);
    write(`wrote ${devices} devices of ${products.length} product(s) to ${opts.makeFixtures} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    write(`import them into a hub with: hubcheck hub --data hub.db --import-devices ${opts.makeFixtures}`);
    return 0;
  }
  if (!scenario) {
    const { SCENARIOS } = await import('../../load/scenarios/index.js');
    throw bad(`name a scenario: hubcheck load SCENARIO; one of: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  const engine = opts.engine ?? 'fleet';
  if (engine !== 'fleet' && engine !== 'k6' && engine !== 'k6-runtime') throw bad(`--engine ${engine}: use fleet, k6 (a k6 with xk6-mqtt you bring) or k6-runtime (the k6 scripts on hubcheck's emulation, no k6 needed)`);
  let segment: [number, number] | undefined;
  if (opts.segment !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(opts.segment);
    if (!m) throw bad(`--segment ${opts.segment}: use I/N, e.g. --segment 0/4 for the first of four segments`);
    segment = [Number(m[1]), Number(m[2])];
  }
  const thresholds = parseThresholds(opts.threshold);
  const common = {
    scenario,
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    ...(opts.reportDir !== undefined ? { reportDir: opts.reportDir } : {}),
    ...(opts.fixtures !== undefined ? { fixtures: opts.fixtures } : {}),
  };
  const out = (l: string) => write(l);
  if (engine === 'k6' || engine === 'k6-runtime') {
    const { runK6 } = await import('../../load/k6-engine.js');
    const outcome = await runK6({
      ...common, out, engine,
      devices: num('--devices', opts.devices, { int: true, min: 1, max: 10_000_000 }),
      duration: num('--duration', opts.duration, { min: 0.1, max: 86_400 }),
      ...(segment ? { segment } : {}),
    });
    printOutcome(outcome, write);
    return outcome.exitCode;
  }
  const { runLoad } = await import('../../load/run.js');
  const { progressWriter } = await import('../../load/report/progress.js');
  const progress = opts.progress === false ? undefined : progressWriter(process.stderr);
  const o = {
    ...common,
    devices: num('--devices', opts.devices, { int: true, min: 1, max: 10_000_000 }),
    duration: num('--duration', opts.duration, { min: 0.1, max: 86_400 }),
    rate: num('--rate', opts.rate, { min: 0.001, max: 1_000_000 }),
    qos: num('--qos', opts.qos, { int: true, min: 0, max: 1 }),
    connectRate: num('--connect-rate', opts.connectRate, { min: 0.1, max: 1_000_000 }),
    maxPending: num('--max-pending', opts.maxPending, { int: true, min: 1, max: 1_000_000 }),
    processes: num('--processes', opts.processes, { int: true, min: 0, max: 64 }),
    threads: num('--threads', opts.threads, { int: true, min: 0, max: 16 }),
    fixturesOffset: num('--fixtures-offset', opts.fixturesOffset, { int: true, min: 0 }),
    hubPid: num('--hub-pid', opts.hubPid, { int: true, min: 1 }),
    live: num('--live', opts.live, { int: true, min: 1, max: 1_000_000 }),
    messages: num('--messages', opts.messages, { int: true, min: 0, max: 8 }),
    qos1Share: num('--qos1-share', opts.qos1Share, { min: 0, max: 1 }),
    cycles: num('--cycles', opts.cycles, { int: true, min: 1, max: 255 }),
    dwell: num('--dwell', opts.dwell, { min: 0, max: 3600 }),
    ...(progress ? { onProgress: progress.point } : {}),
    ...(opts.localAddresses ? { localAddresses: parseLocalAddresses(opts.localAddresses) } : {}),
    ...(opts.keepDevices ? { keepDevices: true } : {}),
    ...(thresholds ? { thresholds } : {}),
    ...(segment ? { segment } : {}),
    out,
  };
  let outcome;
  try {
    outcome = await runLoad(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as unknown as Parameters<typeof runLoad>[0]);
  } finally {
    progress?.end();
  }
  printOutcome(outcome, write);
  return outcome.exitCode;
}

function printOutcome(outcome: { report: import('../../load/report/model.js').LoadReport; paths: { json: string; html: string } }, write: (s: string) => void): void {
  const r = outcome.report;
  const color = process.stdout.isTTY === true;
  const paint = (ok: boolean, s: string) => (color ? (ok ? pc.green(s) : pc.red(s)) : s);
  for (const [k, t] of Object.entries(r.metrics.trends)) write(`  ${k.padEnd(28)} n=${t.count} med ${t.med} ms  p95 ${t.p95} ms  p99 ${t.p99} ms  max ${t.max} ms`);
  const c = r.metrics.counters;
  write(`  connects ${c['mqtt_connects'] ?? 0}/${c['mqtt_connect_attempts'] ?? 0}  refused ${c['mqtt_connect_refused'] ?? 0}  errors ${c['mqtt_connect_errors'] ?? 0}  sent ${c['mqtt_messages_sent'] ?? 0}  received ${c['mqtt_messages_received'] ?? 0}  lost ${c['qos1_lost'] ?? 0}  dup ${c['qos1_duplicates'] ?? 0}  http ${c['http_reqs'] ?? 0}`);
  if (r.config['cycle']) {
    const cyc = (k: string) => (c[k] ?? 0).toLocaleString('en-US');
    write(`  identities ${cyc('identities')}: visited ${cyc('identities_visited')}  missed ${cyc('identities_missed')}  with loss ${cyc('identities_with_loss')}  with duplicates ${cyc('identities_with_duplicates')}  refused ${cyc('identities_refused')}  errored ${cyc('identities_errored')}`);
    write(`  visits ${cyc('cycle_visits')} (${(Math.round(((c['mqtt_connects'] ?? 0) / Math.max(0.001, r.durationS)) * 10) / 10).toLocaleString('en-US')} connects/s)  lost ${cyc('cycle_lost')} (QoS 0 ${cyc('cycle_lost{qos:0}')}, QoS 1 ${cyc('cycle_lost{qos:1}')})  duplicates ${cyc('cycle_duplicates')}  timeouts ${cyc('cycle_visit_timeouts')}`);
    const refusals = Object.entries(c).filter(([k]) => k.startsWith('mqtt_connect_refused{')).map(([k, v]) => `${k.slice(21, -1)} × ${v}`);
    if (refusals.length) write(`  refusals by CONNACK ${refusals.join(', ')}`);
  }
  for (const t of r.thresholds) write(`  ${paint(t.ok, t.ok ? 'ok  ' : 'FAIL')} ${t.metric} ${t.expression} (${t.value ?? t.note})`);
  if (r.skipped) write(`SKIPPED: ${r.skipped}`);
  else write(paint(r.passed, r.passed ? 'load: all thresholds met' : 'load: thresholds failed'));
  write(`reports: ${outcome.paths.html}\n         ${outcome.paths.json}`);
}

export async function reportCompareCommand(a: string, b: string, opts: { tolerance?: string; floor?: string }, write: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  const tolerance = num('--tolerance', opts.tolerance ?? '0.1', { min: 0, max: 100 })!;
  const floor = num('--floor', opts.floor ?? '1', { min: 0 })!;
  const { readLoadReport, compareReports, formatRegressions, readBenchFile } = await import('../../load/report/compare.js');
  const [ba, bb] = await Promise.all([readBenchFile(a), readBenchFile(b)]);
  if (ba || bb) {
    // bench files (reports/bench/*.json): the change of every figure; exit 1 when one got worse beyond the tolerance
    if (!ba || !bb) throw bad(`report compare: ${ba ? b : a} is not a bench file; give two files from reports/bench/ (or two load.json)`);
    const { compareBench, formatBenchChanges } = await import('../../load/report/bench.js');
    const changes = compareBench(ba, bb, tolerance);
    write(formatBenchChanges(a, b, changes, tolerance));
    return changes.some((c) => c.worse) ? 1 : 0;
  }
  const [ra, rb] = await Promise.all([readLoadReport(a), readLoadReport(b)]);
  if (ra.scenario !== rb.scenario) write(`note: comparing different scenarios (${ra.scenario} vs ${rb.scenario})`);
  const regs = compareReports(ra, rb, tolerance, floor);
  write(formatRegressions(a, b, regs, tolerance));
  return regs.length ? 1 : 0;
}

export async function reportMergeCommand(files: string[], opts: { out?: string }, write: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<number> {
  if (files.length < 2) throw bad('report merge: give at least two load.json files (one per shard)');
  const { readLoadReport } = await import('../../load/report/compare.js');
  const { mergeReports } = await import('../../load/report/merge.js');
  const { writeLoadReport } = await import('../../load/run.js');
  const reports = await Promise.all(files.map(readLoadReport));
  const thresholds = (reports[0]!.config['thresholds'] as Record<string, string[]> | undefined) ?? {};
  let merged;
  try {
    merged = mergeReports(reports, thresholds);
  } catch (e) {
    throw bad(`report merge: ${(e as Error).message}`);
  }
  const { ROOT } = await import('../runner/paths.js');
  const dir = opts.out ?? `${ROOT}/reports/${merged.runId}`;
  const paths = await writeLoadReport(dir, merged);
  printOutcome({ report: merged, paths }, write);
  return merged.passed ? 0 : 1;
}
