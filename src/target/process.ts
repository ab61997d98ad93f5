/** The process launcher: runs the hub as a command, waits until it is ready, keeps its output, stops it with SIGTERM then SIGKILL. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { HubcheckError } from '../errors.js';
import type { TargetDescriptor } from './descriptor.js';
import { resolveDescribed, type Endpoints } from './described.js';
import type { LaunchedTarget } from './launch.js';
import { OutputLines } from './output.js';
import { describeReady, waitReady } from './ready.js';

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 5_000;

export async function launchProcess(d: TargetDescriptor): Promise<LaunchedTarget> {
  const p = d.process!; // the schema requires it for launcher: process
  const endpoints = d.endpoints as Endpoints;
  // Without a stated condition, the MQTT port accepting connections means ready.
  const ready = p.ready ?? { port: Number(new URL(endpoints.mqtt).port) };
  const output = new OutputLines();
  const cwd = p.cwd ? path.resolve(p.cwd) : process.cwd();
  const child = spawn(p.command, p.args ?? [], { cwd, env: { ...process.env, ...p.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const commandLine = [p.command, ...(p.args ?? [])].join(' ');
  let stopping = false;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => resolve(`${commandLine} could not run: ${e.code ?? e.message}`));
    child.once('exit', (code, signal) => resolve(signal ? `${commandLine} was killed by ${signal}` : `${commandLine} exited with code ${code}`));
  });
  child.stdout.on('data', (c: Buffer) => output.feed(c, 'stdout'));
  child.stderr.on('data', (c: Buffer) => output.feed(c, 'stderr'));
  const gone = exited.then(() => undefined);

  const stop = async (): Promise<void> => {
    if (stopping) return gone;
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timeoutMs = p.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        output.push(`[hubcheck] no exit ${timeoutMs} ms after SIGTERM: sending SIGKILL`);
        child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([gone, killed]);
    clearTimeout(timer);
    await gone;
  };

  try {
    await waitReady({ ready, output, exited, timeoutMs: p.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS });
  } catch (e) {
    await stop();
    const tail = output.tail(20);
    throw new HubcheckError('HUB_START', `process.command ${commandLine}: ${(e as Error).message}${tail.length ? `; its last output:\n  ${tail.join('\n  ')}` : '; it printed nothing'}`);
  }
  output.push(`[hubcheck] ready (${describeReady(ready)})`);
  return {
    target: resolveDescribed(d, 'process', endpoints, `${path.basename(p.command)} (process)`),
    stop,
    // Only an exit hubcheck did not ask for is news to the runner.
    exited: exited.then((why) => (stopping ? new Promise<string>(() => {}) : why)),
    output: (n?: number) => output.tail(n),
    identity: { name: d.name ?? `${path.basename(p.command)} (process)`, launcher: 'process', command: commandLine },
  };
}
