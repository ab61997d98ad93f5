/**
 * Runs a k6 script without k6: each VU is a worker thread whose imports of k6 modules resolve to this runtime, the
 * runner schedules setup, the scenarios' VUs × iterations (bounded in count and time) and teardown, gathers samples,
 * evaluates thresholds as k6 does and returns k6's summary. Exit codes as k6's: 0, 99 thresholds, 104 config, 107 script, 108 aborted.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { resolve as resolvePath } from 'node:path';
import { planScenarios, type ScenarioPlan } from './executors.js';
import { MqttHost } from './mqtt-host.js';
import { MAX_CLIENTS_PER_VU, type ToRunner, type ToVu, type VuWorkerData } from './protocol.js';
import { MetricStore, type ThresholdResult } from './store.js';
import { buildSummary, DEFAULT_TREND_STATS, toSummaryExport, type CheckSummary, type SummaryData, type SummaryExport } from './summary.js';
import { ThresholdError, type ThresholdInput } from './thresholds.js';

export const EXIT = { ok: 0, thresholds: 99, config: 104, script: 107, aborted: 108 } as const;

export interface RunScriptOptions {
  script: string;
  env?: Record<string, string>;
  /** Refuse scripts needing more VUs (each is a thread with its own JS realm, ~30 MB). */
  maxVus?: number;
  /** A hard bound on the whole run, whatever the script's durations say. */
  maxDurationS?: number;
  out?: (line: string) => void;
}

export interface RunScriptResult {
  exitCode: number;
  /** Why the run failed before or outside the thresholds, if it did. */
  error?: string;
  summary: SummaryData;
  summaryExport: SummaryExport;
  thresholds: ThresholdResult[];
  iterations: number;
  interruptedVus: number;
  durationMs: number;
}

const ENTRY = new URL('./vu/entry.mjs', import.meta.url);

interface VuThread {
  id: number;
  worker: Worker;
  ctl: Int32Array;
  host: MqttHost;
  syncPort: MessagePort;
  ready: Promise<Extract<ToRunner, { t: 'ready' }>>;
  exited: Promise<number>;
  next<T extends ToRunner['t']>(t: T): Promise<Extract<ToRunner, { t: T }>>;
}

