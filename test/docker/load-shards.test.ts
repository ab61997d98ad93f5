// A load scenario in three shards against the hub's container, as docker/compose.load.yaml runs it: fixtures, the hub
// importing them, three generator containers of hubcheck/load:dev each with --segment I/3, and `hubcheck report merge`.
// The file's wiring is checked against the CLI's own scenario slicing and the hub's option parser; the run itself is
// required when CI=true (skipped where no Docker engine answers), through test/docker/compose-runner.ts when the
// engine's CLI has no `docker compose`.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseHubArgs } from '../../hub/main.js';
import { resolveScenario, segmentOf } from '../../load/run.js';
import type { LoadReport } from '../../load/report/model.js';
import { loadDescriptor } from '../../src/target/descriptor.js';
import { freePorts, ROOT } from '../cli/helpers.js';
import { composeUp, interpolate, readCompose, startOrder, type ComposeRun } from './compose-runner.js';

const FILE = path.join(ROOT, 'docker/compose.load.yaml');
const HUB_IMAGE = process.env.HUBCHECK_HUB_IMAGE ?? 'hubcheck/hub:dev';
const LOAD_IMAGE = process.env.HUBCHECK_LOAD_IMAGE ?? 'hubcheck/load:dev';
const inCi = process.env.CI === 'true';
const LABEL = 'hubcheck.test=load-shards';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}
function engineAnswers(): boolean {
  try { docker('version', '--format', '{{.Server.Version}}'); return true; } catch { return false; }
}
/** The value after `flag` in an argument list. */
const arg = (args: string[] | undefined, flag: string) => { const i = (args ?? []).indexOf(flag); return i < 0 ? undefined : args![i + 1]; };

test('docker/compose.load.yaml: every shard runs its own segment of one fleet, and the merge takes them all', () => {
  const doc = readCompose(FILE, {}); // the file's defaults
  const shards = Object.keys(doc.services).filter((n) => /^shard-\d+$/.test(n)).sort();
  const n = shards.length;
  expect(n).toBe(3);
  const fixtures = doc.services['fixtures']!.command!;
  const fleet = arg(fixtures, '--make-fixtures')!;
  const devices = Number(arg(fixtures, '--devices'));
  const hub = doc.services['hub']!;
  expect(arg(hub.command, '--import-devices'), 'the hub imports the fixtures the shards log in with').toBe(fleet);
  // runHubCli takes --import-devices FILE out before the other options are parsed
  const hubOptions = parseHubArgs((hub.command ?? []).filter((_, k, all) => all[k] !== '--import-devices' && all[k - 1] !== '--import-devices'), hub.environment ?? {}).options;
  expect(hubOptions.dataFile, 'the import goes into the registry file the hub opens').toBe(hub.environment?.['HUB_DATA']);
  expect(hubOptions.maxConnectionsPerAddress, 'the whole fleet may connect from one address').toBeGreaterThanOrEqual(devices);
  const target = loadDescriptor(path.join(ROOT, 'docker/compose-load-target.yaml'));
  expect(target.endpoints!.mqtt).toBe(`mqtt://127.0.0.1:${hubOptions.mqttPort}`);
  expect(target.endpoints!.api).toBe(`http://127.0.0.1:${hubOptions.apiPort}`);
  expect(target.cloudApi).toEqual({ secretId: hubOptions.secretId, secretKey: hubOptions.secretKey });

  const sizes: number[] = [];
  for (const [i, name] of shards.entries()) {
    const svc = doc.services[name]!;
    expect(name).toBe(`shard-${i}`);
    expect(svc.image).toBe('hubcheck/load:dev');
    expect(svc.network_mode, `${name}: load goes to the hub on 127.0.0.1`).toBe('host');
    expect(svc.depends_on?.['hub']?.condition).toBe('service_healthy');
    const cmd = svc.command!;
    expect(cmd[0]).toBe('load');
    expect(arg(cmd, '--segment')).toBe(`${i}/${n}`);
    expect(arg(cmd, '--report-dir')).toBe(`/reports/shard-${i}`);
    expect(arg(cmd, '--fixtures')).toBe(fleet);
    expect(Number(arg(cmd, '--devices')), `${name}: --devices is the whole fleet (the segment takes its slice)`).toBe(devices);
    expect(svc.volumes).toContain(`./compose-load-target.yaml:${arg(cmd, '--target')}:ro`);
    sizes.push(segmentOf(resolveScenario({ scenario: cmd[1]!, devices }), [i, n]).scenario.devices);
  }
  expect(sizes.reduce((a, b) => a + b, 0), 'the slices add up to the fleet').toBe(devices);
  const merge = doc.services['merge']!;
  expect(merge.command!.slice(0, 2)).toEqual(['report', 'merge']);
  expect(merge.command!.filter((a) => a.endsWith('load.json')).sort()).toEqual(shards.map((s) => `/reports/${s}/load.json`));
  expect(Object.fromEntries(shards.map((s) => [s, merge.depends_on?.[s]?.condition]))).toEqual(Object.fromEntries(shards.map((s) => [s, 'service_completed_successfully'])));
  expect(startOrder(doc).at(-1)).toBe('merge');
});

