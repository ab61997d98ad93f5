/** k6's four metric sinks and the values its summary and thresholds read from them (k6 metrics/sink.go semantics). */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type ValueType = 'default' | 'time' | 'data';

export interface Sink {
  add(v: number): void;
  isEmpty(): boolean;
  /** Aggregates by threshold/summary key (count, rate, value, min, max, avg, med, p(N), passes, fails). */
  values(durationS: number, percentiles: number[]): Record<string, number>;
}

export class CounterSink implements Sink {
  private count = 0;
  private seen = false;
  add(v: number): void { this.count += v; this.seen = true; }
  isEmpty(): boolean { return !this.seen; }
  values(durationS: number): Record<string, number> {
    return { count: this.count, rate: durationS > 0 ? this.count / durationS : 0 };
  }
}

export class GaugeSink implements Sink {
  private value = 0;
  private min = Infinity;
  private max = -Infinity;
  private seen = false;
  add(v: number): void {
    this.value = v; this.seen = true;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  isEmpty(): boolean { return !this.seen; }
  values(): Record<string, number> {
    return this.seen ? { value: this.value, min: this.min, max: this.max } : { value: 0, min: 0, max: 0 };
  }
}

export class RateSink implements Sink {
  private trues = 0;
  private total = 0;
  add(v: number): void { this.total++; if (v !== 0) this.trues++; }
  isEmpty(): boolean { return this.total === 0; }
  /** No `rate` while empty: k6 leaves it out to avoid 0/0, so a rate threshold on an unused metric is not evaluated. */
  values(): Record<string, number> {
    const out: Record<string, number> = { passes: this.trues, fails: this.total - this.trues };
    if (this.total > 0) out['rate'] = this.trues / this.total;
    return out;
  }
}

export class TrendSink implements Sink {
  private readonly samples: number[] = [];
  private sorted = true;
  private sum = 0;
  add(v: number): void {
    if (this.samples.length && v < this.samples[this.samples.length - 1]!) this.sorted = false;
    this.samples.push(v);
    this.sum += v;
  }
  isEmpty(): boolean { return this.samples.length === 0; }
  /** k6's TrendSink.P: linear interpolation between the two closest ranks; 0 when empty. */
  p(pct: number): number {
    const n = this.samples.length;
    if (n === 0) return 0;
    if (!this.sorted) { this.samples.sort((a, b) => a - b); this.sorted = true; }
    if (n === 1) return this.samples[0]!;
    const i = pct * (n - 1);
    const lo = this.samples[Math.floor(i)]!;
    const hi = this.samples[Math.ceil(i)]!;
    return lo + (hi - lo) * (i - Math.floor(i));
  }
  values(_durationS: number, percentiles: number[]): Record<string, number> {
    const n = this.samples.length;
    const out: Record<string, number> = {
      count: n,
      avg: n ? this.sum / n : 0,
      min: n ? this.p(0) : 0,
      med: this.p(0.5),
      max: n ? this.p(1) : 0,
    };
    for (const q of percentiles) out[`p(${q})`] = this.p(q / 100);
    return out;
  }
}

export function newSink(type: MetricType): Sink {
  switch (type) {
    case 'counter': return new CounterSink();
    case 'gauge': return new GaugeSink();
    case 'rate': return new RateSink();
    case 'trend': return new TrendSink();
  }
}
