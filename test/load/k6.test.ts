// k6 scripts: type-checked against @types/k6 always; a small k6 scenario against the embedded hub where a k6 with xk6-mqtt exists.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findK6, fromK6Summary, segmentArgs } from '../../load/k6-engine.js';
import { ROOT } from '../../src/runner/paths.js';

describe('k6 scripts', () => {
  it('type-check with @types/k6 (load/k6/tsconfig.json)', { timeout: 60_000 }, () => {
    expect(() => execFileSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '--noEmit', '-p', `${ROOT}/load/k6`], { stdio: 'pipe' })).not.toThrow();
  });

  it('splits shards with non-overlapping execution segments', () => {
    expect(segmentArgs([0, 4])).toEqual(['--execution-segment', '0:1/4', '--execution-segment-sequence', '0,1/4,2/4,3/4,1']);
    expect(segmentArgs([3, 4])[1]).toBe('3/4:1');
  });

  it('reads a k6 summary into the shared metric names, with k6 threshold verdicts', () => {
    const m = fromK6Summary({ metrics: {
      'delivery_latency{qos:1}': { count: 10, avg: 3, min: 1, med: 2, max: 9, 'p(90)': 8, 'p(95)': 8.5, thresholds: { 'p(99)<250': false } },
      qos1_lost: { count: 2, rate: 0.1, thresholds: { 'count==0': true } },
      mqtt_connect_success: { rate: 1, passes: 5, fails: 0 },
    } } as never);
    expect(m.trends['delivery_latency{qos:1}']!.p95).toBe(8.5);
    expect(m.counters['qos1_lost']).toBe(2);
    expect(m.thresholds).toEqual([
      { metric: 'delivery_latency{qos:1}', expression: 'p(99)<250', value: null, ok: true },
      { metric: 'qos1_lost', expression: 'count==0', value: 2, ok: false },
    ]);
  });

  it.skipIf(!findK6())('runs the telemetry script against the embedded hub', { timeout: 120_000 }, async () => {
    const { runK6 } = await import('../../load/k6-engine.js');
    const o = await runK6({ scenario: 'telemetry', devices: 10, duration: 3 });
    expect(o.report.metrics.counters['mqtt_messages_sent']).toBeGreaterThan(0);
    expect(o.exitCode).toBe(0);
  });
});
