// The primary process of a hub cluster (`hubcheck hub --workers N --redis URL`): it forks N workers that each run a
// whole hub on the same ports (each accepts from the listening sockets the primary shares with them), restarts a
// worker that dies, and stops them all on SIGINT/SIGTERM. The workers share the registry (one SQLite file in WAL mode),
// and the persistent sessions, message routing and control events (Redis): hub/cluster/README in docs/reference-hub.md.

import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { HubOptions } from '../index.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../free-port.js';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the primary tells each worker through the HUBCHECK_CLUSTER environment variable. */
export interface WorkerPlan {
  index: number;
  /** Stable across restarts of the same slot, so a new worker can clear the presence its dead predecessor left. */
  workerId: string;
  /** Ports the primary chose for listeners given as 0, so that every worker listens on the same ones. */
  ports: Partial<Record<PortOption, number>>;
  dataFile: string;
  /** This worker's own MQTT and cloud API ports (no other worker listens there). */
  direct: { mqttPort: number; apiPort: number };
  /** The hub's options, as given to the primary (functions such as `log` and `now` cannot cross a process boundary). */
  options: SerializableHubOptions;
  /** Log every refusal and connection on stderr, tagged with the worker's index. */
  verbose: boolean;
}

type PortOption = 'mqttPort' | 'wsPort' | 'tlsPort' | 'wssPort' | 'apiPort' | 'httpsPort';
export type SerializableHubOptions = Omit<HubOptions, 'log' | 'now' | 'cluster'>;

/** What a worker reports once its listeners are open. */
export interface WorkerReady {
  type: 'ready';
  endpoints: { mqtt: string; ws: string; api: string; mqtts: string; wss: string; https: string };
  credentials: { secretId: string; secretKey: string };
  tls: { caCert: string };
  faults: string[];
  firmwareBaseUrl: string;
}

export const PLAN_ENV = 'HUBCHECK_CLUSTER';
/** A slot whose workers die this many times within RESTART_WINDOW_MS is not restarted again. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const START_TIMEOUT_MS = 60_000;

export function workerPlan(env: NodeJS.ProcessEnv): WorkerPlan | undefined {
  const raw = env[PLAN_ENV];
  return raw ? (JSON.parse(raw) as WorkerPlan) : undefined;
}

export interface ClusterOptions {
  workers: number;
  /** Every worker's hub options; listeners given as port 0 (or not given) get free ports chosen here, shared by all. */
  options: SerializableHubOptions;
  verbose?: boolean;
  log: (line: string) => void;
}

const PORTS: readonly PortOption[] = ['mqttPort', 'wsPort', 'tlsPort', 'wssPort', 'apiPort', 'httpsPort'];
const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface RunningCluster {
  ready: WorkerReady;
  /** Each worker's own endpoints, by slot: connections there always reach that worker. */
  workers: { mqtt: string; api: string }[];
  /** Worker pids by slot (index 0..N-1), as they are now. */
  pids(): number[];
  /** Resolves when a worker slot has given up restarting (the cluster cannot serve as configured). */
  failed: Promise<string>;
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  if (opts.options.redisUrl === undefined) throw new Error('a hub cluster needs redisUrl: the workers share persistent sessions and message routing through Redis');
  const ports: WorkerPlan['ports'] = {};
  for (const name of PORTS) {
    const port = opts.options[name] ?? 0;
    ports[name] = port === 0 ? await freePort(opts.options.host ?? '127.0.0.1') : port;
  }
  // Without a data file the workers still need one registry file between them: a temporary one, removed at stop.
  const tempDir = opts.options.dataFile ? undefined : mkdtempSync(join(tmpdir(), 'hubcheck-cluster-'));
  const dataFile = opts.options.dataFile ?? join(tempDir!, 'registry.sqlite');
  // The workers accept connections themselves, from the listening socket the primary shares with them
  // (SCHED_NONE). With node:cluster's default round-robin the primary accepted each one and handed it over, one at a
  // time per worker, waiting for the worker's reply before the next: a worker took one connection per turn of its
  // event loop, and a login storm queued in the primary (a 6,000-device ramp at 500/s: median connect in seconds,
  // against ~16 ms for one process). The kernel wakes the workers waiting in accept, so a busy worker takes fewer.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  // The workers run hub/cluster/worker.ts, whatever program the primary is (the CLI, or hubcheck's embedded launcher).
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [], execArgv: ['--import', 'tsx'], silent: false });
  const host = hostname();
  const listenHost = opts.options.host ?? '127.0.0.1';
  const direct: WorkerPlan['direct'][] = [];
  for (let i = 0; i < opts.workers; i++) direct.push({ mqttPort: await freePort(listenHost), apiPort: await freePort(listenHost) });
  const urlHost = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  const slots: (Worker | undefined)[] = new Array(opts.workers).fill(undefined);
  const restarts: number[][] = slots.map(() => []);
  let stopping = false;
  let giveUp: (why: string) => void = () => {};
  const failed = new Promise<string>((resolve) => (giveUp = resolve));

  const fork = (index: number): Promise<WorkerReady> => {
    const plan: WorkerPlan = { index, workerId: `${host}:${index}`, ports, dataFile, direct: direct[index]!, options: opts.options, verbose: opts.verbose ?? false };
    const worker = cluster.fork({ [PLAN_ENV]: JSON.stringify(plan) });
    slots[index] = worker;
    worker.on('error', (e: Error) => opts.log(`cluster: worker ${index}: ${e.message}`)); // e.g. EPIPE to a dying worker
    return new Promise<WorkerReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker ${index} did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      worker.on('message', (m: WorkerReady | { type: 'error'; message: string }) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          opts.log(`cluster: worker ${index} (pid ${worker.process.pid}) ready; its own ports: MQTT ${plan.direct.mqttPort}, cloud API ${plan.direct.apiPort}`);
          resolve(m);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(m.message));
        }
      });
      worker.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker ${index} exited during start (${signal ?? `code ${code}`})`));
        if (stopping || slots[index] !== worker) return;
        slots[index] = undefined;
        opts.log(`cluster: worker ${index} (pid ${worker.process.pid}) died (${signal ?? `code ${code}`}); its connections are gone, starting a new one`);
        const now = Date.now();
        restarts[index] = [...restarts[index]!.filter((t) => now - t < RESTART_WINDOW_MS), now];
        if (restarts[index]!.length > MAX_RESTARTS) {
          giveUp(`worker ${index} died ${restarts[index]!.length} times within ${RESTART_WINDOW_MS / 1000} s`);
          return;
        }
        fork(index).catch((e: Error) => opts.log(`cluster: ${e.message}`));
      });
    });
  };

  const stop = async () => {
    stopping = true;
    await Promise.all(slots.map((w) => w && !w.isDead() ? new Promise<void>((resolve) => {
      const kill = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
      w.once('exit', () => { clearTimeout(kill); resolve(); });
      if (w.isConnected()) w.send({ type: 'stop' });
      else w.process.kill('SIGTERM');
    }) : undefined));
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    // The first worker creates the registry's credentials and CA; the others start once they exist, together.
    const ready = await fork(0);
    await Promise.all(slots.slice(1).map((_, i) => fork(i + 1)));
    const workers = direct.map((d) => ({ mqtt: `mqtt://${urlHost}:${d.mqttPort}`, api: `http://${urlHost}:${d.apiPort}` }));
    return { ready, workers, pids: () => slots.map((w) => w?.process.pid ?? 0), failed, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
