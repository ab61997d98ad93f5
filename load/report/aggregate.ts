/** Folds engine deltas into run totals and a timeline; turns totals into the report's counters, rates and trends. */
import type { MetricsDelta } from '../metrics/collector.js';
import { decode, encode, mergeEncoded, newHistogram, percentileMs, summarize, type Histogram, type TrendSummary } from '../metrics/histogram.js';
import { INVERTED_RATES, RATES } from '../metrics/names.js';
import type { TimelinePoint } from './model.js';

export class Aggregate {
  readonly counters: Record<string, number> = {};
  readonly totals = new Map<string, Histogram>();
  private interval: { counters: Record<string, number>; histograms: Map<string, Histogram> } = { counters: {}, histograms: new Map() };
  private readonly gauges = new Map<string, Record<string, number>>();
  readonly timeline: TimelinePoint[] = [];

  add(source: string, d: MetricsDelta): void {
    for (const [k, v] of Object.entries(d.counters)) {
      this.counters[k] = (this.counters[k] ?? 0) + v;
      this.interval.counters[k] = (this.interval.counters[k] ?? 0) + v;
    }
    for (const [k, enc] of Object.entries(d.histograms)) {
      const h = decode(enc);
      let total = this.totals.get(k);
      if (!total) this.totals.set(k, (total = newHistogram()));
      total.add(h);
      let iv = this.interval.histograms.get(k);
      if (!iv) this.interval.histograms.set(k, (iv = newHistogram()));
      iv.add(h);
      h.destroy();
    }
    this.gauges.set(source, d.gauges);
  }

  gauge(name: string): number {
    let sum = 0;
    for (const g of this.gauges.values()) sum += g[name] ?? 0;
    return sum;
  }

  /** Closes the current interval as a timeline point at t seconds. */
  tick(t: number, extra: Pick<TimelinePoint, 'generator' | 'hub'> = {}): TimelinePoint {
    const latency: TimelinePoint['latency'] = {};
    const histograms: Record<string, string> = {};
    for (const [k, h] of this.interval.histograms) {
      latency[k] = { p50: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99) };
      histograms[k] = encode(h);
      h.destroy();
    }
    const point: TimelinePoint = {
      t: Math.round(t * 100) / 100, sessions: this.gauge('sessions'), pending: this.gauge('pending'),
      counters: this.interval.counters, histograms, latency, ...extra,
    };
    this.timeline.push(point);
    this.interval = { counters: {}, histograms: new Map() };
    return point;
  }

  encodedTotals(): Record<string, string> {
    return Object.fromEntries([...this.totals].map(([k, h]) => [k, encode(h)]));
  }
}

/** Derived success/failure rates from counter pairs (absent when the denominator is 0). */
export function rates(counters: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, [num, den]] of Object.entries(RATES)) {
    const d = counters[den] ?? 0;
    if (d === 0) continue;
    const r = (counters[num] ?? 0) / d;
    out[name] = Math.round((INVERTED_RATES.has(name) ? 1 - r : r) * 1e6) / 1e6;
  }
  return out;
}

export function trends(histograms: Record<string, string>): Record<string, TrendSummary> {
  const out: Record<string, TrendSummary> = {};
  for (const [k, enc] of Object.entries(histograms)) {
    const h = mergeEncoded([enc]);
    out[k] = summarize(h);
    h.destroy();
  }
  return out;
}
