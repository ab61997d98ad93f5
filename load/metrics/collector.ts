/** Counters and HDR histograms of one worker, drained as deltas each tick so the coordinator can build both totals and time series. */
import { FastRecorder, encode, newHistogram, recordUs, type Histogram } from './histogram.js';

/** What a worker sends each tick: counts and histograms since the previous tick, plus gauges. */
export interface MetricsDelta {
  counters: Record<string, number>;
  histograms: Record<string, string>;
  gauges: Record<string, number>;
}

export class Collector {
  private counters: Record<string, number> = {};
  private readonly histograms = new Map<string, Histogram>();
  private readonly recorders = new Map<string, FastRecorder>();
  readonly gauges: Record<string, number> = {};

  add(name: string, n = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }

  recordUs(name: string, us: number, expectedIntervalUs = 0): void {
    recordUs(this.histogram(name), us, expectedIntervalUs);
  }

  private histogram(name: string): Histogram {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = newHistogram('fast')));
    return h;
  }

  /** A recorder for a hot path to hold and record into without a lookup or allocation per value; folded in at each drain. */
  recorder(name: string): FastRecorder {
    let r = this.recorders.get(name);
    if (!r) this.recorders.set(name, (r = new FastRecorder()));
    return r;
  }

  /** Returns everything since the last drain and starts afresh. */
  drain(): MetricsDelta {
    const histograms: Record<string, string> = {};
    for (const [name, r] of this.recorders) r.foldInto(this.histogram(name));
    for (const [name, h] of this.histograms) {
      if (h.totalCount > 0) histograms[name] = encode(h);
      h.reset();
    }
    const counters = this.counters;
    this.counters = {};
    return { counters, histograms, gauges: { ...this.gauges } };
  }
}
