/** Splits a scenario over engines (inline, worker threads, child processes), drives cloud-side traffic, samples resources and folds every delta into one aggregate. */
import { fork, type ChildProcess } from 'node:child_process';
import { CloudApi } from '../../src/client/cloud-api.js';
import { Aggregate } from '../report/aggregate.js';
import { COUNTERS, TRENDS } from '../metrics/names.js';
import { Collector } from '../metrics/collector.js';
import type { Scenario, Stage } from '../scenarios/types.js';
import { totalDuration } from '../scenarios/types.js';
import type { DeviceCred } from './credentials.js';
import { wallMs, type EngineMessage } from './engine.js';
import { ENTRY, runSpec, startWorker, type DeviceSource, type ShardJob, type StartMessage, type WorkerSpec } from './host.js';
import { ResourceMeter } from './resources.js';

export interface FleetOptions {
  scenario: Scenario;
  host: string;
  port: number;
  localAddresses: string[];
  /** The devices (`scenario.devices` of them): a list, or rows of a fixtures file. */
  devices: DeviceCred[] | { file: string; offset: number };
  /** Child processes (each below the 20,000 open files of a process); 0 runs every engine in this process. */
  processes: number;
  /** Engine threads per process (0 with processes 0: one engine on the main thread). */
  threads: number;
  tickMs?: number;
  /** The hub's pid when it is a separate process; 'self' when it is embedded in this process. */
  hubPid?: number | 'self';
  /** Cloud API for cloud-side traffic (c2d, rrpc). */
  api?: CloudApi;
  /** The cloud-side action to drive c2d with (PublishMessage, or PublishBroadcastMessage as a fallback). */
  c2dAction?: 'PublishMessage' | 'PublishBroadcastMessage';
  /** Another source of metrics (the HTTP load), drained into the timeline each tick. */
  sidecar?: Collector;
  onTick?: (p: { t: number; sessions: number; pending: number; sent: number; received: number; errors: number; totals: Readonly<Record<string, number>> }) => void;
  log?: (line: string) => void;
}

export interface FleetResult {
  aggregate: Aggregate;
  startedAt: number;
  durationS: number;
  generator: { cpuPct: number; rssMiB: number }[];
  hub: { cpuPct: number; rssMiB: number }[];
  engines: number;
  logs: string[];
}

/** Splits n into k integer parts proportional to weights (largest remainders), summing exactly to n. */
export function apportion(n: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const raw = weights.map((w) => (n * w) / total);
  const parts = raw.map(Math.floor);
  let left = n - parts.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) { if (left-- <= 0) break; parts[i]!++; }
  return parts;
}

/** One spec per engine: contiguous device ranges, stage targets and rates split in proportion. */
export function planEngines(o: FleetOptions, engines: number, startAt: number): WorkerSpec[] {
  const s = o.scenario;
  const sizes = apportion(s.devices, Array(engines).fill(1));
  const stageTargets = s.stages.map((st) => apportion(st.target, sizes));
  const pendings = apportion(Math.max(engines, s.ramp.maxPending), sizes);
  let at = 0;
  return sizes.map((size, w) => {
    const share = size / s.devices;
    const range: DeviceSource = Array.isArray(o.devices) ? o.devices.slice(at, at + size) : { file: o.devices.file, start: o.devices.offset + at, end: o.devices.offset + at + size };
    at += size;
    const stages: Stage[] = s.stages.map((st, i) => ({ duration: st.duration, target: stageTargets[i]![w]! }));
    return {
      workerId: `e${w}`,
      host: o.host,
      port: o.port,
      // Rotate the source addresses so each engine starts on a different one.
      localAddresses: o.localAddresses.map((_, i) => o.localAddresses[(i + w) % o.localAddresses.length]!),
      devices: range,
      startAt,
      stages,
      connectRate: Math.max(1, s.ramp.rate * share),
      maxPending: Math.max(1, pendings[w]!),
      keepalive: s.keepalive,
      ...(s.telemetry ? { telemetry: { ...s.telemetry, rate: s.telemetry.rate * share } } : {}),
      ...(s.shadow ? { shadow: { ...s.shadow, rate: s.shadow.rate * share } } : {}),
      ...(s.cloud?.kind === 'c2d' ? { c2d: { qos: s.cloud.qos } } : {}),
      ...(s.cloud?.kind === 'rrpc' ? { rrpc: true } : {}),
      ...(s.cycle ? { cycle: s.cycle } : {}),
      drain: s.drain,
      tickMs: o.tickMs ?? 1000,
    };
  }).filter((spec) => (Array.isArray(spec.devices) ? spec.devices.length : spec.devices.end - spec.devices.start) > 0);
}

