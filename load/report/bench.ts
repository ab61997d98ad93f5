/** Bench files (reports/bench/<date>.json, written by `npm run bench`) and the change between two of them, figure by figure. */

export const BENCH_SCHEMA = 'hubcheck-bench/1';

export interface BenchRow {
  name: string;
  unit: string;
  median: number;
  min?: number;
  max?: number;
  samples?: number[];
  /** This row's median over the table's baseline (its first row). */
  ratio?: number;
  p99?: number;
}

export interface BenchTableRecord {
  title: string;
  better?: 'higher' | 'lower';
  target?: { ratio: number; atLeast: boolean };
  rows: BenchRow[];
}

export interface BenchFile {
  schema: typeof BENCH_SCHEMA;
  startedAt: string;
  durationS: number;
  host: { cpus: number; node: string; load1: number };
  tables: BenchTableRecord[];
}

export interface BenchChange {
  table: string;
  row: string;
  unit: string;
  a: number;
  b: number;
  /** Relative change of the median (b − a) / a. */
  change: number;
  /** Whether the change is for the worse beyond the tolerance (needs the table's direction). */
  worse: boolean;
  /** The ratio to the table's baseline in each run, when there is one (the figure the targets are on). */
  ratioA?: number;
  ratioB?: number;
}

/** The figures of B matched to A by table title and row name; `tolerance` is relative (0.1 = 10 %). */
export function compareBench(a: BenchFile, b: BenchFile, tolerance = 0.1): BenchChange[] {
  const out: BenchChange[] = [];
  for (const ta of a.tables) {
    const tb = b.tables.find((t) => t.title === ta.title);
    if (!tb) continue;
    for (const ra of ta.rows) {
      const rb = tb.rows.find((r) => r.name === ra.name);
      if (!rb) continue;
      const change = ra.median === 0 ? (rb.median === 0 ? 0 : Infinity) : (rb.median - ra.median) / Math.abs(ra.median);
      const worse = ta.better === 'higher' ? change < -tolerance : ta.better === 'lower' ? change > tolerance : false;
      out.push({
        table: ta.title, row: ra.name, unit: ra.unit, a: ra.median, b: rb.median, change, worse,
        ...(ra.ratio !== undefined ? { ratioA: ra.ratio } : {}), ...(rb.ratio !== undefined ? { ratioB: rb.ratio } : {}),
      });
    }
  }
  return out;
}

export function isBenchFile(v: unknown): v is BenchFile {
  return typeof v === 'object' && v !== null && (v as { schema?: unknown }).schema === BENCH_SCHEMA;
}

function fmt(v: number): string {
  return !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(3);
}

export function formatBenchChanges(aName: string, bName: string, changes: BenchChange[], tolerance: number): string {
  const lines: string[] = [`bench ${aName} → ${bName} (median of each figure; ratio to the table's baseline in brackets)`];
  let table = '';
  for (const c of changes) {
    if (c.table !== table) { table = c.table; lines.push(`\n${table}`); }
    const pct = Number.isFinite(c.change) ? `${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(1)} %` : 'was 0';
    const ratio = c.ratioA !== undefined && c.ratioB !== undefined ? `  [${c.ratioA.toFixed(2)}× → ${c.ratioB.toFixed(2)}×]` : '';
    lines.push(`  ${c.row.padEnd(40)} ${fmt(c.a).padStart(10)} → ${fmt(c.b).padStart(10)} ${c.unit.padEnd(6)} ${pct.padStart(9)}${ratio}${c.worse ? '  WORSE' : ''}`);
  }
  const worse = changes.filter((c) => c.worse).length;
  lines.push(`\n${worse ? `${worse} figure(s) worse` : 'no figure worse'} beyond ${Math.round(tolerance * 100)} %`);
  return lines.join('\n');
}
