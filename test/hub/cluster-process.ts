// A hub cluster as a child process (`hubcheck hub --workers N --redis URL`): the shared endpoints, each worker's own
// ports and pid from what the primary prints, and kill -9 of one worker.

import { spawn } from 'node:child_process';
import { afterEach } from 'vitest';
import type { RunningHub } from '../../hub/index.js';
import { ROOT } from '../cli/helpers.js';

const BIN = `${ROOT}/bin/hubcheck.js`;
const START_TIMEOUT_MS = 60_000;

export interface ClusterWorker {
  index: number;
  pid: number;
  /** Enough of a RunningHub for the API helpers, on this worker's own MQTT and cloud API ports. */
  hub: RunningHub;
}

export interface ClusterChild {
  /** The shared endpoints (connections are spread over the workers). */
  hub: RunningHub;
  workers: ClusterWorker[];
  output(): string;
  /** kill -9 of one worker; resolves once the primary has started its successor and it is ready. */
  kill9Worker(index: number): Promise<ClusterWorker>;
  /** SIGTERM to the primary, resolved with its exit code. */
  stop(): Promise<number | null>;
}

const READY = /cluster: worker (\d+) \(pid (\d+)\) ready; its own ports: MQTT (\d+), cloud API (\d+)/g;

export async function startClusterChild(redisUrl: string, workers: number, extra: string[] = []): Promise<ClusterChild> {
  const args = [BIN, 'hub', '--workers', String(workers), '--redis', redisUrl, '--mqtt-port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0', '--api-port', '0', '--https-port', '0', '--api-rate', 'none', ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (d) => (out += d));
  child.stdout!.on('data', (d) => (out += d));
  const until = async (what: string, ok: () => boolean, ms = START_TIMEOUT_MS) => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (child.exitCode !== null) throw new Error(`the cluster exited with ${child.exitCode} while waiting for ${what}:\n${out}`);
      if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until('banner', () => out.includes('press Ctrl-C to stop'));
  const field = (label: string) => {
    const m = new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(out);
    if (!m) throw new Error(`no ${label} in the cluster's output:\n${out}`);
    return m[1]!;
  };
  const credentials = { secretId: field('SecretId'), secretKey: field('SecretKey') };
  const hub = { endpoints: { mqtt: field('MQTT'), api: field('cloud API') }, credentials } as unknown as RunningHub;
  /** The latest ready line of each worker slot. */
  const latest = (): Map<number, ClusterWorker> => {
    const m = new Map<number, ClusterWorker>();
    for (const r of out.matchAll(READY)) {
      const index = Number(r[1]);
      m.set(index, { index, pid: Number(r[2]), hub: { endpoints: { mqtt: `mqtt://127.0.0.1:${r[3]}`, api: `http://127.0.0.1:${r[4]}` }, credentials } as unknown as RunningHub });
    }
    return m;
  };
  const list = [...latest().values()].sort((a, b) => a.index - b.index);
  if (list.length !== workers) throw new Error(`expected ${workers} ready workers:\n${out}`);
  const c: ClusterChild = {
    hub,
    workers: list,
    output: () => out,
    async kill9Worker(index) {
      const before = latest().get(index)!;
      process.kill(before.pid, 'SIGKILL');
      await until(`a new worker ${index}`, () => (latest().get(index)?.pid ?? before.pid) !== before.pid);
      const now = latest().get(index)!;
      c.workers[index] = now;
      return now;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  running.push(c);
  return c;
}

const running: ClusterChild[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});
