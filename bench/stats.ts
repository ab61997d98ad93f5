// Small statistics and table printing shared by the benchmarks.

/** The q-quantile (default the median) of the samples. */
export function median(samples: readonly number[], q = 0.5): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export interface Row { name: string; median: number; p99?: number; unit: string; ratio?: number }

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `  ${r.ratio.toFixed(2)}× baseline`;
    const p99 = r.p99 === undefined ? '' : `  p99 ${r.p99.toFixed(3)} ${r.unit}`;
    console.log(`  ${r.name.padEnd(34)} median ${r.median.toFixed(3)} ${r.unit}${p99}${ratio}`);
  }
}
