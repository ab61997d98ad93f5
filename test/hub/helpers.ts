// Test helpers for the reference hub: an independent TC3 signer, API calls, device provisioning, login credentials and a raw MQTT client.

import { createHash, createHmac } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { RunningHub } from '../../hub/index.js';

// ---- cloud API

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();

export interface SignInput {
  secretId: string;
  secretKey: string;
  action: string;
  body: string;
  timestamp: number;
  host: string; // what goes into the canonical headers
  contentType?: string;
  version?: string;
  service?: string;
}

/** TC3-HMAC-SHA256 exactly as protocol.md §9.4 (written here, not imported from hub/). */
export function tc3Headers(s: SignInput): Record<string, string> {
  const contentType = s.contentType ?? 'application/json';
  const service = s.service ?? 'iotcloud';
  const date = new Date(s.timestamp * 1000).toISOString().slice(0, 10);
  const canonical = ['POST', '/', '', `content-type:${contentType}\nhost:${s.host}\n`, 'content-type;host', sha256(s.body)].join('\n');
  const scope = `${date}/${service}/tc3_request`;
  const toSign = ['TC3-HMAC-SHA256', String(s.timestamp), scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac('TC3' + s.secretKey, date), service), 'tc3_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    'Content-Type': contentType,
    'X-TC-Action': s.action,
    'X-TC-Timestamp': String(s.timestamp),
    'X-TC-Version': s.version ?? '2018-06-14',
    'X-TC-Region': 'ap-guangzhou',
    Authorization: `TC3-HMAC-SHA256 Credential=${s.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`,
  };
}

export interface ApiCallOptions {
  timestamp?: number;
  signHostWithoutPort?: boolean;
  secretKey?: string;
  secretId?: string;
  version?: string;
  rawBody?: string;
  /** Sent instead of the signed body (tampering). */
  sendBody?: string;
  headers?: Record<string, string>;
}

export type ApiResponse = { Response: Record<string, any> & { RequestId: string; Error?: { Code: string; Message: string } } };

export async function callApi(hub: RunningHub, action: string, params: unknown, o: ApiCallOptions = {}): Promise<ApiResponse> {
  const url = new URL(hub.endpoints.api);
  const body = o.rawBody ?? JSON.stringify(params);
  const headers = tc3Headers({
    secretId: o.secretId ?? hub.credentials.secretId,
    secretKey: o.secretKey ?? hub.credentials.secretKey,
    action,
    body,
    timestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
    host: o.signHostWithoutPort ? url.hostname : url.host,
    ...(o.version ? { version: o.version } : {}),
  });
  const res = await fetch(url, { method: 'POST', headers: { ...headers, ...o.headers }, body: o.sendBody ?? body });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as ApiResponse;
}

/** Calls the API and fails the test on an error response. */
export async function api(hub: RunningHub, action: string, params: unknown): Promise<Record<string, any>> {
  const r = await callApi(hub, action, params);
  if (r.Response.Error) throw new Error(`${action}: ${r.Response.Error.Code}: ${r.Response.Error.Message}`);
  return r.Response;
}

export async function apiError(hub: RunningHub, action: string, params: unknown, o: ApiCallOptions = {}): Promise<string> {
  const r = await callApi(hub, action, params, o);
  if (!r.Response.Error) throw new Error(`${action} unexpectedly succeeded: ${JSON.stringify(r.Response)}`);
  if (typeof r.Response.RequestId !== 'string') throw new Error('error response without RequestId');
  return r.Response.Error.Code;
}

let productCounter = 0;

export interface Device {
  productId: string;
  deviceName: string;
  psk: string;
}

/** Creates a key product (optionally with custom topic policies) and devices in it. */
export async function provision(
  hub: RunningHub,
  deviceNames: string[] = ['dev1'],
  policies: { TopicName: string; Privilege: number }[] = [],
): Promise<Device[]> {
  const p = await api(hub, 'CreateProduct', {
    ProductName: `prod_${process.pid}_${++productCounter}`,
    ProductProperties: { EncryptionType: '2' },
  });
  for (const pol of policies) await api(hub, 'CreateTopicPolicy', { ProductID: p.ProductId, ...pol });
  const out: Device[] = [];
  for (const dn of deviceNames) {
    const d = await api(hub, 'CreateDevice', { ProductId: p.ProductId, DeviceName: dn });
    out.push({ productId: p.ProductId as string, deviceName: dn, psk: d.DevicePsk as string });
  }
  return out;
}

