/** Runs inside a worker thread (engines) or a shard child process (which starts its own worker threads); relays engine messages upward. */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFixtures, type DeviceCred } from './credentials.js';
import { runCycleEngine } from './cycle.js';
import { runEngine, type EngineMessage, type EnginePlan } from './engine.js';
import { readIdentityTable, tableOf } from './identities.js';

export type DeviceSource = DeviceCred[] | { file: string; start: number; end: number };
export type WorkerSpec = Omit<EnginePlan, 'devices'> & { devices: DeviceSource };

/** What a shard process is asked to run: one spec per worker thread it starts. */
export interface ShardJob {
  workers: WorkerSpec[];
}

export const ENTRY = new URL('./entry.mjs', import.meta.url);

/** Young generation of an engine thread (V8's --max-semi-space-size=1 gives about the same). */
export const YOUNG_GENERATION_MB = 3;

export async function resolveDevices(src: DeviceSource): Promise<DeviceCred[]> {
  return Array.isArray(src) ? src : readFixtures(src.file, src.start, src.end);
}

/**
 * Loads a spec's devices, says ready, waits for t=0 and runs the engine the plan asks for: the cycling engine keeps its
 * identities as a compact table (a million of them would not fit as objects), the session engine as a list.
 */
export async function runSpec(spec: WorkerSpec, emit: (m: EngineMessage) => void, started: Promise<number>, abort?: AbortSignal): Promise<void> {
  if (spec.cycle) {
    const src = spec.devices;
    const table = Array.isArray(src) ? tableOf(src) : await readIdentityTable(src.file, src.start, src.end);
    emit({ type: 'ready', workerId: spec.workerId });
    const startAt = await started;
    await runCycleEngine({ ...spec, devices: [], startAt, cycle: spec.cycle }, table, emit, abort);
    return;
  }
  const devices = await resolveDevices(spec.devices);
  emit({ type: 'ready', workerId: spec.workerId });
  const startAt = await started;
  await runEngine({ ...spec, devices, startAt }, emit, abort);
}

/** The go signal: engines load their devices, report 'ready', and start their clocks only when told when t=0 is. */
export interface StartMessage { type: 'start'; startAt: number }

/** Starts one worker thread for a spec; messages arrive through `on`; `start` sends it t=0; `done` resolves when it has finished. */
export function startWorker(spec: WorkerSpec, on: (m: EngineMessage) => void): { start(at: number): void; done: Promise<void> } {
  // A small young generation: V8 otherwise grows it to tens of MiB while thousands of sockets are opened, a fixed cost
  // that is most of an idle session's RSS at 8,000 sessions per engine (the engine's own garbage per message is small).
  const w = new Worker(ENTRY, { workerData: { role: 'worker', spec }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  w.on('message', on);
  const done = new Promise<void>((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fleet worker ${spec.workerId} exited with code ${code}`))));
  });
  return { start: (startAt) => w.postMessage({ type: 'start', startAt } satisfies StartMessage), done };
}

export async function main(): Promise<void> {
  if (!isMainThread && (workerData as { role?: string })?.role === 'worker') {
    const spec = (workerData as { spec: WorkerSpec }).spec;
    const started = new Promise<number>((resolve) => parentPort!.once('message', (m) => resolve((m as StartMessage).startAt)));
    await runSpec(spec, (m) => parentPort!.postMessage(m), started);
    return;
  }
  if (process.send) {
    // A shard process: wait for the job, run its worker threads, relay every message to the coordinator.
    const job = await new Promise<ShardJob>((resolve) => process.once('message', (m) => resolve(m as ShardJob)));
    const relay = (m: EngineMessage) => process.send!(m);
    const workers = job.workers.map((spec) => startWorker(spec, relay));
    process.once('message', (m) => { for (const w of workers) w.start((m as StartMessage).startAt); });
    try {
      await Promise.all(workers.map((w) => w.done));
    } catch (e) {
      process.send({ type: 'log', workerId: 'shard', text: `shard failed: ${(e as Error).message}` } satisfies EngineMessage);
      process.exitCode = 1;
    }
    process.disconnect();
  }
}
