/** Messages between the runner (the "Go side": scheduling, metrics, MQTT sockets) and each VU's worker thread (the JS side). */
import type { MessagePort } from 'node:worker_threads';
import type { MetricDef, Sample } from './store.js';
import type { ScenarioPlan } from './executors.js';

export interface VuWorkerData {
  script: string;
  /** 0 for the init/setup/teardown VU, as k6 numbers its setup VU. */
  vuId: number;
  env: Record<string, string>;
  /** [0]: sync reply ready; [1]: stop (interrupt sleeps and sync waits). */
  ctl: SharedArrayBuffer;
  /** One Int32 per client: 1 while connected, read synchronously by Client.connected. */
  conn: SharedArrayBuffer;
  syncPort: MessagePort;
}

export const MAX_CLIENTS_PER_VU = 8192;

export type ToRunner =
  | { t: 'ready'; options: Record<string, unknown>; exports: string[]; metrics: MetricDef[] }
  | { t: 'init-error'; message: string }
  | { t: 'metrics'; defs: MetricDef[] }
  | { t: 'samples'; s: Sample[] }
  | { t: 'call'; id: number; sync: boolean; op: string; args: Record<string, unknown> }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; text: string }
  | { t: 'setup-done'; data: string | undefined; error?: string }
  | { t: 'teardown-done'; error?: string }
  | { t: 'vu-done'; iterations: number; interrupted: boolean };

export type ToVu =
  | { t: 'setup' }
  | { t: 'teardown'; data: string | undefined }
  | { t: 'run'; plan: ScenarioPlan; data: string | undefined; deadline: number; idInInstance: number; startedAt: number }
  | { t: 'event'; client: number; ev: string; args: unknown[] }
  | { t: 'reply'; id: number; error?: string; value?: unknown };

export interface SyncReply { id: number; error?: string; value?: unknown }
