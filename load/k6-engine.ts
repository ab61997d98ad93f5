/**
 * `hubcheck load --engine k6 SCENARIO`: runs load/k6/<scenario>.ts with a k6 built with xk6-mqtt and turns its summary into a load report;
 * `--engine k6-runtime` runs the same script through load/k6-runtime (no k6 needed) into the same report.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CloudApi } from '../src/client/cloud-api.js';
import { HubcheckError } from '../src/errors.js';
import { newRunId } from '../src/report/write.js';
import { ROOT } from '../src/runner/paths.js';
import { loadDescriptor, type TargetDescriptor } from '../src/target/descriptor.js';
import { launch } from '../src/target/launch.js';
import { deprovision, FIXTURES_HEADER, provisionViaApi } from './fleet/credentials.js';
import { LOAD_REPORT_SCHEMA, type LoadReport } from './report/model.js';
import { checkLoopback, writeLoadReport } from './run.js';
import type { TrendSummary } from './metrics/histogram.js';

export interface K6Options {
  scenario: string;
  target?: string;
  devices?: number | undefined;
  duration?: number | undefined;
  fixtures?: string;
  reportDir?: string;
  /** [i, n]: run execution segment i of n (k6 --execution-segment), for sharding across processes or machines. */
  segment?: [number, number];
  /** Extra script environment (k6 -e), e.g. HUBCHECK_SESSIONS_PER_VU. */
  env?: Record<string, string>;
  /** k6 (a k6 binary the user brings) or k6-runtime (this repository's emulation, for dry runs without k6). */
  engine?: 'k6' | 'k6-runtime';
  out?: (line: string) => void;
}

const K6_SCENARIOS = ['telemetry', 'idle-hold', 'connect-storm'];

/** The k6 binary: $K6_BIN, a cached build in ~/.cache/hubcheck/k6, or k6 on PATH (hubcheck does not build k6: it is AGPL). */
export function findK6(): string | undefined {
  const candidates = [process.env['K6_BIN'], join(homedir(), '.cache/hubcheck/k6/k6')].filter((x): x is string => !!x);
  for (const c of candidates) if (existsSync(c)) return c;
  for (const dir of (process.env['PATH'] ?? '').split(':')) if (dir && existsSync(join(dir, 'k6'))) return join(dir, 'k6');
  return undefined;
}

/** k6 segment boundaries as fractions, e.g. 1/4 → "0:1/4" with the full sequence, so shards never overlap. */
export function segmentArgs([i, n]: [number, number]): string[] {
  const f = (k: number) => (k === 0 ? '0' : k === n ? '1' : `${k}/${n}`);
  return ['--execution-segment', `${f(i)}:${f(i + 1)}`, '--execution-segment-sequence', Array.from({ length: n + 1 }, (_, k) => f(k)).join(',')];
}

type K6Summary = { metrics: Record<string, Record<string, number> & { thresholds?: Record<string, boolean> }> };

/** Turns k6's --summary-export into the load report's metrics (no HDR histograms: k6 exports percentiles only). */
export function fromK6Summary(summary: K6Summary): Pick<LoadReport['metrics'], 'counters' | 'rates' | 'trends'> & { thresholds: LoadReport['thresholds'] } {
  const counters: Record<string, number> = {};
  const rates: Record<string, number> = {};
  const trends: Record<string, TrendSummary> = {};
  const thresholds: LoadReport['thresholds'] = [];
  for (const [name, m] of Object.entries(summary.metrics)) {
    if ('p(95)' in m) {
      trends[name] = { count: m['count'] ?? 0, min: m['min'] ?? 0, max: m['max'] ?? 0, avg: m['avg'] ?? 0, med: m['med'] ?? 0, p90: m['p(90)'] ?? 0, p95: m['p(95)'] ?? 0, p99: m['p(99)'] ?? 0, p999: m['p(99.9)'] ?? 0 };
    } else if ('rate' in m && !('count' in m)) rates[name] = m['rate']!;
    else if ('count' in m) counters[name] = m['count']!;
    else if ('value' in m) rates[name] = m['value']!;
    for (const [expression, failed] of Object.entries(m.thresholds ?? {})) {
      // the export has no value per threshold: read the aggregate it names, when the export carries it (a Rate's rate is `value`)
      const agg = /^\s*(p\([\d.]+\)|count|rate|value|avg|min|max|med)/.exec(expression)?.[1];
      const v = agg === undefined ? undefined : agg === 'rate' && !('count' in m) ? m['value'] : m[agg];
      thresholds.push({ metric: name, expression, value: typeof v === 'number' ? v : null, ok: !failed }); // k6 reports true when the threshold FAILED
    }
  }
  return { counters, rates, trends, thresholds };
}

