/** SLO thresholds in k6's syntax ('p(99)<250', 'rate>0.99', 'count==0', 'avg<10', 'max<=1000') judged against a load report's metrics. */
import type { LoadReport, ThresholdVerdict } from './report/model.js';

const EXPR = /^\s*(p\((\d+(?:\.\d+)?)\)|avg|min|max|med|count|rate|value)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Returns a problem description, or null when the expression is well formed. */
export function checkExpression(metric: string, expr: string): string | null {
  return EXPR.test(expr) ? null : `thresholds['${metric}']: "${expr}" is not an expression like 'p(99)<250', 'avg<10', 'count==0' or 'rate>0.99'`;
}

function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    default: return a !== b;
  }
}

export function evaluate(thresholds: Record<string, string[]>, metrics: LoadReport['metrics']): ThresholdVerdict[] {
  const out: ThresholdVerdict[] = [];
  for (const [metric, exprs] of Object.entries(thresholds)) {
    for (const expression of exprs) {
      const m = EXPR.exec(expression);
      if (!m) { out.push({ metric, expression, value: null, ok: false, note: 'malformed expression' }); continue; }
      const [, agg, pct, op, limitText] = m as unknown as [string, string, string | undefined, string, string];
      let value: number | undefined;
      const trend = metrics.trends[metric];
      if (pct !== undefined) {
        if (trend) {
          const p = Number(pct);
          value = p === 50 ? trend.med : p === 90 ? trend.p90 : p === 95 ? trend.p95 : p === 99 ? trend.p99 : p === 99.9 ? trend.p999 : undefined;
          if (value === undefined) { out.push({ metric, expression, value: null, ok: false, note: 'percentile not kept: use 50, 90, 95, 99 or 99.9' }); continue; }
        }
      } else if (agg === 'count') value = metrics.counters[metric] ?? (trend ? trend.count : 0); // an absent counter counted nothing
      else if (agg === 'rate') value = metrics.rates[metric];
      else if (agg === 'value') value = metrics.counters[metric];
      else if (trend) value = trend[agg as 'avg' | 'min' | 'max' | 'med'];
      if (value === undefined) { out.push({ metric, expression, value: null, ok: false, note: 'no samples: the metric was never recorded' }); continue; }
      out.push({ metric, expression, value, ok: compare(value, op, Number(limitText)) });
    }
  }
  return out;
}
