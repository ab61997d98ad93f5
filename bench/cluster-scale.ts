// How many live signed MQTT sessions this machine holds with the reference hub as a cluster and the fleet engine split
// over processes, and what each costs in memory on each side. Not part of `npm run bench` (it takes minutes and most of
// the machine's memory budget): run it on its own.
//
//   npx tsx bench/cluster-scale.ts [--devices 100000] [--workers 7] [--processes 7] [--connect-rate 1500] [--hold 60]
//
// A private redis-server on a free port; the hub cluster (`hubcheck hub --workers W`) with the devices imported from a
// fixtures file into its registry (`--workers 0`: one hub process, no Redis, for comparison); `hubcheck load idle-hold`
// with `--processes P` over 16 loopback source addresses. `--profile DIR` writes a CPU profile of every hub process
// (its first --profile-s seconds) to DIR (bench/support/cpu-profile.mjs; read them with bench/support/profile-top.mjs).
// `--hub-root DIR` runs the hub of another checkout (e.g. the main branch's), to compare in the same session.
// Every 2 s it samples the sessions the hub's MQTT port has ESTABLISHED (ss), the RSS of every hub worker (VmRSS) and
// of every load process. Memory per session is the growth over the RSS measured before the load, at the peak of live
// sessions, divided by them. All traffic stays on 127.0.0.0/8; the load runs for a bounded time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../hub/free-port.js';