test('the compose runner reads variables and dependencies as compose does, and refuses what it would not carry out', () => {
  expect(interpolate('${A:-one} ${B:-two} ${C} $$x', { A: 'a', B: '' })).toBe('a two  $x');
  expect(startOrder({ services: { c: { image: 'i', depends_on: { b: { condition: 'service_started' } } }, b: { image: 'i', depends_on: { a: { condition: 'service_healthy' } } }, a: { image: 'i' } } })).toEqual(['a', 'b', 'c']);
  expect(() => startOrder({ services: { a: { image: 'i', depends_on: { b: { condition: 'service_started' } } }, b: { image: 'i', depends_on: { a: { condition: 'service_started' } } } } })).toThrow(/cycle/);
  const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-compose-'));
  try {
    writeFileSync(path.join(dir, 'c.yaml'), 'services:\n  a:\n    image: i\n    ports: ["1883:1883"]\n');
    expect(() => readCompose(path.join(dir, 'c.yaml'), {})).toThrow(/service a: ports not carried out/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the load image copies every folder docker/stage-context.mjs stages for it', () => {
  const stage = readFileSync(path.join(ROOT, 'docker/stage-context.mjs'), 'utf8');
  const folders = JSON.parse((/load: \{ folders: (\[[^\]]*\])/.exec(stage)![1]!).replaceAll("'", '"')) as string[];
  const copied = [...readFileSync(path.join(ROOT, 'docker/Dockerfile.load'), 'utf8').matchAll(/^COPY (\S+) /gm)].map((m) => m[1]);
  expect(folders).toContain('load');
  expect(copied).toEqual(expect.arrayContaining([...folders, 'node_modules', 'package.json']));
});

const available = engineAnswers();

describe.skipIf(!available && !inCi)('three load shards against the hub container', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-load-shards-'));
  chmodSync(dir, 0o755); // the images run as uid 1000 and read the target file mounted from here
  let crun: ComposeRun | undefined;
  afterAll(() => {
    crun?.down();
    try { docker('rm', '-f', ...docker('ps', '-aq', '--filter', `label=${LABEL}`).split('\n').filter(Boolean)); } catch { /* none left */ }
    try { docker('volume', 'rm', '-f', ...docker('volume', 'ls', '-q', '--filter', `label=${LABEL}`).split('\n').filter(Boolean)); } catch { /* none left */ }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the merged report counts every shard\'s devices and loses none of their messages', async () => {
    if (!available) throw new Error('no Docker engine answers, and CI=true requires this test: see .ci/run (docker/engine.sh start, docker/build.sh --load)');
    for (const image of [HUB_IMAGE, LOAD_IMAGE]) {
      try { docker('image', 'inspect', image); } catch { throw new Error(`image ${image} is missing: build it with docker/build.sh${image === LOAD_IMAGE ? ' --load' : ''} (.ci/run does)`); }
    }
    const [mqtt, api] = await freePorts(2);
    const target = path.join(dir, 'target.yaml');
    writeFileSync(target, readFileSync(path.join(ROOT, 'docker/compose-load-target.yaml'), 'utf8').replace(':1883', `:${mqtt}`).replace(':8081', `:${api}`), { mode: 0o644 });
    const devices = 300;
    const env = {
      HUBCHECK_HUB_IMAGE: HUB_IMAGE, HUBCHECK_LOAD_IMAGE: LOAD_IMAGE, HUBCHECK_LOAD_TARGET: target,
      HUBCHECK_LOAD_MQTT_PORT: String(mqtt), HUBCHECK_LOAD_API_PORT: String(api),
      HUBCHECK_LOAD_SCENARIO: 'telemetry', HUBCHECK_LOAD_DEVICES: String(devices), HUBCHECK_LOAD_DURATION: '4',
    };
    const doc = readCompose(FILE, env);
    const project = `hubcheck-load-test-${process.pid}`;
    let exitCode: number;
    try {
      ({ run: crun, exitCode } = await composeUp(FILE, doc, { project, label: LABEL, waitFor: 'merge', deadlineMs: 85_000 }));
    } catch (e) {
      crun = (e as { composeRun?: ComposeRun }).composeRun;
      throw e;
    }
    const volume = crun!.volumes.get('reports')!;
    const read = (file: string) => JSON.parse(docker('run', '--rm', '-v', `${volume}:/reports:ro`, '--entrypoint', 'cat', LOAD_IMAGE, file)) as LoadReport;
    const merged = read('/reports/merged/load.json');
    const shards = [0, 1, 2].map((i) => read(`/reports/shard-${i}/load.json`));
    // What this test judges is the merge: loss, duplicates and logins must hold. The scenario's latency and schedule
    // thresholds depend on how busy the machine is (three shards, the hub and other tests on two cores), so a miss
    // there is allowed, as long as the merge's exit code says so.
    const failed = merged.thresholds.filter((t) => !t.ok);
    const timing = /^(delivery_latency|mqtt_connect_duration|slots_missed)\b/;
    expect(failed.filter((t) => !timing.test(t.metric)), `thresholds the merge must meet:\n${crun!.logs('merge')}`).toEqual([]);
    expect(exitCode, `report merge exited ${exitCode}:\n${crun!.logs('merge')}`).toBe(failed.length ? 1 : 0);
    expect(merged.passed).toBe(failed.length === 0);
    expect(merged.shards).toBe(3);
    expect((merged.config['shards'] as { segment: string }[]).map((c) => c.segment).sort()).toEqual(['0/3', '1/3', '2/3']);
    expect(shards.map((r) => r.config['devices'])).toEqual([100, 100, 100]);
    expect(shards.map((r) => r.metrics.counters['mqtt_connects']), 'each shard logged its own slice in').toEqual([100, 100, 100]);
    expect(merged.config['devices']).toBe(devices);
    expect(merged.metrics.counters['mqtt_connects'], 'every device of every shard logged in').toBe(devices);
    expect(merged.metrics.counters['mqtt_messages_received']).toBe(shards.reduce((a, r) => a + (r.metrics.counters['mqtt_messages_received'] ?? 0), 0));
    expect(merged.metrics.trends['delivery_latency{qos:1}']!.count).toBe(shards.reduce((a, r) => a + r.metrics.trends['delivery_latency{qos:1}']!.count, 0));
    // the shards logged in with disjoint rows of the fixtures file
    expect(shards.map((r) => r.notes.find((x) => x.startsWith('credentials from the fixtures file')))).toEqual([
      'credentials from the fixtures file /reports/fleet.csv (rows 0–99)',
      'credentials from the fixtures file /reports/fleet.csv (rows 100–199)',
      'credentials from the fixtures file /reports/fleet.csv (rows 200–299)',
    ]);
  }, 120_000);
});
