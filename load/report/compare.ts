/** `hubcheck report compare A B`: what got worse from run A (baseline) to run B, metric by metric, beyond a tolerance. */
import { readFile } from 'node:fs/promises';
import { HubcheckError } from '../../src/errors.js';
import { LOAD_REPORT_SCHEMA, type LoadReport } from './model.js';
import { isBenchFile, type BenchFile } from './bench.js';

/** Absolute drop of a success rate (0–1) that counts as a regression. */
export const RATE_TOLERANCE = 0.005;

export interface Regression {
  metric: string;
  baseline: number;
  current: number;
  /** Relative change, positive when worse. */
  worse: number;
}

/** Which direction is better for a metric: latencies, failures and losses should fall; successes and throughput should rise. */
function lowerIsBetter(metric: string): boolean {
  return !/(success|delivery$|mqtt_connects$|qos1_acked|_received$|http_reqs$|throughput)/.test(metric);
}

/** Flattens a report into comparable numbers: trend percentiles, counters, rates, throughput per second. */
export function comparable(r: LoadReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(r.metrics.trends)) for (const q of ['med', 'p95', 'p99', 'max'] as const) out[`${k}.${q}`] = t[q];
  for (const [k, v] of Object.entries(r.metrics.rates)) out[k] = v;
  for (const k of ['qos1_lost', 'qos1_duplicates', 'mqtt_connect_refused', 'mqtt_connect_errors', 'mqtt_disconnects', 'slots_missed', 'request_failures', 'http_req_failures', 'c2d_lost']) {
    if (k in r.metrics.counters) out[k] = r.metrics.counters[k]!;
  }
  const d = r.durationS || 1;
  if (r.metrics.counters['mqtt_messages_received']) out['throughput.received_per_s'] = r.metrics.counters['mqtt_messages_received'] / d;
  if (r.metrics.counters['http_reqs']) out['throughput.http_reqs_per_s'] = r.metrics.counters['http_reqs'] / d;
  return out;
}

/**
 * Regressions of B against A. `tolerance` is relative (0.1 = 10 % worse is still fine); `floor` ignores tiny absolute
 * changes (e.g. 0.2 ms → 0.3 ms is +50 % but meaningless), in the metric's unit.
 */
export function compareReports(a: LoadReport, b: LoadReport, tolerance = 0.1, floor = 1): Regression[] {
  const ca = comparable(a);
  const cb = comparable(b);
  const out: Regression[] = [];
  for (const [metric, base] of Object.entries(ca)) {
    const cur = cb[metric];
    if (cur === undefined) continue;
    const lower = lowerIsBetter(metric);
    const delta = lower ? cur - base : base - cur;
    if (metric in a.metrics.rates) {
      // Rates live near 1: half a percentage point down is a regression whatever the relative tolerance.
      if (delta > RATE_TOLERANCE) out.push({ metric, baseline: base, current: cur, worse: delta });
      continue;
    }
    if (delta <= floor) continue;
    const worse = base === 0 ? Infinity : delta / Math.abs(base);
    if (worse > tolerance) out.push({ metric, baseline: base, current: cur, worse });
  }
  return out.sort((x, y) => y.worse - x.worse);
}

/** The bench file at `path`, or undefined when it is something else (a load report, or not JSON: readLoadReport says why). */
export async function readBenchFile(path: string): Promise<BenchFile | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(path, 'utf8'));
    return isBenchFile(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function readLoadReport(path: string): Promise<LoadReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HubcheckError('BAD_OPTION', `cannot read load report ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; give the path of a load.json`);
  }
  let r: LoadReport;
  try {
    r = JSON.parse(text) as LoadReport;
  } catch {
    throw new HubcheckError('BAD_OPTION', `${path} is not JSON; give the path of a load.json written by hubcheck load`);
  }
  if (r?.schema !== LOAD_REPORT_SCHEMA) throw new HubcheckError('BAD_OPTION', `${path}: schema is ${JSON.stringify(r?.schema)}, expected "${LOAD_REPORT_SCHEMA}" (a load.json written by hubcheck load)`);
  return r;
}

export function formatRegressions(a: string, b: string, regs: Regression[], tolerance: number): string {
  if (!regs.length) return `no regressions from ${a} to ${b} beyond ${Math.round(tolerance * 100)} %`;
  const lines = regs.map((r) => `  ${r.metric.padEnd(40)} ${fmt(r.baseline).padStart(10)} → ${fmt(r.current).padStart(10)}  ${Number.isFinite(r.worse) ? `${(r.worse * 100).toFixed(0)} % worse` : 'was 0'}`);
  return `${regs.length} regression(s) from ${a} to ${b} beyond ${Math.round(tolerance * 100)} %:\n${lines.join('\n')}`;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}
