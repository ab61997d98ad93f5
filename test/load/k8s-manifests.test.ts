// The Kubernetes manifests of load/k8s/, read with the project's YAML library and held to the CLI they drive (no
// cluster needed): each index of the Indexed Job becomes its own --segment I/N with its own report folder and source
// addresses, the slices add up to the fleet, the resources cover the per-session figures, the merge reads the same
// volume, and the k6-operator TestRun names a script and inputs the k6 scripts read.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseHubArgs } from '../../hub/main.js';
import { resolveScenario, segmentOf } from '../../load/run.js';
import { parseLocalAddresses } from '../../src/cli/load-command.js';
import { loadDescriptor } from '../../src/target/descriptor.js';
import { hubcheck, ROOT } from '../cli/helpers.js';

// Manifests are free-form YAML: read as plain records and checked field by field.
type Doc = Record<string, any>;
const DIR = path.join(ROOT, 'load/k8s');
const read = (file: string): Doc[] => parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8')).map((d) => {
  if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
  return d.toJS() as Doc;
});
const one = (docs: Doc[], kind: string, name: string) => {
  const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!d) throw new Error(`no ${kind} ${name}`);
  return d;
};
const arg = (args: string[], flag: string) => { const i = args.indexOf(flag); return i < 0 ? undefined : args[i + 1]; };
/** What the kubelet does to $(VAR) in args, for the one variable the Job sets per pod. */
const forIndex = (args: string[], i: number) => args.map((a) => a.replaceAll('$(JOB_COMPLETION_INDEX)', String(i)));
/** Kubernetes quantities used here: Mi/Gi memory, cores or millicores. */
const mib = (q: string) => { const m = /^(\d+(?:\.\d+)?)(Mi|Gi)$/.exec(q); if (!m) throw new Error(`memory ${q}`); return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1); };
const cores = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q));

const hubDocs = read('hub.yaml');
const job = one(read('fleet-job.yaml'), 'Job', 'hubcheck-load');
const merge = one(read('merge-job.yaml'), 'Job', 'hubcheck-load-merge');
const hubDeployment = one(hubDocs, 'Deployment', 'hubcheck-hub');
const shard = job.spec.template.spec.containers[0];
const args: string[] = shard.args;
const N: number = job.spec.completions;

// The measured figures docs/distributed-load.md sizes from (measured on a two-core machine, docs/benchmarks.md).
const FIGURES = { sessionKiBMax: 6, kernelKBPerEnd: 5, engineProcessMiB: 120, coordinatorMiB: 200, connectUsMax: 460, portsPerAddress: 28_000 };

