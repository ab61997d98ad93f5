/** `hubcheck load SCENARIO`: resolve the scenario and target, provision or read credentials, run the engines, judge the SLOs and write the report. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudApi } from '../src/client/cloud-api.js';
import { HubcheckError } from '../src/errors.js';
import { newRunId } from '../src/report/write.js';
import { ROOT } from '../src/runner/paths.js';
import { loadDescriptor, type TargetDescriptor } from '../src/target/descriptor.js';
import { launch, type LaunchedTarget } from '../src/target/launch.js';
import { Collector } from './metrics/collector.js';
import { deprovision, provisionViaApi, readFixtures, type DeviceCred } from './fleet/credentials.js';
import { apportion, runFleet } from './fleet/coordinator.js';
import { countFixtureRows } from './fleet/identities.js';
import type { ProgressPoint } from './report/progress.js';
import { runHttpLoad } from './http/autocannon.js';
import { COUNTERS, CYCLE } from './metrics/names.js';
import { rates, trends } from './report/aggregate.js';
import { toLoadHtml } from './report/html.js';
import { LOAD_REPORT_SCHEMA, type LoadReport, type ResourceSummary } from './report/model.js';
import { SCENARIOS } from './scenarios/index.js';
import { totalDuration, validateScenario, type Scenario } from './scenarios/types.js';
import { checkExpression, evaluate } from './slo.js';
import { preflight, served } from './preflight.js';

export interface LoadOptions {
  scenario: string;
  target?: string;
  devices?: number;
  duration?: number;
  rate?: number;
  qos?: number;
  connectRate?: number;
  maxPending?: number;
  processes?: number;
  threads?: number;
  localAddresses?: string[];
  fixtures?: string;
  fixturesOffset?: number;
  hubPid?: number;
  reportDir?: string;
  keepDevices?: boolean;
  /** cycle: sessions live at most (the stage target). */
  live?: number;
  /** cycle: messages per visit, the share of them at QoS 1, passes over the identities, seconds a device stays. */
  messages?: number;
  qos1Share?: number;
  cycles?: number;
  dwell?: number;
  /** Progress as the run goes (a line every few seconds on stderr from the CLI). */
  onProgress?: (p: ProgressPoint) => void;
  /** Replace or add thresholds: metric → expressions. */
  thresholds?: Record<string, string[]>;
  /** Run one slice of the scenario: [index, count] (devices, targets and rates divided; merge the reports with `report merge`). */
  segment?: [number, number];
  out?: (line: string) => void;
}

export interface LoadOutcome {
  report: LoadReport;
  paths: { json: string; html: string };
  exitCode: number;
}

const bad = (msg: string) => new HubcheckError('BAD_OPTION', msg);