// ---- MQTT login

export interface LoginOptions {
  method?: 'hmacsha256' | 'hmacsha1';
  sdkappid?: string;
  connid?: string;
  expiry?: string;
}

export function login(d: Device, o: LoginOptions = {}): { clientId: string; username: string; password: string } {
  const clientId = d.productId + d.deviceName;
  const username = `${clientId};${o.sdkappid ?? '12010126'};${o.connid ?? 'AbC12'};${o.expiry ?? String(Math.floor(Date.now() / 1000) + 600)}`;
  const method = o.method ?? 'hmacsha256';
  const hex = createHmac(method === 'hmacsha256' ? 'sha256' : 'sha1', Buffer.from(d.psk, 'base64')).update(username).digest('hex');
  return { clientId, username, password: `${hex};${method}` };
}

export async function connectDevice(hub: RunningHub, d: Device, o: LoginOptions & { ws?: boolean; protocolVersion?: 3 | 4; keepalive?: number } = {}): Promise<MqttClient> {
  const creds = login(d, o);
  return mqtt.connectAsync(o.ws ? hub.endpoints.ws : hub.endpoints.mqtt, {
    ...creds,
    protocolVersion: o.protocolVersion ?? 4,
    ...(o.protocolVersion === 3 ? { protocolId: 'MQIsdp' } : {}),
    reconnectPeriod: 0,
    connectTimeout: 3000,
    keepalive: o.keepalive ?? 60,
  } as mqtt.IClientOptions);
}

/** Collects messages a client receives, by topic. */
export function inbox(client: MqttClient): { messages: { topic: string; payload: string }[]; wait(n: number, ms?: number): Promise<void> } {
  const messages: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => messages.push({ topic, payload: payload.toString() }));
  return {
    messages,
    async wait(n, ms = 2000) {
      const end = Date.now() + ms;
      while (messages.length < n && Date.now() < end) await sleep(10);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- raw MQTT client (for exact CONNACK codes, missing PUBACKs and malformed packets)

export class RawClient {
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private readonly queue: Packet[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  readonly closedAt: Promise<void>;

  private constructor(readonly socket: Socket) {
    this.parser.on('packet', (p: Packet) => {
      this.queue.push(p);
      this.wake();
    });
    this.parser.on('error', () => socket.destroy());
    socket.on('data', (b) => this.parser.parse(b));
    socket.on('error', () => {});
    this.closedAt = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(packet: Record<string, unknown>): void {
    this.socket.write(mqttPacket.generate(packet as unknown as Packet));
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next packet, or null when the connection closed or nothing came within ms. */
  async next(ms = 2000): Promise<Packet | null> {
    const end = Date.now() + ms;
    while (this.queue.length === 0 && !this.closed && Date.now() < end) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.queue.shift() ?? null;
  }

  /** Sends CONNECT and returns the CONNACK return code (null if none came). */
  async connect(fields: { clientId: string; username?: string; password?: string; keepalive?: number; protocolVersion?: 3 | 4 }): Promise<number | null> {
    const v = fields.protocolVersion ?? 4;
    this.send({
      cmd: 'connect',
      protocolId: v === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      clean: true,
      keepalive: fields.keepalive ?? 60,
      clientId: fields.clientId,
      ...(fields.username !== undefined ? { username: fields.username } : {}),
      ...(fields.password !== undefined ? { password: Buffer.from(fields.password) } : {}),
    });
    const p = await this.next();
    return p && p.cmd === 'connack' ? (p as mqttPacket.IConnackPacket).returnCode ?? null : null;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function portOf(endpoint: string): number {
  return Number(new URL(endpoint).port);
}
