// The reference hub as a child process on a --data file (so it can be killed with SIGKILL and restarted), and a raw
// MQTT session client that acknowledges by hand and records packet identifiers and DUP flags.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { RunningHub } from '../../hub/index.js';
import { ROOT } from '../cli/helpers.js';
import { login, portOf, RawClient, type Device } from './helpers.js';

const BIN = `${ROOT}/bin/hubcheck.js`;
const START_TIMEOUT_MS = 30_000;

export interface HubChild {
  /** Enough of a RunningHub for the API helpers (callApi, api, provision). */
  hub: RunningHub;
  child: ChildProcess;
  output(): string;
  /** kill -9, resolved once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (the hub closes cleanly), resolved with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `hubcheck hub --data FILE` on free ports and reads its endpoints and credentials from what it prints. */
export function startHubChild(dataFile: string, extra: string[] = []): Promise<HubChild> {
  const args = [BIN, 'hub', '--data', dataFile, '--mqtt-port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0', '--api-port', '0', '--https-port', '0', '--api-rate', 'none', ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the hub did not start in ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    child.stderr!.on('data', (d) => (out += d));
    child.stdout!.on('data', (d) => {
      out += d;
      if (!out.includes('press Ctrl-C to stop')) return;
      clearTimeout(timer);
      const field = (label: string) => {
        const m = new RegExp(`^\\s+${label}\\s+(\\S+)`, 'm').exec(out);
        if (!m) throw new Error(`no ${label} in the hub's output:\n${out}`);
        return m[1]!;
      };
      const hub = {
        endpoints: { mqtt: field('MQTT'), api: field('cloud API') },
        credentials: { secretId: field('SecretId'), secretKey: field('SecretKey') },
      } as unknown as RunningHub;
      resolve({
        hub,
        child,
        output: () => out,
        kill9: async () => {
          child.kill('SIGKILL');
          await exited;
        },
        stop: async () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the hub exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export interface Delivery { topic: string; payload: string; messageId: number; dup: boolean }

/**
 * One device on a raw socket with CleanSession = 0. Deliveries are recorded and acknowledged only when `autoAck`
 * is on; PUBACKs the hub sends for our own PUBLISHes are recorded by packet identifier.
 */
export class SessionClient {
  readonly deliveries: Delivery[] = [];
  readonly acked = new Set<number>();
  sessionPresent: boolean | undefined;
  private constructor(private readonly raw: RawClient, public autoAck: boolean) {}

  static async open(hub: RunningHub, d: Device, o: { autoAck: boolean }): Promise<SessionClient> {
    const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
    const c = new SessionClient(raw, o.autoAck);
    const creds = login(d);
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, keepalive: 60, clientId: creds.clientId, username: creds.username, password: Buffer.from(creds.password) });
    const connack = (await raw.next(5000)) as { cmd?: string; returnCode?: number; sessionPresent?: boolean } | null;
    if (connack?.cmd !== 'connack' || connack.returnCode !== 0) throw new Error(`CONNECT refused or unanswered: ${JSON.stringify(connack)}`);
    c.sessionPresent = connack.sessionPresent;
    return c;
  }

  get closed(): boolean {
    return this.raw.closed;
  }

  send(packet: Record<string, unknown>): void {
    if (!this.raw.closed) this.raw.send(packet);
  }

  /** Reads packets until `until()` holds, the connection closes or ms pass; returns whether `until()` held. */
  async pump(until: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!until() && Date.now() < end) {
      const p = (await this.raw.next(Math.max(1, end - Date.now()))) as { cmd: string; topic?: string; payload?: Buffer; messageId?: number; dup?: boolean; granted?: number[] } | null;
      if (!p) {
        if (this.raw.closed) break;
        continue;
      }
      if (p.cmd === 'publish') {
        this.deliveries.push({ topic: p.topic!, payload: p.payload!.toString(), messageId: p.messageId ?? 0, dup: !!p.dup });
        if (this.autoAck) this.send({ cmd: 'puback', messageId: p.messageId });
      } else if (p.cmd === 'puback' || p.cmd === 'suback') {
        this.acked.add(p.messageId!);
      }
    }
    return until();
  }

  async subscribe(topic: string, qos: 0 | 1, messageId: number): Promise<void> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    if (!(await this.pump(() => this.acked.has(messageId), 5000))) throw new Error(`no SUBACK for ${topic}`);
    this.acked.delete(messageId);
  }

  /** Sends DISCONNECT and waits for the hub to close the socket. */
  async disconnect(): Promise<void> {
    this.send({ cmd: 'disconnect' });
    await Promise.race([this.raw.closedAt, new Promise((r) => setTimeout(r, 3000))]);
    this.raw.close();
  }

  close(): void {
    this.raw.close();
  }
}

/** Per test: hub children started with `args` (killed after the test if still running) and temporary folders (removed). */
export function useHubChildren(args: string[]): { start(file: string, extra?: string[]): Promise<HubChild>; tempDir(): string } {
  const children: HubChild[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const h of children.splice(0)) if (h.child.exitCode === null && h.child.signalCode === null) await h.kill9();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    async start(file, extra = []) {
      const h = await startHubChild(file, [...args, ...extra]);
      children.push(h);
      return h;
    },
    tempDir() {
      const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-durable-'));
      dirs.push(dir);
      return dir;
    },
  };
}