/** The scenario with command-line overrides applied; every problem is reported at once with the fix. */
export function resolveScenario(o: Pick<LoadOptions, 'scenario' | 'devices' | 'duration' | 'rate' | 'qos' | 'connectRate' | 'maxPending' | 'thresholds' | 'live' | 'messages' | 'qos1Share' | 'cycles' | 'dwell'>): Scenario {
  const base = SCENARIOS[o.scenario];
  if (!base) throw bad(`unknown scenario "${o.scenario}"; use one of: ${Object.keys(SCENARIOS).join(', ')}`);
  const s: Scenario = structuredClone(base);
  if (o.devices !== undefined) {
    const old = s.devices;
    s.devices = o.devices;
    // Stage targets scale with the fleet (a target of "all devices" stays all devices).
    s.stages = s.stages.map((st) => ({ ...st, target: Math.min(o.devices!, Math.round((st.target * o.devices!) / old)) }));
  }
  if (o.duration !== undefined) {
    // --duration sets the length of the last stage (the steady part).
    const last = s.stages[s.stages.length - 1]!;
    last.duration = o.duration;
    if (s.http) s.http.duration = o.duration;
  }
  if (o.rate !== undefined) {
    if (s.telemetry) s.telemetry.rate = o.rate;
    else if (s.shadow) s.shadow.rate = o.rate;
    else if (s.cloud) s.cloud.rate = o.rate;
    else if (s.http) s.http.rate = o.rate;
    else throw bad(`--rate: scenario ${s.name} sends no traffic at a rate`);
  }
  if (o.qos !== undefined) {
    if (!s.telemetry) throw bad(`--qos: scenario ${s.name} has no telemetry; --qos applies to telemetry`);
    if (o.qos !== 0 && o.qos !== 1) throw bad(`--qos must be 0 or 1 (got ${o.qos})`);
    s.telemetry.qos = o.qos;
    if (o.qos === 0) {
      const { ['delivery_latency{qos:1}']: p, qos1_lost: _l, qos1_duplicates: _d, ...rest } = s.thresholds;
      s.thresholds = { ...rest, ...(p ? { 'delivery_latency{qos:0}': p } : {}) };
    }
  }
  if (o.connectRate !== undefined) s.ramp.rate = o.connectRate;
  if (o.maxPending !== undefined) s.ramp.maxPending = o.maxPending;
  const cycleOptions = { live: o.live, messages: o.messages, qos1Share: o.qos1Share, cycles: o.cycles, dwell: o.dwell };
  if (s.cycle) {
    const c = s.cycle;
    if (o.messages !== undefined) c.messages = o.messages;
    if (o.qos1Share !== undefined) c.qos1Share = o.qos1Share;
    if (o.cycles !== undefined) c.cycles = o.cycles;
    if (o.dwell !== undefined) c.dwell = o.dwell;
    const live = o.live ?? Math.min(base.stages[0]!.target, s.devices);
    // The one stage: its target is the live cap, its duration the time limit (by default half as long again as the
    // visits take at the connect rate, plus a dwell and a margin; the engines finish as soon as every visit is done).
    const limit = o.duration ?? Math.ceil(((s.devices * c.cycles) / s.ramp.rate) * 1.5 + c.dwell + 30);
    s.stages = [{ duration: limit, target: live }];
  } else {
    const given = Object.entries(cycleOptions).filter(([, v]) => v !== undefined).map(([k]) => `--${k.replace(/[A-Z0-9]+/g, (x) => `-${x.toLowerCase()}`)}`);
    if (given.length) throw bad(`${given.join(', ')}: only the cycle scenario takes ${given.length > 1 ? 'these' : 'this'} (scenario ${s.name} holds sessions by its stages)`);
  }
  if (o.thresholds) s.thresholds = { ...s.thresholds, ...o.thresholds };
  const problems = validateScenario(s);
  for (const [metric, exprs] of Object.entries(s.thresholds)) for (const e of exprs) { const p = checkExpression(metric, e); if (p) problems.push(p); }
  if (problems.length) throw bad(`scenario ${s.name}: ${problems.join('; ')}`);
  return s;
}

function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === 'localhost' || host === '[::1]' || host === '::1';
}

/** Load traffic may only go to this machine (127.0.0.0/8): refuse any other target before sending anything. */
export function checkLoopback(field: string, url: string): void {
  const host = new URL(url).hostname;
  if (!isLoopback(host)) throw bad(`${field} ${url}: load traffic goes only to 127.0.0.0/8 or ::1 on this machine; point the target at a local hub`);
}

export function summarizeResources(samples: { cpuPct: number; rssMiB: number }[]): ResourceSummary | undefined {
  const s = samples.slice(1); // the first sample has no CPU baseline
  if (!s.length) return undefined;
  const rss = samples.map((x) => x.rssMiB).filter((x) => x > 0).sort((a, b) => a - b);
  return {
    cpuPctAvg: Math.round((s.reduce((a, b) => a + b.cpuPct, 0) / s.length) * 10) / 10,
    cpuPctMax: s.reduce((a, x) => Math.max(a, x.cpuPct), 0),
    rssMiBMax: rss.length ? rss[rss.length - 1]! : 0,
    ...(rss.length ? { rssMiBMin: rss[0]!, rssMiBMedian: rss[Math.floor((rss.length - 1) / 2)]! } : {}),
  };
}