describe('load/k8s/fleet-job.yaml: an Indexed Job of fleet-engine shards', () => {
  test('each index is its own --segment I/N, with N the Job\'s completions, wired from JOB_COMPLETION_INDEX', () => {
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism, 'every shard runs at once').toBe(N);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(shard.env).toContainEqual({ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } });
    expect(arg(args, '--segment')).toBe(`$(JOB_COMPLETION_INDEX)/${N}`);
    expect(arg(args, '--report-dir')).toBe('/reports/shard-$(JOB_COMPLETION_INDEX)');
    const dirs = new Set<string>();
    const addresses = new Set<string>();
    for (let i = 0; i < N; i++) {
      const a = forIndex(args, i);
      expect(arg(a, '--segment')).toBe(`${i}/${N}`);
      dirs.add(arg(a, '--report-dir')!);
      for (const addr of parseLocalAddresses(arg(a, '--local-addresses')!)) {
        expect(addresses.has(addr), `${addr} is one shard's own`).toBe(false);
        addresses.add(addr);
      }
    }
    expect(dirs.size, 'one report folder per shard').toBe(N);
    // the wrapper passes the arguments on and keeps a shard whose own thresholds failed (exit 1) a completed one
    expect(shard.command).toEqual(['sh', '-c', 'node bin/hubcheck.js "$@"; code=$?; [ $code -le 1 ] || exit $code', 'shard']);
  });

  test('the slices add up to the fleet, and each fits the per-process and per-address bounds', () => {
    const devices = Number(arg(args, '--devices'));
    const whole = resolveScenario({ scenario: args[1]!, devices, duration: Number(arg(args, '--duration')), connectRate: Number(arg(args, '--connect-rate')) });
    let total = 0;
    for (let i = 0; i < N; i++) {
      const a = forIndex(args, i);
      const { scenario } = segmentOf(whole, [i, N]);
      total += scenario.devices;
      const processes = Number(arg(a, '--processes'));
      // the bounds docs/distributed-load.md sizes with: 18,000 per process (the CLI refuses > 19,500), 15,000 per
      // source address (the connect rate collapses past that, and ~28k is the hard end)
      expect(scenario.devices / processes, `shard ${i}: sessions per process`).toBeLessThanOrEqual(18_000);
      expect(scenario.devices / parseLocalAddresses(arg(a, '--local-addresses')!).length, `shard ${i}: sessions per source address`).toBeLessThanOrEqual(15_000);
    }
    expect(total).toBe(devices);
    expect(one(hubDocs, 'Deployment', 'hubcheck-hub').spec.template.spec.initContainers[0].env).toContainEqual({ name: 'DEVICES', value: String(devices) });
  });

  test('every flag is one `hubcheck load` takes', async () => {
    const help = await hubcheck(['load', '--help'], 60_000);
    expect(help.code).toBe(0);
    const flags = args.filter((a) => a.startsWith('--'));
    for (const f of flags) expect(help.stdout, `hubcheck load ${f}`).toContain(`${f} `);
    expect(Object.keys(await import('../../load/scenarios/index.js').then((m) => m.SCENARIOS))).toContain(args[1]);
  }, 60_000);

  test('the resources cover the measured per-session figures', () => {
    const devices = Number(arg(args, '--devices'));
    const perShard = Math.ceil(devices / N);
    const processes = Number(arg(args, '--processes'));
    const memory = (perShard * (FIGURES.sessionKiBMax * 1024 + FIGURES.kernelKBPerEnd * 1000)) / 2 ** 20 + processes * FIGURES.engineProcessMiB + FIGURES.coordinatorMiB;
    expect(mib(shard.resources.requests.memory)).toBeGreaterThanOrEqual(memory);
    expect(mib(shard.resources.limits.memory)).toBeGreaterThan(mib(shard.resources.requests.memory));
    const connectsPerShard = Number(arg(args, '--connect-rate')) / N;
    expect(cores(shard.resources.requests.cpu)).toBeGreaterThanOrEqual((connectsPerShard * FIGURES.connectUsMax) / 1e6);
  });

  test('the shards share the hub\'s node and network (the fleet engine loads only loopback), and its volume and target', () => {
    const spec = job.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(hubDeployment.spec.template.spec.hostNetwork).toBe(true);
    const term = spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(term.topologyKey).toBe('kubernetes.io/hostname');
    expect(hubDeployment.spec.template.metadata.labels).toMatchObject(term.labelSelector.matchLabels);
    expect(shard.image).toBe('hubcheck/load:dev');
    const volumes = Object.fromEntries(spec.volumes.map((v: Doc) => [v.name, v]));
    const mounts = Object.fromEntries(shard.volumeMounts.map((m: Doc) => [m.mountPath, m.name]));
    expect(volumes[mounts['/reports']].persistentVolumeClaim.claimName).toBe(one(hubDocs, 'PersistentVolumeClaim', 'hubcheck-load').metadata.name);
    const targetFile = arg(args, '--target')!;
    const cm = volumes[mounts[path.posix.dirname(targetFile)]].configMap.name;
    expect(one(hubDocs, 'ConfigMap', cm).data[path.posix.basename(targetFile)]).toBeDefined();
    expect(arg(args, '--fixtures')!.startsWith('/reports/')).toBe(true);
  });
});

