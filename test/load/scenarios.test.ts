// A small `hubcheck load` of every scenario against the embedded reference hub (tiny counts), and SLO verdicts as exit codes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLoad, type LoadOptions } from '../../load/run.js';
import type { LoadReport } from '../../load/report/model.js';
import { SCENARIOS } from '../../load/scenarios/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hubcheck-load-'));
let n = 0;
/** Latency SLOs are for real runs: on a shared 2-core test machine only correctness thresholds are kept tight. */
const RELAXED: Record<string, string[]> = Object.fromEntries(
  ['delivery_latency{qos:1}', 'delivery_latency{qos:0}', 'mqtt_connect_duration', 'c2d_latency', 'shadow_duration', 'rrpc_duration', 'http_req_duration'].map((m) => [m, ['p(99)<10000']]),
);
// A busy machine may miss send slots (they are counted, never sent late in a burst); correctness thresholds stay.
RELAXED['slots_missed'] = ['count>=0'];

async function load(o: Omit<LoadOptions, 'reportDir'>) {
  const reportDir = join(dir, `r${n++}`);
  const own = SCENARIOS[o.scenario]!.thresholds;
  const relaxed = Object.fromEntries(Object.entries(RELAXED).filter(([m]) => (m in own && !(o.qos === 0 && m.endsWith('{qos:1}'))) || (m === 'delivery_latency{qos:0}' && o.qos === 0)));
  const outcome = await runLoad({ ...o, thresholds: { ...relaxed, ...o.thresholds }, reportDir });
  const onDisk = JSON.parse(readFileSync(join(reportDir, 'load.json'), 'utf8')) as LoadReport;
  expect(onDisk.runId).toBe(outcome.report.runId);
  expect(readFileSync(join(reportDir, 'load.html'), 'utf8')).toContain('id="chart-sessions"');
  return outcome;
}

/** When the hub does not serve what a scenario drives, the run is skipped with a reason (exit 0), never failed. */
function passedOrSkipped(o: Awaited<ReturnType<typeof load>>): void {
  if (o.report.skipped) {
    expect(o.exitCode).toBe(0);
    console.log(`${o.report.scenario}: skipped: ${o.report.skipped}`);
    return;
  }
  expect(o.report.thresholds.filter((t) => !t.ok)).toEqual([]);
  expect(o.exitCode).toBe(0);
}

describe('hubcheck load against the embedded hub', { timeout: 60_000 }, () => {
  it('telemetry QoS 1: every message delivered once, latency recorded from the intended send time', async () => {
    const o = await load({ scenario: 'telemetry', devices: 10, duration: 1, rate: 100 });
    const c = o.report.metrics.counters;
    expect(c['mqtt_connects']).toBe(10);
    expect(c['mqtt_messages_sent']! + (c['slots_missed'] ?? 0)).toBeGreaterThanOrEqual(90); // every slot sent or counted missed
    expect(c['qos1_lost']).toBe(0);
    expect(c['mqtt_qos1_acked']).toBe(c['mqtt_messages_sent']);
    expect(o.report.metrics.trends['delivery_latency{qos:1}']!.count).toBe(c['mqtt_messages_sent']);
    expect(o.report.resources.hubMeasured).toBe('in-process');
    expect(Math.max(...o.report.timeline.map((p) => p.sessions))).toBeGreaterThanOrEqual(8);
    passedOrSkipped(o);
  });

  it('telemetry QoS 0 in worker threads', async () => {
    const o = await load({ scenario: 'telemetry', devices: 6, duration: 1, rate: 60, qos: 0, threads: 2 });
    expect(o.report.config['engines']).toBe(2);
    expect(o.report.metrics.trends['delivery_latency{qos:0}']!.count).toBeGreaterThan(0);
    passedOrSkipped(o);
  });

  it('a threshold that cannot be met makes exit code 1', async () => {
    const o = await load({ scenario: 'connect-storm', devices: 5, duration: 0.5, thresholds: { mqtt_connect_duration: ['p(99)<0.001'] } });
    expect(o.report.passed).toBe(false);
    expect(o.exitCode).toBe(1);
    expect(o.report.thresholds.find((t) => t.metric === 'mqtt_connect_duration' && t.expression === 'p(99)<0.001')!.ok).toBe(false);
  });

  it('connect storm over two source addresses', async () => {
    const o = await load({ scenario: 'connect-storm', devices: 20, duration: 0.5, localAddresses: ['127.0.0.1', '127.0.0.2'] });
    expect(o.report.metrics.counters['mqtt_connects']).toBe(20);
    passedOrSkipped(o);
  });

  it('idle hold', async () => {
    const o = await load({ scenario: 'idle-hold', devices: 10, duration: 1 });
    expect(o.report.metrics.counters['mqtt_disconnects'] ?? 0).toBe(0);
    passedOrSkipped(o);
  });

  it('cloud-to-device fan-out', async () => {
    passedOrSkipped(await load({ scenario: 'c2d-fanout', devices: 5, duration: 1, rate: 20 }));
  });

  it('shadow churn', async () => {
    passedOrSkipped(await load({ scenario: 'shadow-churn', devices: 5, duration: 1, rate: 20 }));
  });

  it('RRPC round trips', async () => {
    passedOrSkipped(await load({ scenario: 'rrpc', devices: 5, duration: 1, rate: 5 }));
  });

  it('HTTP gateway publish and reportlog, and cloud API calls with autocannon', async () => {
    for (const scenario of ['http-publish', 'http-reportlog', 'cloud-api']) {
      const o = await load({ scenario, devices: 3, duration: 1, rate: 50 });
      if (!o.report.skipped) expect(o.report.metrics.counters['http_reqs']).toBeGreaterThan(10);
      passedOrSkipped(o);
    }
  });

  it('refuses a target off this machine before sending anything', async () => {
    const f = join(dir, 'far.yaml');
    (await import('node:fs')).writeFileSync(f, 'launcher: external\nendpoints:\n  mqtt: mqtt://10.1.2.3:1883\n  api: http://10.1.2.3:80\ncloudApi:\n  secretId: a\n  secretKey: b\n');
    await expect(runLoad({ scenario: 'idle-hold', target: f })).rejects.toThrow(/only to 127.0.0.0\/8/);
  });
});
