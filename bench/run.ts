// Runs every benchmark in turn (`npm run bench`); each compares against a baseline measured in the same run. Every table
// printed also goes to reports/bench/<date>.json; `hubcheck report compare A.json B.json` shows the change between two.
// BENCH_ONLY=baselines,load-engine runs a subset.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BENCH_SCHEMA, type BenchFile } from '../load/report/bench.js';
import { tables } from './stats.js';

const benches = ['connect-rtt', 'rules-overhead', 'tls-handshake', 'load-engine', 'baselines', 'http-gateway', 'durable-sessions'];
const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim());
const startedAt = new Date();
const load1 = os.loadavg()[0]!;
for (const b of benches) if (!only || only.includes(b)) await import(`./${b}.ts`);

const file: BenchFile = {
  schema: BENCH_SCHEMA,
  startedAt: startedAt.toISOString(),
  durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
  host: { cpus: os.cpus().length, node: process.version, load1 },
  tables: tables.map((t) => ({
    ...t,
    rows: t.rows.map((r) => ({ ...r, ...(r.samples?.length ? { min: Math.min(...r.samples), max: Math.max(...r.samples) } : {}) })),
  })),
};
const dir = path.join(new URL('..', import.meta.url).pathname, 'reports', 'bench');
await mkdir(dir, { recursive: true });
const out = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(out, JSON.stringify(file, null, 2) + '\n');
console.log(`\nbench file: ${path.relative(process.cwd(), out)} (compare two with: npx hubcheck report compare A.json B.json)`);
process.exit(0);