describe('load/k8s/hub.yaml: the hub the shards reach on 127.0.0.1', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-k8s-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the target descriptor names the hub\'s ports and credentials, and the hub takes the whole fleet', () => {
    const file = path.join(dir, 'target.yaml');
    writeFileSync(file, one(hubDocs, 'ConfigMap', 'hubcheck-load-target').data['target.yaml']);
    const target = loadDescriptor(file);
    const hub = hubDeployment.spec.template.spec.containers.find((c: Doc) => c.name === 'hub');
    const env = Object.fromEntries(hub.env.map((e: Doc) => [e.name, e.value]));
    const o = parseHubArgs([], env).options;
    expect(target.endpoints).toEqual({ mqtt: `mqtt://${o.host}:${o.mqttPort}`, api: `http://${o.host}:${o.apiPort}` });
    expect(target.cloudApi).toEqual({ secretId: o.secretId, secretKey: o.secretKey });
    const devices = Number(arg(args, '--devices'));
    expect(o.maxConnections).toBeGreaterThanOrEqual(devices);
    expect(o.maxConnectionsPerAddress).toBeGreaterThanOrEqual(devices);
    // a hub process holds < 20,000 open files: the hub runs enough workers for the fleet, over the pod's Redis
    expect(Number(env['HUB_WORKERS']) * 18_000).toBeGreaterThanOrEqual(devices);
    expect(env['HUB_REDIS']).toMatch(/^redis:\/\/127\.0\.0\.1:6379\//);
    expect(hubDeployment.spec.template.spec.containers.map((c: Doc) => c.name)).toContain('redis');
    expect(hub.command.join(' '), 'the hub imports the fleet the shards log in with').toContain(`--import-devices ${arg(args, '--fixtures')}`);
    expect(env['HUB_DATA']).toMatch(/^\/reports\//);
  });
});

describe('load/k8s/merge-job.yaml', () => {
  test('merges every shard folder of the same volume with the load image', () => {
    const c = merge.spec.template.spec.containers[0];
    expect(c.image).toBe('hubcheck/load:dev');
    expect(c.command.join(' ')).toContain('bin/hubcheck.js report merge /reports/shard-*/load.json --out /reports/merged');
    expect(merge.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe('hubcheck-load');
    expect(c.volumeMounts).toContainEqual({ name: merge.spec.template.spec.volumes[0].name, mountPath: '/reports' });
    expect(arg(args, '--report-dir')).toMatch(/^\/reports\/shard-/);
  });
});

describe('load/k8s/k6-testrun.yaml: the k6 scripts with k6-operator', () => {
  const run = one(read('k6-testrun.yaml'), 'TestRun', 'hubcheck-idle-hold');
  test('names a script of load/k6 and the inputs the scripts read, within the per-address bound', () => {
    expect(run.apiVersion).toBe('k6.io/v1alpha1');
    const script = run.spec.script.configMap.file;
    expect(readFileSync(path.join(ROOT, 'load/k6', script), 'utf8')).toContain("from './lib.ts'");
    const lib = readFileSync(path.join(ROOT, 'load/k6/lib.ts'), 'utf8');
    const env = Object.fromEntries(run.spec.runner.env.map((e: Doc) => [e.name, e.value]));
    for (const name of Object.keys(env).filter((n) => n.startsWith('HUBCHECK_'))) expect(lib, `lib.ts reads ${name}`).toContain(`__ENV['${name}']`);
    for (const name of ['HUBCHECK_MQTT', 'HUBCHECK_FIXTURES', 'HUBCHECK_DEVICES']) expect(env[name], name).toBeDefined();
    const mounts: Doc[] = run.spec.runner.volumeMounts;
    expect(mounts.some((m) => env['HUBCHECK_FIXTURES'].startsWith(`${m.mountPath}/`)), 'the fleet file is on a mounted volume').toBe(true);
    expect(run.spec.runner.volumes.map((v: Doc) => v.name)).toEqual(expect.arrayContaining(mounts.map((m) => m.name)));
    expect(Number(env['HUBCHECK_DEVICES']) / run.spec.parallelism, 'sessions per runner (one source address each)').toBeLessThan(FIGURES.portsPerAddress);
  });
});
