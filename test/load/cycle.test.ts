// The cycle scenario against real hubs: every identity visited once per cycle, delivery counted per identity, refusals
// by CONNACK code, a hub that loses messages reported as losing them, and the pieces (identity table, QoS mix, progress).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { qosOf, runCycleEngine } from '../../load/fleet/cycle.js';
import type { EngineMessage } from '../../load/fleet/engine.js';
import { writeFixtures, type DeviceCred } from '../../load/fleet/credentials.js';
import { countFixtureRows, identityAt, readIdentityTable, tableOf } from '../../load/fleet/identities.js';
import { ProgressLine, progressWriter } from '../../load/report/progress.js';
import { resolveScenario, runLoad, segmentOf, type LoadOptions } from '../../load/run.js';
import { CloudApi } from '../../src/client/cloud-api.js';

const dir = mkdtempSync(join(tmpdir(), 'hubcheck-cycle-'));
let runs = 0;
/** Correctness thresholds stay as the scenario has them; nothing here judges latency on a shared machine. */
const run = (o: Omit<LoadOptions, 'scenario' | 'reportDir'>) => runLoad({ scenario: 'cycle', reportDir: join(dir, `r${runs++}`), ...o });

/** A hub of this process the load run reaches as an external target (so the test can provision and break it first). */
async function externalHub(faults: string[] = []): Promise<{ hub: RunningHub; api: CloudApi; target: string }> {
  const hub = await startHub({ mqttPort: 0, wsPort: 0, apiPort: 0, tlsPort: 0, wssPort: 0, httpsPort: 0, faults, apiRates: {}, maxConnectionsPerAddress: 5000 } as never);
  const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
  const target = join(dir, `target-${runs++}.json`);
  writeFileSync(target, JSON.stringify({
    name: 'hub under test', launcher: 'external', endpoints: { mqtt: hub.endpoints.mqtt, api: hub.endpoints.api }, cloudApi: hub.credentials,
  }));
  return { hub, api, target };
}

let products = 0;
async function devicesOf(api: CloudApi, n: number): Promise<DeviceCred[]> {
  const { ProductId } = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: `cyc_${products++}` });
  const out: DeviceCred[] = [];
  for (let i = 0; i < n; i += 20) {
    out.push(...await Promise.all(Array.from({ length: Math.min(20, n - i) }, async (_, k) => {
      const DeviceName = `d${i + k}`;
      const { DevicePsk } = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId, DeviceName });
      return { productId: ProductId, deviceName: DeviceName, psk: DevicePsk };
    })));
  }
  return out;
}

function csv(devices: readonly DeviceCred[]): string {
  const file = join(dir, `fleet-${runs++}.csv`);
  writeFileSync(file, `productId,deviceName,psk\n${devices.map((d) => `${d.productId},${d.deviceName},${d.psk}`).join('\n')}\n`);
  return file;
}

