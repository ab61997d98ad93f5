/**
 * CoAP load: one process plays many devices against a reference hub started as its own process, over a small pool of
 * UDP sockets (never one per device). Each device authenticates, then the fleet publishes confirmable POSTs at a fixed
 * total rate to the devices' own data topics; acknowledged publishes, refusals, timeouts and latency are printed as JSON.
 *
 *   npx tsx load/coap/run.ts --devices 2000 --rate 2000 --seconds 10
 *
 * Every loop is bounded: provisioning and auth by the device count, publishing by --seconds, waits by a 5 s timeout.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { generate, parse } from 'coap-packet';
import { CloudApi } from '../../src/client/cloud-api.js';
import { COAP_AUTH_URI, COAP_OPTION_NEED_RESP, COAP_OPTION_TOKEN, SDK_APPID } from '../../src/client/coap.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const num = (name: string, fallback: number, max: number) => {
  const v = Number(args.get(name) ?? fallback);
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`--${name} must be an integer from 1 to ${max} (got ${args.get(name)})`);
  return v;
};
const DEVICES = num('devices', 1000, 200_000);
const RATE = num('rate', 1000, 100_000);
const SECONDS = num('seconds', 10, 600);
/** Sockets in the pool: a peer may use each 16-bit message id once per 247 s (RFC 7252 EXCHANGE_LIFETIME), ~265/s. */
const SOCKETS = Math.min(256, Math.max(4, Math.ceil((RATE * 1.2) / 250)));
const TIMEOUT_MS = 5000;

/** Starts `hubcheck hub` on free ports and reads its endpoints and API credentials from what it prints. */
async function startHubProcess(): Promise<{ coap: URL; api: string; secretId: string; secretKey: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'hub/main.ts', '--mqtt-port', '0', '--ws-port', '0', '--api-port', '0', '--tls-port', '0', '--wss-port', '0', '--https-port', '0', '--coap-port', '0', '--api-rate', 'CreateDevice=1000000', '--api-rate', 'CreateProduct=1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the hub did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`the hub exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^\s+(CoAP|cloud API|SecretId|SecretKey)\s+(\S+)/.exec(line);
      if (m) seen[m[1]!] = m[2]!;
      if (line.startsWith('press Ctrl-C')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.removeAllListeners('exit');
  return { coap: new URL(seen['CoAP']!), api: seen['cloud API']!, secretId: seen['SecretId']!, secretKey: seen['SecretKey']!, stop: () => child.kill('SIGTERM') };
}

interface Waiter { resolve(reply: { code: string; payload: Buffer } | undefined): void; sentAt: number }

/** A socket of the pool: its own message ids, replies matched by message id. */
class Lane {
  private mid = Math.floor(Math.random() * 0xffff);
  readonly waiting = new Map<number, Waiter>();
  constructor(readonly socket: Socket, private readonly host: string, private readonly port: number) {
    socket.on('message', (msg) => {
      let p;
      try {
        p = parse(msg);
      } catch {
        return;
      }
      const w = this.waiting.get(p.messageId);
      if (!w) return;
      this.waiting.delete(p.messageId);
      w.resolve({ code: p.code, payload: p.payload });
    });
  }

  post(path: string, payload: Buffer, token?: string): Promise<{ code: string; payload: Buffer; ms: number } | undefined> {
    this.mid = (this.mid + 1) & 0xffff;
    const messageId = this.mid;
    const options = [{ name: 'Uri-Path', value: Buffer.from(path) }, ...(token ? [{ name: String(COAP_OPTION_TOKEN), value: Buffer.from(token) }] : []), { name: String(COAP_OPTION_NEED_RESP), value: Buffer.from('0') }];
    const datagram = generate({ confirmable: true, messageId, token: Buffer.from([messageId >> 8, messageId & 0xff]), code: '0.02', options: options as never, payload });
    const sentAt = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(messageId);
        resolve(undefined);
      }, TIMEOUT_MS);
      this.waiting.set(messageId, { sentAt, resolve: (r) => { clearTimeout(timer); resolve(r && { ...r, ms: performance.now() - sentAt }); } });
      this.socket.send(datagram, this.port, this.host);
    });
  }
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

const hub = await startHubProcess();
try {
  const api = new CloudApi({ endpoint: hub.api, secretId: hub.secretId, secretKey: hub.secretKey, region: 'ap-guangzhou' });
  const product = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: `coapload${Date.now() % 100000}`, ProductProperties: { EncryptionType: '2' } });
  const names = Array.from({ length: DEVICES }, (_, i) => `d${i}`);
  const t0 = performance.now();
  await pool(names, 32, async (dn) => { await api.call('CreateDevice', { ProductId: product.ProductId, DeviceName: dn }); });
  const provisionS = (performance.now() - t0) / 1000;

  const lanes: Lane[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    lanes.push(new Lane(s, hub.coap.hostname, Number(hub.coap.port)));
  }
  const tokens: string[] = new Array(DEVICES);
  const t1 = performance.now();
  let authFailed = 0;
  await pool(names, 256, async (dn, i) => {
    const r = await lanes[i % lanes.length]!.post(`${product.ProductId}/${dn}/${COAP_AUTH_URI}`, Buffer.from(`${SDK_APPID};abcde\0`));
    if (r?.code === '2.05') tokens[i] = r.payload.toString();
    else authFailed++;
  });
  const authS = (performance.now() - t1) / 1000;

  // Open loop: RATE publishes per second in 10 ms ticks, device i on lane i % SOCKETS, whatever the answers do.
  const latencies: number[] = [];
  const counts = { sent: 0, acked: 0, refused: 0, timedOut: 0 };
  const inflight: Promise<void>[] = [];
  const t2 = performance.now();
  const endAt = t2 + SECONDS * 1000;
  let device = 0;
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - t2) / 1000) * RATE);
    while (counts.sent < due) {
      const i = device++ % DEVICES;
      const token = tokens[i];
      counts.sent++;
      if (!token) continue;
      inflight.push(lanes[i % lanes.length]!.post(`${product.ProductId}/d${i}/data`, Buffer.from(`{"seq":${counts.sent}}`), token).then((r) => {
        if (!r) counts.timedOut++;
        else if (r.code === '2.05') {
          counts.acked++;
          latencies.push(r.ms);
        } else counts.refused++;
      }));
    }
    if (inflight.length > 50_000) await Promise.all(inflight.splice(0));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(inflight);
  const elapsedS = (performance.now() - t2) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(2));
  for (const l of lanes) l.socket.close();
  console.log(JSON.stringify({
    devices: DEVICES, sockets: SOCKETS, targetRate: RATE, seconds: SECONDS, provisionS: Number(provisionS.toFixed(1)),
    authPerS: Math.round((DEVICES - authFailed) / authS), authFailed, ...counts, ackedPerS: Math.round(counts.acked / elapsedS),
    latencyMs: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: pct(1) }, loadavg: loadavg().map((x) => Number(x.toFixed(2))),
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  }));
} finally {
  hub.stop();
}
