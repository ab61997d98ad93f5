/** The end-of-test summary in k6's two JSON shapes: handleSummary's data, and the older --summary-export file. */
import type { MetricStore, ThresholdResult } from './store.js';
import type { MetricType, ValueType } from './sinks.js';

export interface CheckSummary { name: string; path: string; id: string; passes: number; fails: number }

/** The `data` k6 passes to handleSummary (and writes with --summary-mode/handleSummary JSON). */
export interface SummaryData {
  root_group: { name: ''; path: ''; id: string; groups: unknown[]; checks: CheckSummary[] };
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, { type: MetricType; contains: ValueType; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

/** --summary-export: values flattened beside the metric, a Rate's `rate` named `value`, and a threshold `true` when it FAILED. */
export type SummaryExport = {
  root_group: { name: ''; path: ''; id: string; groups: Record<string, unknown>; checks: Record<string, CheckSummary> };
  metrics: Record<string, Record<string, number> & { thresholds?: Record<string, boolean> }>;
};

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];
const ROOT_ID = 'd41d8cd98f00b204e9800998ecf8427e'; // k6 ids groups by md5 of their path; the root's path is ''

export function buildSummary(store: MetricStore, thresholds: ThresholdResult[], durationMs: number, checks: CheckSummary[], trendStats = DEFAULT_TREND_STATS): SummaryData {
  const percentiles = trendStats.flatMap((s) => { const m = /^p\(([\d.]+)\)$/.exec(s); return m ? [Number(m[1])] : []; });
  const metrics: SummaryData['metrics'] = {};
  for (const { key, def, sink } of store.entries()) {
    const all = sink.values(durationMs / 1000, percentiles);
    let values = all;
    if (def.type === 'trend') values = Object.fromEntries(trendStats.filter((s) => s in all).map((s) => [s, all[s]!]));
    if (def.type === 'rate' && !('rate' in values)) values = { ...values, rate: 0 }; // the summary shows 0 where thresholds see nothing
    const mine = thresholds.filter((t) => t.metric === key);
    metrics[key] = { type: def.type, contains: def.contains, values, ...(mine.length ? { thresholds: Object.fromEntries(mine.map((t) => [t.expression, { ok: t.ok }])) } : {}) };
  }
  return {
    root_group: { name: '', path: '', id: ROOT_ID, groups: [], checks },
    options: { summaryTrendStats: trendStats, summaryTimeUnit: '', noColor: false },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: durationMs },
    metrics,
  };
}

export function toSummaryExport(data: SummaryData): SummaryExport {
  const metrics: SummaryExport['metrics'] = {};
  for (const [name, m] of Object.entries(data.metrics)) {
    const flat: Record<string, number> = { ...m.values };
    if (m.type === 'rate') { flat['value'] = flat['rate'] ?? 0; delete flat['rate']; }
    metrics[name] = Object.assign(flat, m.thresholds ? { thresholds: Object.fromEntries(Object.entries(m.thresholds).map(([k, v]) => [k, !v.ok])) } : {});
  }
  return { root_group: { name: '', path: '', id: data.root_group.id, groups: {}, checks: Object.fromEntries(data.root_group.checks.map((c) => [c.name, c])) }, metrics };
}
