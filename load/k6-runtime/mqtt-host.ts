/**
 * The socket side of k6/x/mqtt, on mqtt.js: what grafana/xk6-mqtt does in Go with paho (mqtt/client_*.go), including
 * its built-in metrics and tags (mqtt_calls, mqtt_errors, mqtt_messages_sent/received, data_sent/received).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Sample } from './store.js';

type Tags = Record<string, string>;
interface ConnectArgs {
  client: number; url: string; vuTags: Tags; hasErrorHandler: boolean;
  clientOpts: { client_id?: string; username?: string; password?: string; will?: { topic: string; payload: string; qos?: number; retain?: boolean }; tags?: Tags };
  connOpts: { keepalive?: number; connect_timeout?: number; clean_session?: boolean; servers?: string[]; tags?: Tags };
  creds?: { username: string; password: string };
}
interface Held { mqtt: MqttClient; url: string; clientId: string; clientTags?: Tags; connTags?: Tags; hasErrorHandler: boolean }

/** paho's scheme aliases: tcp → mqtt, ssl/tls → mqtts; no scheme means mqtt://. */
export function brokerUrl(url: string): string {
  if (!/^[a-z]+:\/\//i.test(url)) return `mqtt://${url}`;
  return url.replace(/^tcp:/i, 'mqtt:').replace(/^(ssl|tls):/i, 'mqtts:');
}

export class MqttHost {
  private readonly clients = new Map<number, Held>();

  constructor(
    private readonly conn: Int32Array,
    private readonly emit: (s: Sample) => void,
    private readonly event: (client: number, ev: string, args: unknown[]) => void,
  ) {}

  /** The extension's tags(): VU tags, proto, client_id and url, then the client's and the connect call's own tags. */
  private tags(h: Held | undefined, vuTags: Tags): Tags {
    return { ...vuTags, proto: 'MQTT/3.1.1', ...(h?.clientId ? { client_id: h.clientId } : {}), ...(h ? { url: h.url } : {}), ...h?.clientTags, ...h?.connTags };
  }

  private sample(m: string, v: number, tags: Tags): void { this.emit({ m, v, tags }); }

  /** handleError: count it; with an 'error' handler the handler gets it and the call succeeds, else the call fails. */
  private failed(idx: number, h: Held | undefined, vuTags: Tags, method: string, err: Error, callTags: Tags | undefined, nv: Tags, hasErrorHandler: boolean): void {
    this.sample('mqtt_errors', 1, { ...this.tags(h, vuTags), method, ...callTags, ...nv });
    if (hasErrorHandler) { this.event(idx, 'error', [{ name: 'MQTTError', method, message: err.message }]); return; }
    throw new Error(`MQTT error during ${method}: ${err.message}`);
  }

  async call(op: string, a: Record<string, unknown>): Promise<unknown> {
    switch (op) {
      case 'connect': return this.connect(a as unknown as ConnectArgs);
      case 'publish': return this.publish(a as never);
      case 'subscribe': return this.subscribe(a as never);
      case 'unsubscribe': return this.unsubscribe(a as never);
      case 'end': return this.end(a as never);
      default: throw new Error(`k6/x/mqtt: unknown operation ${op}`);
    }
  }

  private drop(idx: number): void {
    const h = this.clients.get(idx);
    if (!h) return;
    this.clients.delete(idx);
    Atomics.store(this.conn, idx, 0);
    h.mqtt.removeAllListeners();
    h.mqtt.on('error', () => {});
    h.mqtt.end(true);
  }

  private async connect(a: ConnectArgs): Promise<void> {
    this.drop(a.client); // connect() first disconnects a previous session of the same client
    const urls = [a.url, ...(a.connOpts.servers ?? [])].filter(Boolean).map(brokerUrl);
    if (!urls.length) throw new Error('MQTT error during connect: no broker URL (give a URL or connect options with servers)');
    const url = urls[0]!;
    const clientId = a.clientOpts.client_id ?? '';
    const username = a.creds?.username ?? a.clientOpts.username;
    const password = a.creds?.password ?? a.clientOpts.password;
    const w = a.clientOpts.will;
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      keepalive: a.connOpts.keepalive ?? 30, // paho's default; the extension only overrides it when given
      connectTimeout: a.connOpts.connect_timeout ?? 30_000,
      clean: true, // paho defaults to a clean session and the extension only ever sets it to true: clean_session: false has no effect
      reconnectPeriod: 0, // paho would reconnect on its own; here a lost session stays lost (see docs/k6.md)
      ...(w ? { will: { topic: w.topic, payload: Buffer.from(w.payload), qos: (w.qos ?? 0) as 0 | 1 | 2, retain: w.retain ?? false } } : {}),
    });
    const h: Held = { mqtt: client, url, clientId, ...(a.clientOpts.tags ? { clientTags: a.clientOpts.tags } : {}), ...(a.connOpts.tags ? { connTags: a.connOpts.tags } : {}), hasErrorHandler: a.hasErrorHandler };
    this.clients.set(a.client, h);
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
        client.once('close', () => reject(new Error('connection closed before CONNACK')));
      });
    } catch (e) {
      this.drop(a.client);
      return this.failed(a.client, undefined, a.vuTags, 'connect', e as Error, a.connOpts.tags, { url }, a.hasErrorHandler);
    }
    client.removeAllListeners('error');
    client.removeAllListeners('close');
    Atomics.store(this.conn, a.client, 1);
    client.on('error', () => {});
    client.on('close', () => { if (this.clients.get(a.client) === h) Atomics.store(this.conn, a.client, 0); });
    client.on('message', (topic, payload) => {
      const tags = this.tags(h, a.vuTags);
      this.sample('mqtt_calls', 1, { ...tags, method: 'message', topic });
      this.sample('mqtt_messages_received', 1, { ...tags, topic }); // topic set after the client's tags: a blank topic tag does not hide it
      this.sample('data_received', payload.length, a.vuTags);
      this.event(a.client, 'message', [topic, new Uint8Array(payload)]);
    });
    this.sample('mqtt_calls', 1, { ...this.tags(h, a.vuTags), method: 'connect' });
    this.event(a.client, 'connect', []);
  }

  private held(idx: number): Held {
    const h = this.clients.get(idx);
    if (!h) throw new Error('not connected');
    return h;
  }

  private async publish(a: { client: number; topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean; tags?: Tags; vuTags: Tags; hasErrorHandler: boolean }): Promise<void> {
    const h = this.held(a.client);
    try {
      await new Promise<void>((resolve, reject) => h.mqtt.publish(a.topic, Buffer.from(a.payload), { qos: a.qos, retain: a.retain }, (e) => (e ? reject(e) : resolve())));
    } catch (e) {
      return this.failed(a.client, h, a.vuTags, 'publish', e as Error, a.tags, { topic: a.topic }, a.hasErrorHandler);
    }
    const tags = this.tags(h, a.vuTags);
    this.sample('mqtt_calls', 1, { ...tags, method: 'publish', ...a.tags, topic: a.topic });
    this.sample('mqtt_messages_sent', 1, { ...tags, topic: a.topic });
    this.sample('data_sent', a.payload.length, a.vuTags);
  }

  private async subscribe(a: { client: number; topics: Record<string, number>; tags?: Tags; vuTags: Tags }): Promise<void> {
    const h = this.held(a.client);
    for (const [topic, qos] of Object.entries(a.topics)) {
      try {
        await new Promise<void>((resolve, reject) => h.mqtt.subscribe(topic, { qos: qos as 0 | 1 | 2 }, (e) => (e ? reject(e) : resolve())));
      } catch (e) {
        this.sample('mqtt_errors', 1, { ...this.tags(h, a.vuTags), method: 'subscribe', ...a.tags, topic });
        throw e; // subscribe errors reach the caller even with an 'error' handler
      }
      this.sample('mqtt_calls', 1, { ...this.tags(h, a.vuTags), method: 'subscribe', ...a.tags, topic });
    }
  }

  private async unsubscribe(a: { client: number; topics: string[]; tags?: Tags; vuTags: Tags }): Promise<void> {
    const h = this.held(a.client);
    for (const topic of a.topics) {
      await new Promise<void>((resolve, reject) => h.mqtt.unsubscribe(topic, (e?: Error) => (e ? reject(e) : resolve())));
      this.sample('mqtt_calls', 1, { ...this.tags(h, a.vuTags), method: 'unsubscribe', ...a.tags, topic });
    }
  }

  /** end(): the 'end' handler is queued, the call counted, then DISCONNECT and close. */
  private async end(a: { client: number; tags?: Tags; vuTags: Tags }): Promise<void> {
    const h = this.held(a.client);
    this.event(a.client, 'end', []);
    this.sample('mqtt_calls', 1, { ...this.tags(h, a.vuTags), method: 'end', ...a.tags });
    this.clients.delete(a.client);
    Atomics.store(this.conn, a.client, 0);
    await new Promise<void>((resolve) => h.mqtt.end(false, {}, () => resolve()));
  }

  /** At the end of a VU: sockets a script left open are closed (k6 tears the VU's connections down with it). */
  closeAll(): void { for (const idx of [...this.clients.keys()]) this.drop(idx); }
}
