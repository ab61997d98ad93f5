/** Merges shard reports (separate processes or machines running slices of one scenario) into one: counters add, HDR histograms add, timelines align by time. */
import { decode, encode, mergeEncoded, percentileMs } from '../metrics/histogram.js';
import { rates, trends } from './aggregate.js';
import { evaluate } from '../slo.js';
import type { LoadReport, ResourceSummary, TimelinePoint } from './model.js';

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function mergeHistograms(parts: Record<string, string>[]): Record<string, string> {
  const names = new Set(parts.flatMap((p) => Object.keys(p)));
  const out: Record<string, string> = {};
  for (const n of names) {
    const h = mergeEncoded(parts.map((p) => p[n]).filter((x): x is string => !!x));
    out[n] = encode(h);
    h.destroy();
  }
  return out;
}

function sumResources(rs: (ResourceSummary | undefined)[]): ResourceSummary | undefined {
  const have = rs.filter((r): r is ResourceSummary => !!r);
  if (!have.length) return undefined;
  return {
    cpuPctAvg: have.reduce((a, r) => a + r.cpuPctAvg, 0),
    cpuPctMax: have.reduce((a, r) => a + r.cpuPctMax, 0), // upper bound: the maxima need not coincide
    rssMiBMax: have.reduce((a, r) => a + r.rssMiBMax, 0),
  };
}

/**
 * Shards of one `--segment I/N` run must all be there, once each: a shard whose pod or container failed before writing
 * its report would otherwise leave a merged report that passes on part of the fleet. Reports without a segment (whole
 * runs on separate machines, or merged reports) are merged as given, but not mixed with segments.
 */
export function checkSegments(reports: LoadReport[]): void {
  const segs = reports.map((r) => (typeof r.config['segment'] === 'string' ? r.config['segment'] : undefined));
  if (segs.every((s) => s === undefined)) return;
  const whole = reports.filter((_, k) => segs[k] === undefined).map((r) => r.runId);
  if (whole.length) throw new Error(`${whole.join(', ')} ran no --segment while the others did; merge the shards of one segmented run only`);
  const parsed = segs.map((s) => /^(\d+)\/(\d+)$/.exec(s!)).map((m, k) => {
    if (!m) throw new Error(`${reports[k]!.runId}: segment "${segs[k]}" is not I/N`);
    return { i: Number(m[1]), n: Number(m[2]), runId: reports[k]!.runId };
  });
  const counts = new Set(parsed.map((p) => p.n));
  if (counts.size > 1) throw new Error(`the shards were cut in different ways (segments of ${[...counts].sort().join(' and ')}); merge the shards of one run`);
  const n = parsed[0]!.n;
  const seen = new Map<number, string>();
  for (const p of parsed) {
    const other = seen.get(p.i);
    if (other) throw new Error(`segment ${p.i}/${n} appears twice (${other} and ${p.runId}); give each shard's load.json once`);
    seen.set(p.i, p.runId);
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new Error(`segment${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing: a run of ${n} shards merges all ${n}; rerun the missing shard${missing.length > 1 ? 's' : ''} and merge again`);
}

function withoutSegment(config: Record<string, unknown>): Record<string, unknown> {
  const { segment: _segment, ...rest } = config;
  return rest;
}

/** Merges reports of one scenario; thresholds are judged again on the merged metrics (per-shard verdicts do not add up). */
export function mergeReports(reports: LoadReport[], thresholds: Record<string, string[]>): LoadReport {
  if (!reports.length) throw new Error('nothing to merge');
  const first = reports[0]!;
  const names = new Set(reports.map((r) => r.scenario));
  if (names.size > 1) throw new Error(`cannot merge different scenarios: ${[...names].join(', ')}`);
  checkSegments(reports);
  const counters: Record<string, number> = {};
  for (const r of reports) addCounts(counters, r.metrics.counters);
  const histograms = mergeHistograms(reports.map((r) => r.metrics.histograms));
  // Timelines: bucket by whole second of t (shards tick on their own clocks).
  const buckets = new Map<number, TimelinePoint[]>();
  for (const r of reports) for (const p of r.timeline) {
    const k = Math.round(p.t);
    buckets.set(k, [...(buckets.get(k) ?? []), p]);
  }
  const timeline: TimelinePoint[] = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, ps]) => {
    const c: Record<string, number> = {};
    for (const p of ps) addCounts(c, p.counters);
    const hs = mergeHistograms(ps.map((p) => p.histograms));
    const latency: TimelinePoint['latency'] = {};
    for (const [k, enc] of Object.entries(hs)) {
      const h = decode(enc);
      latency[k] = { p50: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99) };
      h.destroy();
    }
    const gen = ps.filter((p) => p.generator);
    const hub = ps.filter((p) => p.hub);
    return {
      t, sessions: ps.reduce((a, p) => a + p.sessions, 0), pending: ps.reduce((a, p) => a + p.pending, 0), counters: c, histograms: hs, latency,
      ...(gen.length ? { generator: { cpuPct: gen.reduce((a, p) => a + p.generator!.cpuPct, 0), rssMiB: gen.reduce((a, p) => a + p.generator!.rssMiB, 0) } } : {}),
      ...(hub.length ? { hub: hub[0]!.hub! } : {}),
    };
  });
  const metrics: LoadReport['metrics'] = { counters, rates: rates(counters), trends: trends(histograms), histograms };
  const verdicts = evaluate(thresholds, metrics);
  const gen = sumResources(reports.map((r) => r.resources.generator));
  const hub = reports.find((r) => r.resources.hub)?.resources.hub;
  const sizes = reports.map((r) => r.config['devices']);
  const devices = sizes.every((d): d is number => typeof d === 'number') ? sizes.reduce((a, d) => a + d, 0) : undefined;
  return {
    ...first,
    runId: `${first.runId}-merged`,
    durationS: Math.max(...reports.map((r) => r.durationS)),
    // the whole fleet, not the first shard's slice; the merged report is of no one segment
    config: { ...withoutSegment(first.config), ...(devices !== undefined ? { devices } : {}), shards: reports.map((r) => r.config) },
    notes: [`merged from ${reports.length} shard reports: ${reports.map((r) => r.runId).join(', ')}`, ...new Set(reports.flatMap((r) => r.notes))],
    metrics,
    resources: { ...(gen ? { generator: gen } : {}), ...(hub ? { hub } : {}), hubMeasured: first.resources.hubMeasured },
    timeline,
    thresholds: verdicts,
    passed: verdicts.every((v) => v.ok),
    shards: reports.reduce((a, r) => a + (r.shards ?? 1), 0),
  };
}