export async function runK6(o: K6Options): Promise<{ report: LoadReport; paths: { json: string; html: string }; exitCode: number }> {
  const out = o.out ?? (() => {});
  if (!K6_SCENARIOS.includes(o.scenario)) throw new HubcheckError('BAD_OPTION', `--engine k6: no k6 script for ${o.scenario}; k6 scripts exist for ${K6_SCENARIOS.join(', ')} (load/k6/)`);
  const engine = o.engine ?? 'k6';
  if (engine === 'k6-runtime' && o.segment) throw new HubcheckError('BAD_OPTION', '--engine k6-runtime: execution segments need k6 itself; drop --segment or use --engine k6');
  const k6 = engine === 'k6' ? findK6() : 'hubcheck k6-runtime';
  if (!k6) throw new HubcheckError('BAD_OPTION', '--engine k6: no k6 binary with xk6-mqtt found (K6_BIN, ~/.cache/hubcheck/k6/k6 or PATH); bring a k6 built with xk6-mqtt (see docs/k6-operator.md) or use --engine fleet');
  // as the fleet engine: the embedded hub's resource bounds and API rates do not limit a load run
  const descriptor: TargetDescriptor = o.target ? loadDescriptor(o.target) : {
    launcher: 'embedded',
    embedded: { devicesPerProduct: 1_000_000, maxConnections: 1_000_000 },
    limits: { connectionsPerAddress: 1_000_000, apiRates: {} },
  };
  if (descriptor.launcher === 'external') checkLoopback('endpoints.mqtt', descriptor.endpoints!.mqtt!);
  const launched = await launch(descriptor);
  const target = launched.target;
  const api = new CloudApi({ endpoint: target.endpoints.api, ...target.cloudApi });
  const runId = newRunId();
  const dir = o.reportDir ?? join(ROOT, 'reports', runId);
  await mkdir(dir, { recursive: true });
  const devices = o.devices ?? 20;
  let provisioned: Awaited<ReturnType<typeof provisionViaApi>> | undefined;
  try {
    let fixtures = o.fixtures;
    if (!fixtures) {
      provisioned = await provisionViaApi(api, devices, `k6_${o.scenario.replace(/[^a-z0-9]/gi, '')}`);
      fixtures = join(dir, 'fixtures.csv');
      await writeFile(fixtures, [FIXTURES_HEADER, ...provisioned.devices.map((d) => `${d.productId},${d.deviceName},${d.psk}`)].join('\n') + '\n');
    }
    const summaryFile = join(dir, 'k6-summary.json');
    const script = join(ROOT, 'load/k6', `${o.scenario}.ts`);
    const args = ['run', '--quiet', '--summary-export', summaryFile, ...(o.segment ? segmentArgs(o.segment) : []), script];
    const scriptEnv = { HUBCHECK_MQTT: target.endpoints.mqtt, HUBCHECK_FIXTURES: fixtures, HUBCHECK_DEVICES: String(devices), HUBCHECK_DURATION: String(o.duration ?? 5), ...o.env };
    const started = Date.now();
    let code: number;
    if (engine === 'k6-runtime') {
      out(`load: k6-runtime ${script}`);
      const { runScript } = await import('./k6-runtime/runner.js');
      const r = await runScript({ script, env: scriptEnv, maxDurationS: (o.duration ?? 5) + 120, out });
      if (r.error) out(`load: k6-runtime: ${r.error}`);
      await writeFile(summaryFile, JSON.stringify(r.summaryExport, null, 2));
      code = r.exitCode;
    } else {
      const env = { ...process.env, ...scriptEnv, K6_NO_USAGE_REPORT: 'true' };
      out(`load: k6 ${args.join(' ')}`);
      code = await new Promise<number>((resolve, reject) => {
        const p = spawn(k6, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
        const kill = setTimeout(() => p.kill('SIGTERM'), ((o.duration ?? 5) + 120) * 1000);
        p.once('error', reject);
        p.once('exit', (c) => { clearTimeout(kill); resolve(c ?? 1); });
      });
    }
    const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as K6Summary;
    const m = fromK6Summary(summary);
    const report: LoadReport = {
      schema: LOAD_REPORT_SCHEMA, runId, scenario: o.scenario, description: `k6 script load/k6/${o.scenario}.ts${engine === 'k6-runtime' ? ' on the k6 runtime emulation' : ''}`, engine, target: target.name,
      startedAt: new Date(started).toISOString(), durationS: (Date.now() - started) / 1000,
      config: { devices, segment: o.segment ? `${o.segment[0]}/${o.segment[1]}` : undefined, k6 },
      notes: ['k6 exports percentiles, not HDR histograms: merge k6 shards by their summaries (k6-operator does), not losslessly', ...(engine === 'k6-runtime' ? ['run on hubcheck\'s k6 runtime emulation (load/k6-runtime), not on k6: a dry run of the script, not a k6 measurement'] : [])],
      metrics: { counters: m.counters, rates: m.rates, trends: m.trends, histograms: {} },
      resources: { hubMeasured: 'none' }, timeline: [], thresholds: m.thresholds, passed: code === 0 && m.thresholds.every((t) => t.ok),
    };
    const paths = await writeLoadReport(dir, report);
    return { report, paths, exitCode: code === 0 ? 0 : code === 99 ? 1 : 3 };
  } finally {
    if (provisioned) await deprovision(api, provisioned.productId, provisioned.devices).catch(() => {});
    await launched.stop();
  }
}
