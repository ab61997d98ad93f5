/** One VU: runs the script's init context, then setup/teardown or iterations as the runner asks, in its own thread and JS realm as in k6. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { ToVu, VuWorkerData } from '../protocol.js';
import { allMetricDefs, callSync, defineMetric, dispatchEvent, emit, flush, Interrupted, send, settle, vu } from './state.js';

const wd = workerData as VuWorkerData;
const scriptDir = dirname(wd.script);
const g = globalThis as Record<string, unknown>;

g['__ENV'] = { ...wd.env };
g['__VU'] = wd.vuId;
g['__ITER'] = 0;
/** open() reads a file relative to the script, in the init context only (k6 forbids it in VU code). */
g['open'] = (path: string, mode?: 'b') => {
  if (!vu.init) throw new Error(`open(${path}): open() can only be called in the init context`);
  const data = readFileSync(resolve(scriptDir, path));
  return mode === 'b' ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data.toString('utf8');
};
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[level] = (...a: unknown[]) => send({ t: 'log', level: level === 'warn' || level === 'error' ? level : 'info', text: `VU ${vu.id}: ${a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}` });
}

// k6's own metrics, registered before the script's
defineMetric({ name: 'checks', type: 'rate', contains: 'default' });
defineMetric({ name: 'iterations', type: 'counter', contains: 'default' });
defineMetric({ name: 'iteration_duration', type: 'trend', contains: 'time' });
defineMetric({ name: 'data_sent', type: 'counter', contains: 'data' });
defineMetric({ name: 'data_received', type: 'counter', contains: 'data' });

type Fn = (data?: unknown) => unknown;
let mod: Record<string, unknown>;
try {
  mod = (await import(pathToFileURL(wd.script).href)) as Record<string, unknown>;
} catch (e) {
  send({ t: 'init-error', message: (e as Error).stack ?? String(e) });
  process.exit(0);
}
vu.init = false;

const options = JSON.parse(JSON.stringify(mod['options'] ?? {})) as Record<string, unknown>;
send({ t: 'ready', options, exports: Object.keys(mod), metrics: allMetricDefs() });

const parse = (s: string | undefined) => (s === undefined ? undefined : JSON.parse(s) as unknown);
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function runPlan(m: Extract<ToVu, { t: 'run' }>): Promise<void> {
  const fn = mod[m.plan.exec === 'default' ? 'default' : m.plan.exec] as Fn | undefined;
  if (typeof fn !== 'function') throw new Error(`scenario ${m.plan.name}: the script exports no function '${m.plan.exec}'`);
  Object.assign(g['__ENV'] as object, m.plan.env);
  vu.idInInstance = m.idInInstance;
  vu.scenario = { name: m.plan.name, executor: m.plan.executor, startedAt: m.startedAt, tags: m.plan.tags };
  const data = parse(m.data);
  let done = 0;
  let interrupted = false;
  for (;;) {
    if (Date.now() >= m.deadline) break;
    if (m.plan.executor === 'per-vu-iterations' && done >= m.plan.iterations!) break;
    if (m.plan.executor === 'shared-iterations') {
      const claimed = callSync('claim', { scenario: m.plan.name }) as number;
      if (claimed < 0) break;
      vu.iterationInScenario = claimed;
    } else vu.iterationInScenario = done;
    g['__ITER'] = vu.iter;
    const t0 = performance.now();
    try {
      await fn(data);
    } catch (e) {
      if (e instanceof Interrupted) { interrupted = true; break; }
      if ((e as { abort?: boolean }).abort) { flush(); send({ t: 'log', level: 'error', text: `test aborted: ${errText(e)}` }); process.exit(108); }
      send({ t: 'log', level: 'error', text: `VU ${vu.id} iteration ${vu.iter}: ${(e as Error).stack ?? errText(e)}` });
    }
    emit('iteration_duration', performance.now() - t0);
    emit('iterations', 1);
    vu.iter++;
    done++;
    flush();
  }
  flush();
  send({ t: 'vu-done', iterations: done, interrupted });
}

parentPort!.on('message', (m: ToVu) => {
  switch (m.t) {
    case 'event': dispatchEvent(m.client, m.ev, m.args); break;
    case 'reply': settle(m.id, m.error, m.value); break;
    case 'run': void runPlan(m).catch((e) => { flush(); send({ t: 'log', level: 'error', text: errText(e) }); send({ t: 'vu-done', iterations: 0, interrupted: true }); }); break;
    case 'setup': void (async () => {
      try {
        const setup = mod['setup'] as Fn | undefined;
        const data = setup ? await setup() : undefined;
        flush();
        send({ t: 'setup-done', data: data === undefined ? undefined : JSON.stringify(data) });
      } catch (e) { flush(); send({ t: 'setup-done', data: undefined, error: (e as Error).stack ?? errText(e) }); }
    })(); break;
    case 'teardown': void (async () => {
      try {
        const teardown = mod['teardown'] as Fn | undefined;
        if (teardown) await teardown(parse(m.data));
        flush();
        send({ t: 'teardown-done' });
      } catch (e) { flush(); send({ t: 'teardown-done', error: (e as Error).stack ?? errText(e) }); }
    })(); break;
  }
});
