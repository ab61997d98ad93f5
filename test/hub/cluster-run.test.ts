// The whole conformance suite against the reference hub as a 2-worker cluster (hubcheck run with a descriptor whose
// embedded launcher starts `workers: 2` on a private Redis): every applicable test passes, as against one process.
// Suite files run four at once, so devices, API calls and stored messages land on both workers all the time.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hubcheck } from '../cli/helpers.js';
import { redisMissing, usePrivateRedis } from './redis-server.js';

const missing = redisMissing();
if (missing) console.warn(`cluster-run: skipped: ${missing}`);

describe.skipIf(missing !== undefined)('hubcheck run against a 2-worker cluster', () => {
  const redis = usePrivateRedis();
  const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-cluster-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every applicable test passes', async () => {
    const target = path.join(dir, 'cluster.yaml');
    writeFileSync(target, ['name: reference hub (2 workers)', 'launcher: embedded', 'embedded:', '  workers: 2', `  redis: ${redis.url}`, ''].join('\n'));
    const r = await hubcheck(['run', '--target', target, '--report-dir', path.join(dir, 'report')], 900_000);
    const results = JSON.parse(readFileSync(path.join(dir, 'report', 'results.json'), 'utf8')) as { summary: Record<string, number>; tests: { fullName: string; verdict: string; error?: { message: string } }[] };
    const bad = results.tests.filter((t) => t.verdict === 'fail' || t.verdict === 'error').map((t) => `${t.fullName}: ${t.error?.message.split('\n')[0]}`);
    expect(bad).toEqual([]);
    expect(results.summary['passed'], 'tests passed').toBeGreaterThan(400);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
  }, 900_000);
});
