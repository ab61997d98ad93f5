// Bench files compare figure by figure: matched by table title and row name, judged by the table's direction.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_SCHEMA, compareBench, type BenchFile } from '../../load/report/bench.js';
import { reportCompareCommand } from '../../src/cli/load-command.js';

function bench(throughput: number, latency: number, extraRow = false): BenchFile {
  return {
    schema: BENCH_SCHEMA, startedAt: '2026-12-07T06:00:00.000Z', durationS: 60, host: { cpus: 2, node: 'v20', load1: 1 },
    tables: [
      { title: 'QoS 1 throughput', better: 'higher', rows: [{ name: 'Mosquitto', unit: 'msg/s', median: 40_000 }, { name: 'hub', unit: 'msg/s', median: throughput, ratio: throughput / 40_000 }] },
      { title: 'latency', better: 'lower', rows: [{ name: 'hub', unit: 'ms', median: latency }, ...(extraRow ? [{ name: 'new', unit: 'ms', median: 1 }] : [])] },
      { title: 'no direction', rows: [{ name: 'x', unit: 'n', median: 1 }] },
    ],
  };
}

describe('bench compare', () => {
  it('reports each figure’s change and flags only those worse beyond the tolerance in the table’s direction', () => {
    const changes = compareBench(bench(20_000, 2), bench(17_000, 2.1, true), 0.1);
    const byRow = Object.fromEntries(changes.map((c) => [`${c.table}/${c.row}`, c]));
    expect(byRow['QoS 1 throughput/hub']).toMatchObject({ a: 20_000, b: 17_000, worse: true, ratioA: 0.5, ratioB: 0.425 });
    expect(byRow['QoS 1 throughput/hub']!.change).toBeCloseTo(-0.15);
    expect(byRow['QoS 1 throughput/Mosquitto']!.worse).toBe(false);
    expect(byRow['latency/hub']!.worse).toBe(false); // +5 % is within 10 %
    expect(byRow['latency/new']).toBeUndefined(); // only in B: nothing to compare with
    expect(compareBench(bench(20_000, 2), bench(20_000, 3)).find((c) => c.row === 'hub' && c.table === 'latency')!.worse).toBe(true);
    expect(compareBench(bench(20_000, 2), bench(30_000, 1)).some((c) => c.worse)).toBe(false); // better is never worse
  });

  it('hubcheck report compare takes two bench files, prints the changes and exits 1 when one got worse', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-compare-'));
    const write = (name: string, v: unknown) => { const f = path.join(dir, name); writeFileSync(f, JSON.stringify(v)); return f; };
    const a = write('a.json', bench(20_000, 2));
    const b = write('b.json', bench(10_000, 2));
    const lines: string[] = [];
    expect(await reportCompareCommand(a, b, {}, (s) => lines.push(s))).toBe(1);
    expect(lines.join('\n')).toMatch(/hub\s+20000 →\s+10000 msg\/s\s+-50\.0 %\s+\[0\.50× → 0\.25×\]\s+WORSE/);
    expect(await reportCompareCommand(a, a, {}, () => {})).toBe(0);
    const load = write('load.json', { schema: 'something-else' });
    await expect(reportCompareCommand(a, load, {}, () => {})).rejects.toThrow(/not a bench file/);
  });
});