/** The slice of a scenario that segment [i, n] runs: its devices, stage targets and every rate divided in proportion. */
export function segmentOf(s: Scenario, [i, n]: [number, number]): { scenario: Scenario; offset: number } {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(i) || i < 0 || i >= n) throw bad(`--segment ${i}/${n}: use I/N with 0 <= I < N, e.g. --segment 0/4`);
  const sizes = apportion(s.devices, Array(n).fill(1));
  const size = sizes[i]!;
  if (size < 1) throw bad(`--segment ${i}/${n}: ${s.devices} devices do not split into ${n} segments; use fewer segments`);
  const offset = sizes.slice(0, i).reduce((a, b) => a + b, 0);
  const share = size / s.devices;
  const c: Scenario = structuredClone(s);
  c.devices = size;
  c.stages = c.stages.map((st) => ({ ...st, target: apportion(st.target, sizes)[i]! }));
  c.ramp = { rate: c.ramp.rate * share, maxPending: Math.max(1, Math.round(c.ramp.maxPending * share)) };
  if (c.cycle) c.stages = c.stages.map((st) => ({ ...st, target: Math.max(1, st.target) })); // a cycling slice keeps at least one session
  if (c.telemetry) c.telemetry.rate *= share;
  if (c.shadow) c.shadow.rate *= share;
  if (c.cloud) c.cloud.rate *= share;
  if (c.http) c.http.rate *= share;
  return { scenario: c, offset };
}

