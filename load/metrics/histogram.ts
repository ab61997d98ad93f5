/** HDR histograms in microseconds: build, encode for transport between workers and shards, decode and merge losslessly. */
import * as hdr from 'hdr-histogram-js';

/** One hour in µs: anything slower is a timeout, not a latency. */
const HIGHEST_US = 3_600_000_000;

export type Histogram = hdr.Histogram;

/**
 * 'packed' is small when sparse (totals and the many interval histograms of a timeline); 32-bit buckets are several
 * times faster to record into, so the engines' hot path uses them (about 180 KiB each, a handful per engine).
 */
export function newHistogram(kind: 'packed' | 'fast' = 'packed'): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: kind === 'fast' ? 32 : 'packed',
    autoResize: false,
    useWebAssembly: false,
  });
}

/** Records a latency in µs, clamped into the trackable range (a value of 0 becomes 1). */
export function recordUs(h: Histogram, us: number, expectedIntervalUs = 0): void {
  const v = Math.min(HIGHEST_US, Math.max(1, Math.round(us)));
  if (expectedIntervalUs > 0) h.recordValueWithExpectedInterval(v, Math.round(expectedIntervalUs));
  else h.recordValue(v);
}

/** Sub-bucket magnitude of 3 significant digits (HDR: 2 × 10^3 → 2048 sub-buckets, half of them 1024 = 2^10). */
const HALF_MAGNITUDE = 10;
const HALF_COUNT = 1 << HALF_MAGNITUDE;
/** Buckets that reach HIGHEST_US (< 2^32). */
const BUCKETS = 32 - HALF_MAGNITUDE;

/**
 * Counts on HDR's own bucket layout (1 µs resolution below 2,048 µs, 3 significant digits above), recorded with integer
 * arithmetic into one Int32Array: no allocation, no Math.pow/log2 per value. Folded into an HDR histogram per drain.
 */
export class FastRecorder {
  readonly counts = new Int32Array((BUCKETS + 1) * HALF_COUNT);
  total = 0;

  record(us: number): void {
    const v = us >= HIGHEST_US ? HIGHEST_US : us < 1 || us !== us ? 1 : Math.round(us);
    const bucket = Math.max(0, 31 - Math.clz32(v) - HALF_MAGNITUDE);
    this.counts[(bucket + 1) * HALF_COUNT + (v >>> bucket) - HALF_COUNT]!++;
    this.total++;
  }

  /** Adds the counts into `h` (each at its bucket's lowest value, which HDR maps back to the same bucket) and clears. */
  foldInto(h: Histogram): void {
    if (!this.total) return;
    const c = this.counts;
    for (let i = 0; i < c.length; i++) {
      const n = c[i]!;
      if (!n) continue;
      const bucket = i < 2 * HALF_COUNT ? 0 : (i >> HALF_MAGNITUDE) - 1;
      const sub = i - (bucket + 1) * HALF_COUNT + HALF_COUNT;
      h.recordValueWithCount(sub * 2 ** bucket, n);
      c[i] = 0;
    }
    this.total = 0;
  }
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s, 'packed', false);
}

/** Adds encoded histograms together: counts add, so percentiles of the sum are exact (never average percentiles). */
export function mergeEncoded(parts: readonly string[]): Histogram {
  const total = newHistogram();
  for (const p of parts) {
    const h = decode(p);
    total.add(h);
    h.destroy();
  }
  return total;
}

export interface TrendSummary {
  count: number;
  min: number;
  max: number;
  avg: number;
  med: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** k6-style summary in milliseconds. */
export function summarize(h: Histogram): TrendSummary {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, min: 0, max: 0, avg: 0, med: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    max: ms(h.maxValue),
    avg: ms(h.mean),
    med: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
  };
}

/** A percentile (0–100) in milliseconds. */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000;
}
