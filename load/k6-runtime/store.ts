/** The run's metric registry: one sink per metric and per submetric a threshold names, fed by the samples every VU sends. */
import { newSink, type MetricType, type Sink, type ValueType } from './sinks.js';
import { checkAggregation, evaluate, parseMetricKey, parseThreshold, ThresholdError, type ParsedThreshold, type ThresholdInput } from './thresholds.js';

export interface MetricDef { name: string; type: MetricType; contains: ValueType }
export interface Sample { m: string; v: number; tags: Record<string, string> }

export interface ThresholdResult {
  /** The key as written in options.thresholds, e.g. delivery_latency{qos:1}. */
  metric: string;
  expression: string;
  ok: boolean;
  /** The aggregate compared, or null when k6 would not evaluate it (a Rate with no samples). */
  value: number | null;
}

interface Series { def: MetricDef; sink: Sink; subs: { key: string; tags: [string, string][]; sink: Sink }[] }
interface Bound { key: string; metric: string; sink: () => Sink; def: MetricDef; thresholds: ParsedThreshold[] }

/** Registers the same name twice only with the same type and value type, as k6's registry does. */
export function sameDef(a: MetricDef, b: MetricDef): string | undefined {
  if (a.type !== b.type) return `metric '${a.name}' already exists but with type ${a.type}, instead of ${b.type}`;
  if (a.contains !== b.contains) return `metric '${a.name}' already exists but with a value type ${a.contains}, instead of ${b.contains}`;
  return undefined;
}

export class MetricStore {
  private readonly series = new Map<string, Series>();
  private bound: Bound[] = [];

  define(def: MetricDef): void {
    const old = this.series.get(def.name);
    if (old) {
      const err = sameDef(old.def, def);
      if (err) throw new ThresholdError(err);
      return;
    }
    this.series.set(def.name, { def, sink: newSink(def.type), subs: [] });
  }

  has(name: string): boolean { return this.series.has(name); }

  /** Binds options.thresholds to defined metrics; k6 refuses unknown metrics and wrong aggregations before any VU runs. */
  bindThresholds(thresholds: Record<string, ThresholdInput[] | ThresholdInput>): void {
    this.bound = [];
    for (const [key, list] of Object.entries(thresholds)) {
      const { name, tags } = parseMetricKey(key);
      const s = this.series.get(name);
      if (!s) throw new ThresholdError(`invalid threshold defined on ${key}; reason: no metric name "${name}" found`);
      const parsed = (Array.isArray(list) ? list : [list]).map(parseThreshold);
      for (const t of parsed) checkAggregation(t, key, s.def.type);
      const tagList = Object.entries(tags);
      let sink = () => s.sink;
      if (tagList.length) {
        let sub = s.subs.find((x) => x.key === key);
        if (!sub) { sub = { key, tags: tagList, sink: newSink(s.def.type) }; s.subs.push(sub); }
        const found = sub;
        sink = () => found.sink;
      }
      this.bound.push({ key, metric: name, sink, def: s.def, thresholds: parsed });
    }
  }

  add(sample: Sample): void {
    const s = this.series.get(sample.m);
    if (!s) return;
    s.sink.add(sample.v);
    for (const sub of s.subs) if (sub.tags.every(([k, v]) => sample.tags[k] === v)) sub.sink.add(sample.v);
  }

  /**
   * Evaluates every threshold. During the run (ignoreEmpty) k6 skips empty sinks; at the end it evaluates them too,
   * so an unused Counter has count 0 and an unused Trend has 0 everywhere, while an unused Rate has no rate at all.
   */
  evaluate(durationS: number, ignoreEmpty: boolean): { results: ThresholdResult[]; abort: boolean } {
    const results: ThresholdResult[] = [];
    let abort = false;
    for (const b of this.bound) {
      const sink = b.sink();
      if (ignoreEmpty && sink.isEmpty()) continue;
      const values = sink.values(durationS, b.thresholds.flatMap((t) => (t.percentile !== undefined ? [t.percentile] : [])));
      for (const t of b.thresholds) {
        const r = evaluate(t, values);
        results.push({ metric: b.key, expression: t.source, ok: r?.ok ?? true, value: r?.value ?? null });
        if (r && !r.ok && t.abortOnFail && durationS >= t.delayAbortEvalS) abort = true;
      }
    }
    return { results, abort };
  }

  /** Metrics for the summary: those with samples, plus any a threshold names (k6 shows both), submetrics under their keys. */
  entries(): { key: string; def: MetricDef; sink: Sink }[] {
    const out: { key: string; def: MetricDef; sink: Sink }[] = [];
    const withThresholds = new Set(this.bound.map((b) => b.key));
    for (const s of this.series.values()) {
      if (!s.sink.isEmpty() || withThresholds.has(s.def.name)) out.push({ key: s.def.name, def: s.def, sink: s.sink });
      for (const sub of s.subs) out.push({ key: sub.key, def: s.def, sink: sub.sink });
    }
    return out;
  }
}