/** Cloud-originated traffic from the coordinator: PublishMessage (c2d) or PublishRRPCMessage at a fixed rate, bounded concurrency. */
async function driveCloud(o: FleetOptions, startAt: number, deviceAt: (i: number) => DeviceCred, m: Collector, abort: AbortSignal): Promise<void> {
  const c = o.scenario.cloud!;
  const api = o.api!;
  const start = startAt + c.startAfter * 1000;
  const end = startAt + totalDuration(o.scenario) * 1000;
  const interval = 1000 / c.rate;
  const targetSessions = Math.max(1, o.scenario.stages[o.scenario.stages.length - 1]!.target);
  let inflight = 0;
  let slot = 0;
  const calls: Promise<void>[] = [];
  while (!abort.aborted) {
    const intended = start + slot * interval;
    if (intended >= end) break;
    const wait = intended - wallMs();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
    if (wallMs() < intended) continue;
    const n = slot++;
    if (inflight >= c.concurrency) { m.add(COUNTERS.slotsMissed); continue; }
    const d = deviceAt(n % targetSessions);
    inflight++;
    m.add(COUNTERS.requests);
    const payload = `${n},${intended.toFixed(3)},`;
    const call = c.kind === 'rrpc'
      ? api.call('PublishRRPCMessage', { ProductId: d.productId, DeviceName: d.deviceName, Payload: payload })
      : o.c2dAction === 'PublishBroadcastMessage'
        ? api.call('PublishBroadcastMessage', { ProductId: d.productId, Payload: payload, Qos: c.qos })
        : api.call('PublishMessage', { ProductId: d.productId, DeviceName: d.deviceName, Topic: `${d.productId}/${d.deviceName}/control`, Payload: payload, Qos: c.qos });
    calls.push(call.then(
      () => { if (c.kind === 'rrpc') m.recordUs(TRENDS.rrpcDuration, (wallMs() - intended) * 1000); },
      (e: Error) => { m.add(COUNTERS.requestFailures); m.add(`request_failures{error:${(e as { code?: string }).code ?? 'error'}}`); },
    ).finally(() => { inflight--; }));
    if (calls.length > 1000) await Promise.all(calls.splice(0, 500));
  }
  await Promise.all(calls);
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const s = o.scenario;
  const agg = new Aggregate();
  const logs: string[] = [];
  const log = (line: string) => { logs.push(line); o.log?.(line); };
  const engines = o.processes > 0 ? o.processes * Math.max(1, o.threads) : Math.max(1, o.threads);
  const specs = planEngines(o, engines, 0);
  let readyCount = 0;
  let allReady!: () => void;
  const ready = new Promise<void>((r) => { allReady = r; });
  const on = (msg: EngineMessage) => {
    if (msg.type === 'log') log(`${msg.workerId}: ${msg.text}`);
    else if (msg.type === 'ready') { if (++readyCount === specs.length) allReady(); }
    else agg.add(msg.workerId, msg.delta);
  };

  const children: ChildProcess[] = [];
  let done: Promise<unknown>;
  let start: (at: number) => void;
  const abort = new AbortController();
  if (o.processes > 0) {
    const perProcess = apportion(specs.length, Array(o.processes).fill(1));
    let k = 0;
    const exits = perProcess.map((n) => {
      const job: ShardJob = { workers: specs.slice(k, (k += n)) };
      const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      children.push(child);
      child.on('message', (m) => on(m as EngineMessage));
      child.send(job);
      return new Promise<void>((resolve) => child.once('exit', (code) => { if (code) log(`shard process ${child.pid} exited with code ${code}`); resolve(); }));
    });
    done = Promise.all(exits);
    start = (at) => { for (const c of children) c.send({ type: 'start', startAt: at } satisfies StartMessage); };
  } else if (o.threads > 0) {
    const workers = specs.map((spec) => startWorker(spec, on));
    done = Promise.all(workers.map((w) => w.done));
    start = (at) => { for (const w of workers) w.start(at); };
  } else {
    let go!: (at: number) => void;
    const when = new Promise<number>((r) => { go = r; });
    done = Promise.all(specs.map((spec) => runSpec(spec, on, when, abort.signal)));
    done.catch(() => {}); // surfaced by the await below; keeps an early failure from being an unhandled rejection
    start = go;
  }
  // Every engine has its devices and sockets ready to open: agree on t=0 a little ahead (bounded wait for slow starters).
  const startupLimitMs = 60_000 + s.devices;
  const timedOut = await Promise.race([ready.then(() => false), done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(true), startupLimitMs).unref())]);
  if (timedOut) log(`coordinator: only ${readyCount}/${specs.length} engines ready; starting anyway`);
  const startAt = wallMs() + 200;
  start(startAt);

  // Cloud-side driver (needs device identities: the list, or the fixtures rows resolved lazily).
  const cloudMetrics = new Collector();
  let cloud: Promise<void> = Promise.resolve();
  if (s.cloud && o.api) {
    const list = Array.isArray(o.devices) ? o.devices : (await import('./credentials.js')).readFixtures(o.devices.file, o.devices.offset, o.devices.offset + Math.max(...s.stages.map((x) => x.target)));
    const resolved = await list;
    cloud = driveCloud(o, startAt, (i) => resolved[i]!, cloudMetrics, abort.signal);
  }

  const meter = new ResourceMeter();
  const genPids = () => [process.pid, ...children.map((c) => c.pid!).filter(Boolean)];
  const hubPid = typeof o.hubPid === 'number' ? o.hubPid : undefined;
  const generator: FleetResult['generator'] = [];
  const hub: FleetResult['hub'] = [];
  meter.read(genPids());
  if (hubPid) meter.read([hubPid]);
  const tickMs = o.tickMs ?? 1000;
  let finished = false;
  done.finally(() => { finished = true; }).catch(() => {});
  const hardStop = startAt + (totalDuration(s) + s.drain + 30) * 1000;
  while (!finished) {
    await Promise.race([done, new Promise((r) => setTimeout(r, tickMs))]);
    agg.add('cloud', cloudMetrics.drain());
    if (o.sidecar) agg.add('sidecar', o.sidecar.drain());
    const g = meter.read(genPids());
    const h = hubPid ? meter.read([hubPid]) : undefined;
    generator.push(g);
    if (h) hub.push(h);
    const p = agg.tick((wallMs() - startAt) / 1000, { generator: g, ...(h ? { hub: h } : {}) });
    o.onTick?.({
      t: p.t, sessions: p.sessions, pending: p.pending, sent: p.counters[COUNTERS.sent] ?? 0, received: p.counters[COUNTERS.received] ?? 0,
      errors: (p.counters[COUNTERS.connectErrors] ?? 0) + (p.counters[COUNTERS.connectRefused] ?? 0) + (p.counters[COUNTERS.requestFailures] ?? 0),
      totals: agg.counters,
    });
    if (wallMs() > hardStop) {
      log('coordinator: hard stop reached; ending the engines');
      abort.abort();
      for (const c of children) c.kill('SIGTERM');
      break;
    }
  }
  abort.abort();
  await cloud;
  agg.add('cloud', cloudMetrics.drain());
  if (s.cloud?.kind === 'c2d') {
    // Lost cloud-to-device messages: accepted by the API but never delivered to a device.
    const accepted = (agg.counters[COUNTERS.requests] ?? 0) - (agg.counters[COUNTERS.requestFailures] ?? 0);
    agg.counters['c2d_lost'] = Math.max(0, accepted - (agg.counters['c2d_received'] ?? 0));
  }
  return { aggregate: agg, startedAt: startAt, durationS: (wallMs() - startAt) / 1000, generator, hub, engines: specs.length, logs };
}
