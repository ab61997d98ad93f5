/** The VU's side of the runtime, shared by the emulated modules: its identity, samples out, calls to the runner, and blocking waits. */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { SyncReply, ToRunner, VuWorkerData } from '../protocol.js';
import { sameDef, type MetricDef, type Sample } from '../store.js';

const wd = workerData as VuWorkerData;
const ctl = new Int32Array(wd.ctl);
export const connFlags = new Int32Array(wd.conn);

/** Thrown out of a sleep or a blocking call when the executor's graceful stop has passed: k6 interrupts the iteration. */
export class Interrupted extends Error { constructor() { super('iteration interrupted: the scenario ran out of time'); } }

export const vu = {
  id: wd.vuId,
  idInInstance: wd.vuId,
  iter: 0,
  iterationInScenario: 0,
  scenario: { name: '', executor: '', startedAt: 0, tags: {} as Record<string, string> },
  group: '',
  /** False once the init context is over: k6 allows open() and new metrics only there. */
  init: true,
};

export function send(m: ToRunner): void { parentPort!.postMessage(m); }

const registry = new Map<string, MetricDef>();
let pendingDefs: MetricDef[] = [];

/** k6's registry: the same name again returns the same metric if type and value type match, else throws. */
export function defineMetric(def: MetricDef): void {
  const old = registry.get(def.name);
  if (old) {
    const err = sameDef(old, def);
    if (err) throw new Error(err);
    return;
  }
  if (!vu.init) throw new Error(`metric '${def.name}': custom metrics can only be created in the init context (top level of the script)`);
  if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/.test(def.name)) throw new Error(`metric name '${def.name}': use letters, digits and _ (at most 128), starting with a letter or _`);
  registry.set(def.name, def);
  pendingDefs.push(def);
}

export function allMetricDefs(): MetricDef[] { return [...registry.values()]; }

let buffer: Sample[] = [];

/** Tags every sample from this VU carries (k6's scenario system tag, the scenario's own tags, the current group). */
export function baseTags(): Record<string, string> {
  return { ...vu.scenario.tags, ...(vu.scenario.name ? { scenario: vu.scenario.name } : {}), ...(vu.group ? { group: vu.group } : {}) };
}

export function emit(m: string, v: number, tags?: Record<string, string>): void {
  if (vu.init) throw new Error(`metric ${m}: samples can only be added in VU code, not in the init context`);
  buffer.push({ m, v, tags: { ...baseTags(), ...tags } });
  if (buffer.length >= 512) flush();
}

/** Definitions go before the samples that use them; both ride the same ordered port. */
export function flush(): void {
  if (pendingDefs.length) { send({ t: 'metrics', defs: pendingDefs }); pendingDefs = []; }
  if (buffer.length) { send({ t: 'samples', s: buffer }); buffer = []; }
}
setInterval(flush, 200).unref();

/** Blocks the whole VU, event loop included, as k6's sleep() does: handlers and promise callbacks wait until it returns. */
export function blockFor(ms: number): void {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    if (Atomics.load(ctl, 1)) throw new Interrupted();
    Atomics.wait(ctl, 2, 0, Math.min(left, 100)); // slot 2 is never notified: a plain interruptible wait
  }
}

let seq = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

/** A blocking call into the runner (k6's synchronous methods, e.g. Client.publish waiting for PUBACK): the VU's JS stops until it returns. */
export function callSync(op: string, args: Record<string, unknown>): unknown {
  flush();
  const id = ++seq;
  Atomics.store(ctl, 0, 0);
  send({ t: 'call', id, sync: true, op, args });
  while (Atomics.wait(ctl, 0, 0, 100) === 'timed-out') if (Atomics.load(ctl, 1)) throw new Interrupted();
  const reply = receiveMessageOnPort(wd.syncPort)?.message as SyncReply | undefined;
  if (!reply || reply.id !== id) throw new Error(`internal: sync reply ${reply?.id} for call ${id}`);
  if (reply.error !== undefined) throw new Error(reply.error);
  return reply.value;
}

/** A call whose promise settles on the VU's event loop when the runner answers (k6's *Async methods). */
export function callAsync(op: string, args: Record<string, unknown>): Promise<unknown> {
  flush();
  const id = ++seq;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ t: 'call', id, sync: false, op, args });
  });
}

export function settle(id: number, error: string | undefined, value: unknown): void {
  const p = pending.get(id);
  if (!p) return;
  pending.delete(id);
  if (error !== undefined) p.reject(new Error(error));
  else p.resolve(value);
}

type EventHandler = (ev: string, args: unknown[]) => void;
const clientHandlers = new Map<number, EventHandler>();
export function onClientEvent(client: number, h: EventHandler): void { clientHandlers.set(client, h); }
export function dispatchEvent(client: number, ev: string, args: unknown[]): void { clientHandlers.get(client)?.(ev, args); }
