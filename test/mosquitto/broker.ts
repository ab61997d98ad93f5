/** A private Mosquitto for tests: its own config on a free 127.0.0.1 port (never the system service), started by the process launcher. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TargetDescriptor } from '../../src/target/descriptor.js';
import { freePort } from '../../src/target/shortcut.js';

/** Where Debian puts the broker (not on a non-root PATH). */
export function mosquittoBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto']) {
    try { execFileSync(candidate, ['-h'], { stdio: 'ignore' }); } catch (e) { if ((e as { status?: number }).status === undefined) continue; }
    return candidate;
  }
  try { return execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).trim() || undefined; } catch { return undefined; }
}

/** Config directories made by this process, removed when it exits. */
const made: string[] = [];
function removedAtExit(dir: string): string {
  if (made.push(dir) === 1) process.once('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
  return dir;
}

/**
 * A descriptor that starts a fresh Mosquitto (its config directory is removed when this process exits).
 * max_queued_messages is raised because the default (1000) silently drops messages to a slow subscriber; persistence
 * is off so every run starts empty.
 */
export async function mosquittoTarget(profile: 'mqtt-core' | 'tencent-hub', extra: Partial<TargetDescriptor> = {}): Promise<TargetDescriptor> {
  const binary = mosquittoBinary();
  if (!binary) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
  const port = await freePort();
  const dir = removedAtExit(mkdtempSync(path.join(tmpdir(), 'hubcheck-mosquitto-')));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'max_connections -1',
    'max_queued_messages 200000',
    'persistence false',
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    '',
  ].join('\n'));
  return {
    name: `Mosquitto (${profile})`,
    launcher: 'process',
    profile,
    provisioning: 'any',
    process: { command: binary, args: ['-c', conf], ready: { port }, stopTimeoutMs: 3000 },
    endpoints: { mqtt: `mqtt://127.0.0.1:${port}` },
    ...extra,
  };
}
