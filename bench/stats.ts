// Small statistics, table printing and the bench file shared by the benchmarks. Every table printed is also kept for
// reports/bench/<date>.json (written by run.ts), so two runs compare with `hubcheck report compare A.json B.json`.

/** The q-quantile (default the median) of the samples. */
export function median(samples: readonly number[], q = 0.5): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export interface Row {
  name: string;
  median: number;
  p99?: number;
  unit: string;
  ratio?: number;
  /** Every round's value, for the spread (min–max) and the bench file. */
  samples?: number[];
}

export interface BenchTable {
  title: string;
  /** Which direction is better for these figures; ratios are always row ÷ baseline (the first row). */
  better?: 'higher' | 'lower';
  /** A target on the ratio, e.g. "≥ 0.5" (printed, and judged in the bench file). */
  target?: { ratio: number; atLeast: boolean };
  rows: Row[];
}

/** Everything printed in this process, in order. */
export const tables: BenchTable[] = [];

function fmt(v: number): string {
  return !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(3);
}

export function printTable(title: string, rows: Row[], o: { better?: 'higher' | 'lower'; target?: { ratio: number; atLeast: boolean } } = {}): void {
  tables.push({ title, rows, ...o });
  console.log(`\n${title}`);
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `  ${r.ratio.toFixed(2)}× baseline`;
    const p99 = r.p99 === undefined ? '' : `  p99 ${fmt(r.p99)} ${r.unit}`;
    const spread = r.samples && r.samples.length > 1 ? `  (${fmt(Math.min(...r.samples))}–${fmt(Math.max(...r.samples))}, n=${r.samples.length})` : '';
    console.log(`  ${r.name.padEnd(40)} median ${fmt(r.median)} ${r.unit}${p99}${spread}${ratio}`);
  }
  if (o.target) {
    const last = rows[rows.length - 1]!;
    const met = last.ratio !== undefined && (o.target.atLeast ? last.ratio >= o.target.ratio : last.ratio <= o.target.ratio);
    console.log(`  → target ${o.target.atLeast ? '≥' : '≤'} ${o.target.ratio}× baseline: ${met ? 'met' : 'NOT met'}`);
  }
}

/** Rows for samples keyed by name, the first being the baseline; ratios of medians. */
export function rowsOf(unit: string, samples: Record<string, number[]>): Row[] {
  const names = Object.keys(samples);
  const base = median(samples[names[0]!]!);
  return names.map((name, i) => {
    const m = median(samples[name]!);
    return { name, median: m, unit, samples: samples[name]!, ...(i > 0 ? { ratio: m / base } : {}) };
  });
}

/** Runs `rounds` rounds of every named measurement, interleaved and rotated (A B C, B C A, ...), collecting samples. */
export async function interleaved<K extends string>(rounds: number, runs: Record<K, () => Promise<number>>): Promise<Record<K, number[]>> {
  const names = Object.keys(runs) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + r) % names.length]!;
      out[n].push(await runs[n]());
    }
  }
  return out;
}