const arg = (name: string, fallback: number, min = 1): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer from ${min}`);
  return v;
};
const DEVICES = arg('devices', 100_000);
const WORKERS = arg('workers', 7, 0);
const PROCESSES = arg('processes', 7);
const CONNECT_RATE = arg('connect-rate', 1500);
const HOLD_S = arg('hold', 60);
const PROFILE_DIR = process.argv.includes('--profile') ? path.resolve(process.argv[process.argv.indexOf('--profile') + 1] ?? '') : undefined;
const PROFILE_S = arg('profile-s', 60);
const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const BIN = path.join(ROOT, 'bin/hubcheck.js');
const HUB_ROOT = process.argv.includes('--hub-root') ? path.resolve(process.argv[process.argv.indexOf('--hub-root') + 1] ?? '') : ROOT;
const HUB_BIN = path.join(HUB_ROOT, 'bin/hubcheck.js');
const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-scale-'));
const children: ChildProcess[] = [];

/** What this bench reads of the load report (load/report/model.ts). */
interface LoadJson {
  metrics: { counters: Record<string, number>; trends: Record<string, { med: number; p95: number; p99: number; max: number }> };
  timeline: { t: number; sessions: number }[];
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
/** Open files of a process: how its connections spread (each worker may hold at most 20,000). */
function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}
function childrenOf(pid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}
function established(port: number): number {
  const r = spawnSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return r.stdout.split('\n').filter(Boolean).length;
}
function run(args: string[], label: string, env: NodeJS.ProcessEnv = {}, cwd = ROOT): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => { if (code) console.error(`${label} exited with ${code}:\n${out.slice(-3000)}`); });
  return { child, out: () => out, exited };
}
async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`no ${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

try {
  const clusterArgs: string[] = [];
  if (WORKERS > 0) {
    const redisPort = await freePort('127.0.0.1');
    const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxclients', '1000'], { stdio: 'ignore' });
    children.push(redis);
    await until('redis-server', () => spawnSync('redis-cli', ['-p', String(redisPort), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG', 10_000);
    clusterArgs.push('--workers', String(WORKERS), '--redis', `redis://127.0.0.1:${redisPort}/0`);
  }
  const fixtures = path.join(dir, 'fixtures.csv');
  const made = spawnSync(process.execPath, [BIN, 'load', '--make-fixtures', fixtures, '--devices', String(DEVICES)], { cwd: ROOT, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-fixtures: ${made.stderr}`);
  const target = path.join(dir, 'target.yaml');
  const profileEnv = PROFILE_DIR ? { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import ${path.join(ROOT, 'bench/support/cpu-profile.mjs')}`, HUBCHECK_PROFILE_DIR: PROFILE_DIR, HUBCHECK_PROFILE_MS: String(PROFILE_S * 1000) } : {};
  const hub = run([HUB_BIN, 'hub', ...clusterArgs, '--data', path.join(dir, 'hub.db'), '--import-devices', fixtures,
    '--mqtt-port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0', '--api-port', '0', '--https-port', '0', '--api-rate', 'none',
    '--max-connections-per-address', String(DEVICES), '--max-connections', String(DEVICES), '--target-file', target], 'hub', profileEnv, HUB_ROOT);
  await until('hub banner', () => hub.out().includes('press Ctrl-C to stop'), 300_000);
  const mqttPort = Number(/^\s+MQTT\s+mqtt:\/\/[^:]+:(\d+)/m.exec(hub.out())![1]);
  const workerPids = [...hub.out().matchAll(/cluster: worker \d+ \(pid (\d+)\) ready/g)].map((m) => Number(m[1]));
  const hubRss = () => workerPids.reduce((s, p) => s + rssKb(p), rssKb(hub.child.pid!));
  await new Promise((r) => setTimeout(r, 3000));
  const hubBase = hubRss();
  console.log(`hub: ${WORKERS ? `${WORKERS} workers` : "one process"} up, RSS ${(hubBase / 1024).toFixed(0)} MB before the load (primary and workers)`);

  const rampS = Math.ceil(DEVICES / CONNECT_RATE);
  const load = run([BIN, 'load', 'idle-hold', '--target', target, '--fixtures', fixtures, '--devices', String(DEVICES), '--processes', String(PROCESSES),
    // the last stage runs through the ramp, given twice its time at the asked rate (a machine out of CPU connects
    // slower), and then holds every session at least HOLD_S seconds
    '--local-addresses', '127.0.0.1-16', '--connect-rate', String(CONNECT_RATE), '--max-pending', '2000', '--duration', String(2 * rampS + HOLD_S), '--report-dir', path.join(dir, 'load')], 'load');
  // The generator's memory per session is its growth from its first sample with 1 % of the sessions open (by then
  // each process has made its devices' credentials and state), and also its whole RSS over the sessions (all in).
  let loadBase: { kb: number; live: number } | undefined;
  let peak = { live: 0, hubKb: 0, loadKb: 0, at: 0, files: [] as number[] };
  const began = Date.now();
  const deadline = began + (rampS * 3 + HOLD_S + 300) * 1000;
  let done = false;
  void load.exited.then(() => (done = true));
  while (!done && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    const loaders = childrenOf(load.child.pid!);
    const loadKb = loaders.reduce((s, p) => s + rssKb(p), rssKb(load.child.pid!));
    const live = established(mqttPort);
    if (!loadBase && loaders.length >= PROCESSES && live >= DEVICES / 100) loadBase = { kb: loadKb, live };
    const hubKb = hubRss();
    const files = (workerPids.length ? workerPids : [hub.child.pid!]).map(openFiles);
    if (live >= peak.live) peak = { live, hubKb, loadKb, at: Math.round((Date.now() - began) / 1000), files };
    console.log(`t=${Math.round((Date.now() - began) / 1000)}s live=${live} hub=${(hubKb / 1024).toFixed(0)}MB load=${(loadKb / 1024).toFixed(0)}MB (${loaders.length} load processes) open files per hub process ${files.join(' ')}; load avg ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  }
  if (!done) load.child.kill('SIGTERM');
  const code = await load.exited;
  console.log(load.out().split('\n').slice(-15).join('\n'));
  const kib = (kb: number, n: number) => (n > 0 ? (kb / n).toFixed(1) : '-');
  let report: LoadJson | undefined;
  try {
    report = JSON.parse(readFileSync(path.join(dir, 'load', 'load.json'), 'utf8')) as LoadJson;
  } catch {
    console.log('no load.json: the load did not finish its report');
  }
  const c = report?.metrics.counters ?? {};
  const d = report?.metrics.trends['mqtt_connect_duration'];
  // the connect rate: sessions at the end of the ramp over the time it took (timeline t counts from the scenario's start)
  const top = Math.max(0, ...(report?.timeline.map((p) => p.sessions) ?? [0]));
  const reached = report?.timeline.find((p) => p.sessions >= top * 0.99);
  console.log(`\n${WORKERS ? `${WORKERS} workers` : 'one hub process'}, ${DEVICES} devices at ${CONNECT_RATE}/s over ${PROCESSES} load processes; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`connected ${c['mqtt_connects'] ?? 0} of ${c['mqtt_connect_attempts'] ?? 0} attempts (refused ${c['mqtt_connect_refused'] ?? 0}, errors ${c['mqtt_connect_errors'] ?? 0}, dropped later ${c['mqtt_disconnects'] ?? 0}); connect time median ${d?.med ?? '-'} ms, p95 ${d?.p95 ?? '-'} ms, p99 ${d?.p99 ?? '-'} ms, max ${d?.max ?? '-'} ms`);
  if (reached) console.log(`connect rate: ${reached.sessions} sessions at t=${reached.t}s of the scenario (${(reached.sessions / Math.max(1, reached.t)).toFixed(0)}/s)`);
  console.log(`peak: ${peak.live} live sessions (ESTABLISHED on the hub's port) at t=${peak.at}s; hub ${(peak.hubKb / 1024).toFixed(0)} MB, ${kib(peak.hubKb - hubBase, peak.live)} KiB per session over its ${(hubBase / 1024).toFixed(0)} MB before the load; load ${(peak.loadKb / 1024).toFixed(0)} MB, ${loadBase ? kib(peak.loadKb - loadBase.kb, peak.live - loadBase.live) : '-'} KiB per session over its first sample with ${loadBase?.live ?? 0} sessions, ${kib(peak.loadKb, peak.live)} KiB per session all in; load exit ${code}`);
  console.log(`open files per hub process at the peak: ${peak.files.join(' ')}`);
} finally {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
