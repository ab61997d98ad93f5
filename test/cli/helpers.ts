// Running the real CLI as a child process, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../hub/free-port.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = path.join(ROOT, 'bin/hubcheck.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function hubcheck(args: string[], timeoutMs = 240_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`hubcheck ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Starts `hubcheck hub ARGS` and resolves once it has printed its endpoints and credentials. */
export function startHubProcess(args: string[]): Promise<{ child: ChildProcess; output: string; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'hub', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`hub did not start:\n${output}`)); }, 30_000);
    child.stdout.on('data', (d) => {
      output += d;
      if (output.includes('press Ctrl-C to stop')) {
        clearTimeout(timer);
        resolve({ child, output, stop: () => new Promise((r) => { child.once('close', () => r()); child.kill('SIGTERM'); }) });
      }
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => { clearTimeout(timer); reject(new Error(`hub exited with ${code}:\n${output}`)); });
  });
}

/** `n` distinct free ports on 127.0.0.1 for hubs started a moment later (outside the ephemeral range: hub/free-port.ts). */
export async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}