export async function runScript(o: RunScriptOptions): Promise<RunScriptResult> {
  const out = o.out ?? (() => {});
  const script = resolvePath(o.script);
  const env = { ...o.env };
  const store = new MetricStore();
  const checks = new Map<string, CheckSummary>();
  const claims = new Map<string, { next: number; total: number }>();
  const threads: VuThread[] = [];
  const started = Date.now();
  /** k6 rates are per second of the test run, from the scenarios' start (init and setup excluded). */
  let runStart = started;
  let trendStats = DEFAULT_TREND_STATS;

  const onSamples = (s: { m: string; v: number; tags: Record<string, string> }) => {
    store.add(s);
    if (s.m === 'checks' && s.tags['check'] !== undefined) {
      const name = s.tags['check'];
      const c = checks.get(name) ?? { name, path: `::${name}`, id: name, passes: 0, fails: 0 };
      if (s.v) c.passes++; else c.fails++;
      checks.set(name, c);
    }
  };

  function spawn(id: number): VuThread {
    const ctl = new Int32Array(new SharedArrayBuffer(12));
    const conn = new Int32Array(new SharedArrayBuffer(4 * MAX_CLIENTS_PER_VU));
    const { port1, port2 } = new MessageChannel();
    const data: VuWorkerData = { script, vuId: id, env, ctl: ctl.buffer as SharedArrayBuffer, conn: conn.buffer as SharedArrayBuffer, syncPort: port2 };
    const worker = new Worker(ENTRY, { workerData: data, transferList: [port2], stdout: false, stderr: false });
    const post = (m: ToVu) => { try { worker.postMessage(m); } catch { /* the VU has gone */ } };
    const host = new MqttHost(conn, onSamples, (client, ev, args) => post({ t: 'event', client, ev, args }));
    const waiters = new Map<string, ((m: ToRunner) => void)[]>();
    const next = <T extends ToRunner['t']>(t: T) => new Promise<Extract<ToRunner, { t: T }>>((res) => { waiters.set(t, [...(waiters.get(t) ?? []), res as (m: ToRunner) => void]); });
    const reply = (sync: boolean, id: number, error?: string, value?: unknown) => {
      if (sync) { port1.postMessage({ id, ...(error !== undefined ? { error } : {}), value }); Atomics.store(ctl, 0, 1); Atomics.notify(ctl, 0); }
      else post({ t: 'reply', id, ...(error !== undefined ? { error } : {}), value });
    };
    const ready = new Promise<Extract<ToRunner, { t: 'ready' }>>((res, rej) => {
      waiters.set('ready', [res as (m: ToRunner) => void]);
      waiters.set('init-error', [(m) => rej(new Error((m as Extract<ToRunner, { t: 'init-error' }>).message))]);
    });
    worker.on('message', (m: ToRunner) => {
      switch (m.t) {
        case 'metrics': for (const d of m.defs) { try { store.define(d); } catch (e) { out(`VU ${id}: ${(e as Error).message}`); } } break;
        case 'samples': for (const s of m.s) onSamples(s); break;
        case 'log': out(m.text); break;
        case 'call':
          if (m.op === 'claim') {
            const c = claims.get(m.args['scenario'] as string)!;
            reply(m.sync, m.id, undefined, c.next < c.total ? c.next++ : -1);
          } else {
            host.call(m.op, m.args).then((v) => reply(m.sync, m.id, undefined, v), (e: Error) => reply(m.sync, m.id, e.message));
          }
          break;
        default: break;
      }
      const ws = waiters.get(m.t);
      if (ws?.length) { waiters.set(m.t, []); for (const w of ws) w(m); }
    });
    const exited = new Promise<number>((res) => {
      worker.once('error', (e) => out(`VU ${id}: ${e.stack ?? e.message}`));
      worker.once('exit', (code) => { host.closeAll(); port1.close(); res(code); });
    });
    ready.catch(() => {});
    const t: VuThread = { id, worker, ctl, host, syncPort: port1, ready, exited, next };
    threads.push(t);
    return t;
  }

  let thresholdResults: ThresholdResult[] = [];
  const finish = async (exitCode: number, extra: { error?: string; iterations?: number; interruptedVus?: number } = {}): Promise<RunScriptResult> => {
    for (const t of threads) Atomics.store(t.ctl, 1, 1);
    await Promise.all(threads.map((t) => t.worker.terminate().catch(() => 0)));
    const durationMs = Date.now() - runStart;
    if (exitCode === EXIT.ok || exitCode === EXIT.thresholds) {
      thresholdResults = store.evaluate(durationMs / 1000, false).results;
      if (exitCode === EXIT.ok && thresholdResults.some((t) => !t.ok)) exitCode = EXIT.thresholds;
    }
    const summary = buildSummary(store, thresholdResults, durationMs, [...checks.values()], trendStats);
    return { exitCode, ...(extra.error ? { error: extra.error } : {}), summary, summaryExport: toSummaryExport(summary), thresholds: thresholdResults, iterations: extra.iterations ?? 0, interruptedVus: extra.interruptedVus ?? 0, durationMs };
  };

  // init context once for the options, as k6 does, in the VU that later runs setup and teardown
  const init = spawn(0);
  let ready;
  try { ready = await init.ready; } catch (e) { return finish(EXIT.script, { error: `init context: ${(e as Error).message}` }); }
  for (const d of ready.metrics) store.define(d);
  const options = ready.options;
  let plans: ScenarioPlan[];
  try {
    plans = planScenarios(options);
    store.bindThresholds((options['thresholds'] as Record<string, ThresholdInput[]>) ?? {});
    if (Array.isArray(options['summaryTrendStats'])) trendStats = options['summaryTrendStats'] as string[];
  } catch (e) {
    if (e instanceof ThresholdError) return finish(EXIT.config, { error: e.message });
    throw e;
  }
  const totalVus = plans.reduce((a, p) => a + p.vus, 0);
  const maxVus = o.maxVus ?? 100;
  if (totalVus > maxVus) return finish(EXIT.config, { error: `the script needs ${totalVus} VUs; this runtime runs at most ${maxVus} (each VU is a thread): lower the devices or raise the sessions per VU` });

  let setupData: string | undefined;
  if (ready.exports.includes('setup')) {
    init.worker.postMessage({ t: 'setup' } satisfies ToVu);
    const done = await init.next('setup-done');
    if (done.error) return finish(EXIT.script, { error: `setup: ${done.error}` });
    setupData = done.data;
  }

  let nextId = 1;
  const perScenario = plans.map((plan) => ({ plan, vus: Array.from({ length: plan.vus }, () => spawn(nextId++)) }));
  try {
    await Promise.all(perScenario.flatMap((s) => s.vus.map((v) => v.ready)));
  } catch (e) {
    return finish(EXIT.script, { error: `VU init context: ${(e as Error).message}` });
  }

  runStart = Date.now();
  const hardEnd = runStart + (o.maxDurationS ?? 600) * 1000;
  store.define({ name: 'vus', type: 'gauge', contains: 'default' });
  store.define({ name: 'vus_max', type: 'gauge', contains: 'default' });
  onSamples({ m: 'vus_max', v: totalVus, tags: {} });
  onSamples({ m: 'vus', v: totalVus, tags: {} });

  let aborted: string | undefined;
  const stopAll = () => { for (const t of threads) Atomics.store(t.ctl, 1, 1); };
  // abortOnFail: k6 evaluates thresholds every 2 s while the test runs, skipping metrics without samples yet
  const watch = setInterval(() => {
    const { abort, results } = store.evaluate((Date.now() - runStart) / 1000, true);
    if (abort && !aborted) { aborted = results.filter((r) => !r.ok).map((r) => `${r.metric} ${r.expression}`).join(', '); out(`thresholds crossed with abortOnFail: ${aborted}`); stopAll(); }
  }, 2000);

  let iterations = 0;
  let interruptedVus = 0;
  let scriptAbort = false;
  await Promise.all(perScenario.map(async ({ plan, vus }) => {
    if (plan.executor === 'shared-iterations') claims.set(plan.name, { next: 0, total: plan.iterations! });
    if (plan.startTimeS > 0) await new Promise((r) => setTimeout(r, Math.min(plan.startTimeS * 1000, Math.max(0, hardEnd - Date.now()))));
    const startedAt = Date.now();
    const deadline = Math.min(startedAt + plan.durationS * 1000, hardEnd);
    const graceEnd = Math.min(deadline + plan.gracefulStopS * 1000, hardEnd);
    await Promise.all(vus.map(async (v) => {
      v.worker.postMessage({ t: 'run', plan, data: setupData, deadline, idInInstance: v.id, startedAt } satisfies ToVu);
      let timer: NodeJS.Timeout | undefined;
      const stop = new Promise<'stopped'>((res) => { timer = setTimeout(() => { Atomics.store(v.ctl, 1, 1); res('stopped'); }, Math.max(0, graceEnd - Date.now())); });
      const r = await Promise.race([v.next('vu-done'), v.exited.then((code) => ({ t: 'exit' as const, code })), stop]);
      if (r === 'stopped') {
        // give the VU a moment to unwind from its interrupted sleep or call, then end it
        const late = await Promise.race([v.next('vu-done'), new Promise<undefined>((res) => setTimeout(res, 2000))]);
        interruptedVus++;
        if (late) iterations += late.iterations;
      } else if (r.t === 'exit') {
        if (r.code === EXIT.aborted) scriptAbort = true;
        interruptedVus++;
      } else {
        iterations += r.iterations;
        if (r.interrupted) interruptedVus++;
      }
      clearTimeout(timer);
      v.host.closeAll();
    }));
  }));
  clearInterval(watch);
  if (scriptAbort) return finish(EXIT.aborted, { error: 'the script called exec.test.abort()', iterations, interruptedVus });
  if (aborted) return finish(EXIT.thresholds, { error: `aborted: thresholds crossed (${aborted})`, iterations, interruptedVus });

  if (ready.exports.includes('teardown')) {
    init.worker.postMessage({ t: 'teardown', data: setupData } satisfies ToVu);
    const done = await init.next('teardown-done');
    if (done.error) return finish(EXIT.script, { error: `teardown: ${done.error}`, iterations, interruptedVus });
  }
  return finish(EXIT.ok, { iterations, interruptedVus });
}