describe('cycle against the embedded hub', { timeout: 120_000 }, () => {
  it('2,000 identities, at most 200 live: each visited once, every message back once, nothing lost', async () => {
    const o = await run({ devices: 2000, live: 200, connectRate: 1000, messages: 2, qos1Share: 0.5, dwell: 0.05 });
    const c = o.report.metrics.counters;
    expect(o.report.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(c['identities']).toBe(2000);
    expect(c['identities_visited']).toBe(2000);
    expect(c['identities_missed']).toBe(0);
    expect(c['cycle_visits']).toBe(2000);
    expect(c['cycle_visits_done']).toBe(2000);
    expect(c['mqtt_connects']).toBe(2000);
    expect(c['mqtt_messages_sent']).toBe(4000);
    expect(c['mqtt_messages_received']).toBe(4000);
    expect([c['cycle_lost'], c['cycle_duplicates'], c['identities_with_loss'], c['mqtt_connect_refused']]).toEqual([0, 0, 0, 0]);
    expect(o.report.metrics.trends['delivery_latency{qos:0}']!.count).toBe(2000);
    expect(o.report.metrics.trends['delivery_latency{qos:1}']!.count).toBe(2000);
    expect(o.report.metrics.trends['cycle_barrier_latency']!.count).toBe(2000);
    // the live cap holds on every sample
    expect(Math.max(...o.report.timeline.map((p) => p.sessions + p.pending))).toBeLessThanOrEqual(200);
    expect(o.exitCode).toBe(0);
  });

  it('two cycles in worker threads: every identity visited exactly twice', async () => {
    const o = await run({ devices: 300, live: 60, connectRate: 1000, cycles: 2, messages: 1, qos1Share: 1, dwell: 0, threads: 2 });
    const c = o.report.metrics.counters;
    expect(o.report.config['engines']).toBe(2);
    expect([c['identities'], c['identities_visited'], c['cycle_visits'], c['mqtt_messages_received']]).toEqual([300, 300, 600, 600]);
    expect(c['cycle_lost']).toBe(0);
    expect(o.exitCode).toBe(0);
  });
});

describe('cycle against a hub the test prepares', { timeout: 120_000 }, () => {
  let hub: RunningHub;
  let api: CloudApi;
  let target: string;
  beforeAll(async () => ({ hub, api, target } = await externalHub()));
  afterAll(async () => { await hub?.close(); });

  it('counts refusals by CONNACK code when devices are disabled or unknown', async () => {
    const devices = await devicesOf(api, 200);
    const disabled = devices.slice(0, 15).map((d) => d.deviceName);
    await api.call('UpdateDevicesEnableState', { ProductID: devices[0]!.productId, DeviceNames: disabled, Status: 0 });
    const unknown = Array.from({ length: 10 }, (_, i) => ({ ...devices[0]!, deviceName: `ghost${i}` }));
    const file = csv([...devices, ...unknown]);
    const o = await run({ target, fixtures: file, devices: 210, live: 50, connectRate: 1000, dwell: 0 });
    const c = o.report.metrics.counters;
    expect(c['identities_visited']).toBe(210);
    expect(c['mqtt_connects']).toBe(185);
    expect(c['mqtt_connect_refused']).toBe(25);
    expect(c['identities_refused']).toBe(25);
    // a disabled device and an unknown one are both "not authorized" (0x05) on this hub; whatever the codes, they add up
    const byCode = Object.entries(c).filter(([k]) => k.startsWith('mqtt_connect_refused{')).reduce((a, [, v]) => a + v, 0);
    expect(byCode).toBe(25);
    expect(c['cycle_lost']).toBe(0);
    expect(c['mqtt_messages_received']).toBe(185 * 2);
  });

  it('a run cut short counts the visits under way apart, not as lost', async () => {
    const devices = await devicesOf(api, 150);
    const mqtt = new URL(hub.endpoints.mqtt);
    const abort = new AbortController();
    const counters: Record<string, number> = {};
    const on = (m: EngineMessage) => {
      if (m.type === 'tick' || m.type === 'done') for (const [k, v] of Object.entries(m.delta.counters)) counters[k] = (counters[k] ?? 0) + v;
      // cut while visits are under way: some CONNECTs are unanswered for a moment at this rate
      if (m.type === 'tick' && (counters['cycle_visits'] ?? 0) >= 40) abort.abort();
    };
    await runCycleEngine({
      workerId: 'e0', host: mqtt.hostname, port: Number(mqtt.port), localAddresses: [], devices: [], startAt: Date.now(), stages: [{ duration: 60, target: 30 }],
      connectRate: 100, maxPending: 30, keepalive: 60, drain: 1, tickMs: 20, cycle: { messages: 2, qos1Share: 0.5, cycles: 1, dwell: 5, payloadBytes: 64 },
    }, tableOf(devices), on, abort.signal);
    expect(counters['identities_missed']).toBeGreaterThan(0);
    expect(counters['cycle_lost']).toBe(0);
    // every visit started either finished its messages, or was cut (counted apart), or is dwelling
    expect(counters['cycle_visits_done']! + counters['cycle_visits_cut']!).toBeLessThanOrEqual(counters['cycle_visits']!);
    expect(counters['cycle_visits_done']).toBeGreaterThan(0);
  });

  it('segments split the identities: two slices visit every row once between them', async () => {
    const devices = await devicesOf(api, 100);
    const file = csv(devices);
    const counts = [];
    for (const i of [0, 1]) {
      const o = await run({ target, fixtures: file, devices: 100, live: 20, connectRate: 1000, dwell: 0, segment: [i, 2] });
      counts.push(o.report.metrics.counters);
    }
    expect(counts.map((c) => c['identities_visited'])).toEqual([50, 50]);
    expect(counts.map((c) => c['mqtt_connects'])).toEqual([50, 50]);
    expect(counts.map((c) => c['mqtt_connect_refused'])).toEqual([0, 0]);
  });
});

describe('cycle against a hub that loses messages', { timeout: 120_000 }, () => {
  it('publish-overtakes-subscribe: the messages sent with the SUBSCRIBE are reported lost, per identity', async () => {
    const { hub, api, target } = await externalHub(['publish-overtakes-subscribe']);
    try {
      const file = csv(await devicesOf(api, 60));
      const o = await run({ target, fixtures: file, devices: 60, live: 20, connectRate: 500, messages: 2, qos1Share: 0.5, dwell: 0 });
      const c = o.report.metrics.counters;
      expect(c['identities_visited']).toBe(60);
      // the barrier (sent after the SUBACK) comes back, so every visit ends and accounts its two lost messages
      expect(c['cycle_visits_done']).toBe(60);
      expect(c['cycle_lost']).toBe(120);
      expect([c['cycle_lost{qos:0}'], c['cycle_lost{qos:1}']]).toEqual([60, 60]);
      expect(c['identities_with_loss']).toBe(60);
      expect(o.report.thresholds.find((t) => t.metric === 'cycle_lost')!.ok).toBe(false);
      expect(o.exitCode).toBe(1);
    } finally {
      await hub.close();
    }
  });
});

describe('cycle pieces', () => {
  it('reads a slice of a fixtures file as a compact table, row for row', async () => {
    const file = join(dir, 'big.csv');
    await writeFixtures(file, 70_000);
    expect(await countFixtureRows(file)).toBe(70_000);
    const t = await readIdentityTable(file, 65_530, 70_000); // crosses the 1 MiB read chunks
    expect(t.count).toBe(4470);
    expect(identityAt(t, 0).deviceName).toBe('dev65530');
    expect(identityAt(t, 4469).deviceName).toBe('dev69999');
    expect(identityAt(t, 4469).psk).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    await expect(readIdentityTable(file, 69_990, 70_010)).rejects.toThrow(/has 10 devices from row 69990, 20 are needed/);
    const small = tableOf([{ productId: 'ABCDEFGHIJ', deviceName: 'a', psk: 'AAAA' }, { productId: 'ABCDEFGHIJ', deviceName: 'b', psk: 'BBBB' }]);
    expect(identityAt(small, 1)).toEqual({ productId: 'ABCDEFGHIJ', deviceName: 'b', psk: 'BBBB' });
  });

  it('spreads the QoS mix evenly over a visit', () => {
    const mix = (k: number, f: number) => Array.from({ length: k }, (_, j) => qosOf(j, f));
    expect(mix(4, 0.5)).toEqual([0, 1, 0, 1]);
    expect(mix(3, 0)).toEqual([0, 0, 0]);
    expect(mix(3, 1)).toEqual([1, 1, 1]);
    expect(mix(8, 0.25).filter((q) => q === 1).length).toBe(2);
  });

  it('sizes the run from the options and refuses cycle options elsewhere', () => {
    const s = resolveScenario({ scenario: 'cycle', devices: 1_000_000, live: 19_000, connectRate: 1000 });
    expect(s.stages).toEqual([{ duration: Math.ceil(1500 + 0.2 + 30), target: 19_000 }]);
    const seg = segmentOf(s, [3, 4]);
    expect([seg.scenario.devices, seg.offset, seg.scenario.stages[0]!.target, seg.scenario.ramp.rate]).toEqual([250_000, 750_000, 4750, 250]);
    expect(() => resolveScenario({ scenario: 'telemetry', live: 5 })).toThrow(/--live: only the cycle scenario/);
    expect(() => resolveScenario({ scenario: 'cycle', messages: 9 })).toThrow(/cycle.messages: messages per visit from 0 to 8/);
  });

  it('progress: work done of the total, rate and ETA; a terminal gets one rewritten line', () => {
    const line = new ProgressLine();
    line.format({ t: 0, planned: 100, done: 0, total: 1000, sessions: 0, pending: 0, connects: 0, errors: 0, lost: 0 });
    expect(line.format({ t: 10, planned: 100, done: 500, total: 1000, sessions: 40, pending: 3, connects: 520, errors: 2, lost: 0 }))
      .toBe('0:10 500/1,000 (50.0 %)  live 40 (+3 connecting)  52 connects/s  ETA 0:10  errors 2  lost 0');
    const out: string[] = [];
    const w = progressWriter({ write: (s: string) => out.push(s), isTTY: false }, 5);
    for (let t = 0; t <= 12; t++) w.point({ t, planned: 12, sessions: 1, pending: 0, connects: t, errors: 0, lost: 0 });
    w.end();
    expect(out.length).toBe(3); // t = 0, 5, 10
    const tty: string[] = [];
    const wt = progressWriter({ write: (s: string) => tty.push(s), isTTY: true });
    wt.point({ t: 1, planned: 2, sessions: 1, pending: 0, connects: 1, errors: 0, lost: 0 });
    wt.end();
    expect(tty[0]).toMatch(/^\r\x1b\[2K0:01 0:01\/0:02/);
    expect(tty[1]).toBe('\n');
  });
});
