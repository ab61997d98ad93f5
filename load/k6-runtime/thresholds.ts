/** Thresholds as k6 parses and evaluates them: `<aggregation> <operator> <number>`, per metric type, with submetrics `name{tag:value}`. */
import type { MetricType } from './sinks.js';

export type Operator = '>' | '>=' | '<' | '<=' | '==' | '===' | '!=';

export interface ParsedThreshold {
  source: string;
  /** count, rate, value, min, max, avg, med, or p(N). */
  aggregation: string;
  /** N of p(N), else undefined. */
  percentile?: number;
  operator: Operator;
  value: number;
  abortOnFail: boolean;
  /** Seconds into the run before an abortOnFail threshold may abort it. */
  delayAbortEvalS: number;
}

/** A threshold as written in options.thresholds: a string, or the object form. */
export type ThresholdInput = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

export class ThresholdError extends Error {}

/** k6 tries the two-character operators before their one-character prefixes. */
const OPERATORS: Operator[] = ['>=', '<=', '===', '==', '!=', '>', '<'];

/** The aggregations k6 allows on each metric type (k6 metrics/thresholds.go). */
const ALLOWED: Record<MetricType, (a: string) => boolean> = {
  counter: (a) => a === 'count' || a === 'rate',
  gauge: (a) => a === 'value',
  rate: (a) => a === 'rate',
  trend: (a) => ['avg', 'min', 'max', 'med'].includes(a) || a.startsWith('p('),
};

export function parseThreshold(input: ThresholdInput): ParsedThreshold {
  const source = typeof input === 'string' ? input : input.threshold;
  if (typeof source !== 'string') throw new ThresholdError(`threshold ${JSON.stringify(input)}: expected a string like 'p(95)<200' or { threshold: 'p(95)<200', abortOnFail: true }`);
  let operator: Operator | undefined;
  let at = -1;
  for (const op of OPERATORS) {
    const i = source.indexOf(op);
    if (i > 0 && (at < 0 || i < at || (i === at && op.length > operator!.length))) { operator = op; at = i; }
  }
  if (!operator) throw new ThresholdError(`threshold '${source}': no operator; write <aggregation> <operator> <value>, e.g. 'p(95)<200' (operators > >= < <= == === !=)`);
  const aggregation = source.slice(0, at).trim();
  const rhs = source.slice(at + operator.length).trim();
  const value = Number(rhs);
  if (!rhs || !Number.isFinite(value)) throw new ThresholdError(`threshold '${source}': '${rhs}' is not a number`);
  let percentile: number | undefined;
  const p = /^p\(\s*([0-9]*\.?[0-9]+)\s*\)$/.exec(aggregation);
  if (p) {
    percentile = Number(p[1]);
    if (percentile < 0 || percentile > 100) throw new ThresholdError(`threshold '${source}': percentile ${percentile} is outside 0..100`);
  } else if (!['count', 'rate', 'value', 'min', 'max', 'avg', 'med'].includes(aggregation)) {
    throw new ThresholdError(`threshold '${source}': unknown aggregation '${aggregation}'; use count, rate, value, avg, min, max, med or p(N)`);
  }
  const obj = typeof input === 'string' ? undefined : input;
  return {
    source, aggregation: p ? `p(${percentile})` : aggregation, ...(percentile !== undefined ? { percentile } : {}),
    operator, value, abortOnFail: obj?.abortOnFail === true, delayAbortEvalS: obj?.delayAbortEval ? parseDurationS(obj.delayAbortEval) : 0,
  };
}

/** k6 refuses an aggregation the metric type has no value for (e.g. p(95) on a Counter) before the test starts. */
export function checkAggregation(t: ParsedThreshold, metric: string, type: MetricType): void {
  if (!ALLOWED[type](t.aggregation)) throw new ThresholdError(`threshold '${t.source}' on ${metric}: a ${type} metric has no '${t.aggregation}'; use ${type === 'counter' ? 'count or rate' : type === 'gauge' ? 'value' : type === 'rate' ? 'rate' : 'avg, min, max, med or p(N)'}`);
}

export function compare(lhs: number, op: Operator, rhs: number): boolean {
  switch (op) {
    case '>': return lhs > rhs;
    case '>=': return lhs >= rhs;
    case '<': return lhs < rhs;
    case '<=': return lhs <= rhs;
    case '==': case '===': return lhs === rhs;
    case '!=': return lhs !== rhs;
  }
}

/** The verdict over a sink's aggregates; undefined when the sink has no such value (an empty Rate: k6 logs it and leaves the threshold passing). */
export function evaluate(t: ParsedThreshold, values: Record<string, number>): { ok: boolean; value: number } | undefined {
  const v = values[t.aggregation];
  if (v === undefined) return undefined;
  return { ok: compare(v, t.operator, t.value), value: v };
}

/** `name{k:v,k2:v2}` → name and tags (k6 submetric syntax; quotes around values are optional). */
export function parseMetricKey(key: string): { name: string; tags: Record<string, string> } {
  const open = key.indexOf('{');
  if (open < 0) return { name: key.trim(), tags: {} };
  if (!key.endsWith('}')) throw new ThresholdError(`threshold metric '${key}': a submetric is written name{tag:value}`);
  const tags: Record<string, string> = {};
  for (const part of key.slice(open + 1, -1).split(',')) {
    const c = part.indexOf(':');
    if (c <= 0) throw new ThresholdError(`threshold metric '${key}': '${part.trim()}' is not tag:value`);
    tags[part.slice(0, c).trim()] = part.slice(c + 1).trim().replace(/^["'](.*)["']$/, '$1');
  }
  return { name: key.slice(0, open).trim(), tags };
}

/** k6 durations: "30s", "1m30s", "500ms", "2h", or a bare number of seconds. */
export function parseDurationS(s: string | number): number {
  if (typeof s === 'number') return s;
  if (/^\d+(\.\d+)?$/.test(s.trim())) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : m[2] === 'ms' ? n / 1000 : m[2] === 'ns' ? n / 1e9 : n / 1e6;
    matched += m[0];
  }
  if (!matched || matched !== s.replace(/\s/g, '')) throw new ThresholdError(`duration '${s}': write it as k6 does, e.g. 30s, 1m30s or 500ms`);
  return total;
}
