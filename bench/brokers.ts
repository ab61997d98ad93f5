// The brokers the benchmarks compare: a private Mosquitto (its own config on a free 127.0.0.1 port, never the system
// service), bare Aedes in this process, and the reference hub in this process; and the children that measure them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import { launchProcess } from '../src/target/process.js';
import { mosquittoTarget } from '../test/mosquitto/broker.js';

export interface Broker { url: string; close(): Promise<void> }

export async function startMosquitto(): Promise<Broker> {
  const launched = await launchProcess(await mosquittoTarget('mqtt-core'));
  return { url: launched.target.endpoints.mqtt!, close: () => launched.stop() };
}

export async function startBareAedes(): Promise<Broker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: async () => { server.close(); await broker.close(); },
  };
}

// The jobs hold device credentials: the directory goes when this process exits.
const jobDir = mkdtempSync(path.join(tmpdir(), 'hubcheck-bench-'));
process.once('exit', () => rmSync(jobDir, { recursive: true, force: true }));
let jobs = 0;

/** Runs a child script with a JSON job (written to a file: a thousand logins do not fit a command line); returns its outcome. */
export function runChild<T = { result: number; extra?: Record<string, number> }>(script: string, job: unknown, nodeArgs: string[] = [], timeoutMs = 120_000): Promise<T> {
  const file = path.join(jobDir, `job${jobs++}.json`);
  writeFileSync(file, JSON.stringify(job));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...nodeArgs, '--import', 'tsx', new URL(script, import.meta.url).pathname, file], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${script}: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as T);
    });
  });
}