export async function runLoad(o: LoadOptions): Promise<LoadOutcome> {
  const out = o.out ?? (() => {});
  const whole = resolveScenario(o);
  const seg = o.segment ? segmentOf(whole, o.segment) : { scenario: whole, offset: 0 };
  const scenario = seg.scenario;
  const localAddresses = o.localAddresses ?? ['127.0.0.1'];
  for (const a of localAddresses) if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) throw bad(`--local-addresses: ${a} is not a 127.x.y.z address`);
  // The embedded hub takes the whole fleet from one address at whatever API rate the scenario drives, so its resource
  // bounds are sized to the fleet and its API rates lifted: a load run measures the hub, not its abuse guards.
  // Sessions open at once: the fleet, or for the cycle scenario its live cap.
  const sessionsNeeded = scenario.cycle ? Math.max(...scenario.stages.map((st) => st.target)) : scenario.devices;
  const fleetConnections = sessionsNeeded + 1000;
  const descriptor: TargetDescriptor = o.target ? loadDescriptor(o.target) : {
    launcher: 'embedded',
    embedded: { devicesPerProduct: 1_000_000, maxConnections: Math.max(50_000, fleetConnections) },
    limits: { connectionsPerAddress: fleetConnections, apiRates: {} },
  };
  if (descriptor.launcher === 'external') {
    checkLoopback('endpoints.mqtt', descriptor.endpoints!.mqtt!);
    checkLoopback('endpoints.api', descriptor.endpoints!.api!);
  }
  const devicesNeeded = scenario.devices;
  const processes = o.processes ?? (sessionsNeeded > 1000 ? Math.ceil(sessionsNeeded / 18_000) : 0);
  const threads = o.threads ?? (processes > 0 ? 1 : 0);
  if (!Number.isInteger(processes) || processes < 0 || processes > 64) throw bad(`--processes: 0 to 64 (got ${processes})`);
  if (!Number.isInteger(threads) || threads < 0 || threads > 16) throw bad(`--threads: 0 to 16 (got ${threads})`);
  const perEngine = devicesNeeded / Math.max(1, processes * Math.max(1, threads));
  if (processes > 0 && sessionsNeeded / processes > 19_500) throw bad(`--processes ${processes}: ${Math.ceil(sessionsNeeded / processes)} sessions per process is over the 20,000 open files a process may hold; use --processes ${Math.ceil(sessionsNeeded / 18_000)}`);
  if (processes === 0 && sessionsNeeded > 19_000) throw bad(`${scenario.cycle ? '--live' : '--devices'} ${sessionsNeeded} in one process is over the 20,000 open files a process may hold; add --processes ${Math.ceil(sessionsNeeded / 18_000)}`);

  const launched: LaunchedTarget = await launch(descriptor);
  const target = launched.target;
  const notes: string[] = [];
  let provisioned: { productId: string; devices: DeviceCred[] } | undefined;
  const api = new CloudApi({ endpoint: target.endpoints.api, ...target.cloudApi });
  const runId = newRunId();
  const dir = o.reportDir ?? join(ROOT, 'reports', runId);
  try {
    out(`load: scenario ${scenario.name} (${scenario.description}) against ${target.name}`);
    const skipped = await preflight(scenario, target, api);
    let devices: DeviceCred[] | { file: string; offset: number };
    let httpDevices: DeviceCred[] = [];
    if (skipped) {
      out(`load: SKIPPED — ${skipped}`);
      devices = [];
    } else if (o.fixtures) {
      devices = { file: o.fixtures, offset: (o.fixturesOffset ?? 0) + seg.offset };
      // The cycle scenario's engines read their own rows compactly: here only count them (a million objects would not fit).
      const have = scenario.cycle
        ? Math.max(0, (await countFixtureRows(o.fixtures).catch((e: Error) => { throw bad(e.message); })) - devices.offset)
        : (await readFixtures(o.fixtures, devices.offset, devices.offset + devicesNeeded).catch((e: Error) => { throw bad(e.message); })).length;
      if (have < devicesNeeded) throw bad(`--fixtures ${o.fixtures}: has ${have} devices from offset ${devices.offset}, the scenario needs ${devicesNeeded}; use --devices ${have} or a bigger file`);
      httpDevices = scenario.http ? await readFixtures(o.fixtures, devices.offset, devices.offset + 1000) : [];
      notes.push(`credentials from the fixtures file ${o.fixtures} (rows ${devices.offset}–${devices.offset + devicesNeeded - 1})`);
    } else {
      const t0 = performance.now();
      provisioned = await provisionViaApi(api, devicesNeeded, `load_${scenario.name.replace(/[^a-zA-Z0-9]/g, '')}`);
      out(`load: provisioned ${devicesNeeded} devices through the cloud API in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      devices = provisioned.devices;
      httpDevices = provisioned.devices;
    }

    const embedded = target.launcher === 'embedded';
    if (embedded) notes.push('the hub is embedded in the generator process: "generator" CPU and memory are process-wide and include the hub');
    else if (o.hubPid) notes.push(`hub CPU and memory measured from pid ${o.hubPid}`);
    else notes.push('hub CPU and memory not measured (give --hub-pid when the hub is a local process)');
    const mqtt = new URL(target.endpoints.mqtt);
    const side = new Collector();
    let c2dAction: 'PublishMessage' | 'PublishBroadcastMessage' = 'PublishMessage';
    if (scenario.cloud?.kind === 'c2d' && !skipped) {
      c2dAction = (await served(api, 'PublishMessage')) ? 'PublishMessage' : 'PublishBroadcastMessage';
      if (c2dAction !== 'PublishMessage') notes.push('PublishMessage is not served: cloud-to-device traffic uses PublishBroadcastMessage (one message reaches every device of the product)');
    }
    const fleetRun = runFleet({
      scenario: skipped ? { ...scenario, devices: 1, stages: [{ duration: 0.1, target: 0 }], telemetry: undefined, shadow: undefined, cloud: undefined, http: undefined } as Scenario : scenario,
      host: mqtt.hostname,
      port: Number(mqtt.port || 1883),
      localAddresses,
      devices: skipped ? [{ productId: 'AAAAAAAAAA', deviceName: 'none', psk: '' }] : devices,
      processes: skipped ? 0 : processes,
      threads: skipped ? 0 : threads,
      ...(embedded ? { hubPid: 'self' as const } : o.hubPid ? { hubPid: o.hubPid } : {}),
      api,
      c2dAction,
      sidecar: side,
      onTick: (p) => {
        if (!o.onProgress) {
          out(`  t=${p.t.toFixed(0).padStart(4)}s sessions ${String(p.sessions).padStart(7)} pending ${String(p.pending).padStart(5)} sent ${p.sent} received ${p.received} errors ${p.errors}`);
          return;
        }
        const c = p.totals;
        const errors = (c[COUNTERS.connectErrors] ?? 0) + (c[COUNTERS.connectRefused] ?? 0) + (c[COUNTERS.requestFailures] ?? 0) + (c[COUNTERS.disconnects] ?? 0);
        o.onProgress({
          t: p.t, planned: totalDuration(scenario), sessions: p.sessions, pending: p.pending, connects: c[COUNTERS.connects] ?? 0, errors,
          lost: (c[CYCLE.lost] ?? 0) + (c[COUNTERS.qos1Lost] ?? 0),
          ...(scenario.cycle ? { done: Math.max(0, (c[CYCLE.visits] ?? 0) - p.sessions - p.pending), total: scenario.devices * scenario.cycle.cycles } : {}),
        });
      },
      log: (l) => out(`  ${l}`),
    });
    let http: Promise<unknown> = Promise.resolve();
    if (scenario.http && !skipped) {
      const h = scenario.http;
      http = new Promise((r) => setTimeout(r, h.startAfter * 1000 + 100)).then(() => runHttpLoad({
        kind: h.kind, url: target.endpoints.api, devices: httpDevices, connections: h.connections, rate: h.rate, duration: h.duration,
        cloudApi: target.cloudApi, collector: side,
      }));
    }
    const [fleet] = await Promise.all([fleetRun, http]);
    const agg = fleet.aggregate;
    agg.add('sidecar', side.drain());
    const histograms = agg.encodedTotals();
    const metrics: LoadReport['metrics'] = { counters: { ...agg.counters }, rates: rates(agg.counters), trends: trends(histograms), histograms };
    const thresholds = skipped ? [] : evaluate(scenario.thresholds, metrics);
    const gen = summarizeResources(fleet.generator);
    const hubRes = summarizeResources(fleet.hub);
    const report: LoadReport = {
      schema: LOAD_REPORT_SCHEMA,
      runId,
      scenario: scenario.name,
      description: scenario.description,
      engine: 'fleet',
      target: target.name,
      startedAt: new Date(fleet.startedAt).toISOString(),
      durationS: Math.round(fleet.durationS * 100) / 100,
      config: {
        devices: scenario.devices, stages: scenario.stages, ramp: scenario.ramp, keepalive: scenario.keepalive,
        telemetry: scenario.telemetry, shadow: scenario.shadow, cloud: scenario.cloud, http: scenario.http, cycle: scenario.cycle,
        thresholds: whole.thresholds, ...(o.segment ? { segment: `${o.segment[0]}/${o.segment[1]}` } : {}),
        processes, threads, engines: fleet.engines, devicesPerEngine: Math.ceil(perEngine), localAddresses, plannedDurationS: totalDuration(scenario),
      },
      notes: [...notes, ...fleet.logs.slice(0, 20)],
      metrics,
      resources: { ...(gen ? { generator: gen } : {}), ...(hubRes ? { hub: hubRes } : {}), hubMeasured: embedded ? 'in-process' : o.hubPid ? 'process' : 'none' },
      timeline: agg.timeline,
      thresholds,
      passed: thresholds.every((t) => t.ok),
      ...(skipped ? { skipped } : {}),
    };
    const paths = await writeLoadReport(dir, report);
    return { report, paths, exitCode: report.passed ? 0 : 1 };
  } finally {
    if (provisioned && !o.keepDevices) await deprovision(api, provisioned.productId, provisioned.devices).catch(() => {});
    await launched.stop();
  }
}

export async function writeLoadReport(dir: string, report: LoadReport): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, 'load.json'), html: join(dir, 'load.html') };
  await writeFile(paths.json, JSON.stringify(report, null, 1) + '\n', 'utf8');
  await writeFile(paths.html, toLoadHtml(report), 'utf8');
  return paths;
}
