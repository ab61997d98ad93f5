// A minimal MQTT 3.1.1 client on a raw socket for the broker benchmarks: CONNECT, SUBSCRIBE, PUBLISH, PUBACKs written
// once per event-loop turn. Cheap enough that a thousand of them in one process measure the broker, not the client.
import net from 'node:net';
import { connectPacket, publishPacket, splitFrames, subscribePacket, type Incoming } from '../load/fleet/frames.js';

export interface Login { clientId: string; username: string; password: string }

const TIMEOUT_MS = 15_000;

export class RawClient {
  private readonly socket: net.Socket;
  private tail: Buffer | null = null;
  private nextId = 1;
  private waiting: { type: string; resolve: (p: Incoming) => void; reject: (e: Error) => void } | null = null;
  private acks: number[] = [];
  private ackScheduled = false;
  private corked = false;
  /** Called for every PUBLISH that arrives (PUBACK already queued for QoS 1). */
  onMessage: (topic: string, payload: Buffer) => void = () => {};
  /** Called for every PUBACK of our QoS 1 publishes. */
  onPuback: () => void = () => {};
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      const buf = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
      this.tail = splitFrames(buf, (p) => this.onPacket(p));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.reject(new Error('connection closed'));
      this.waiting = null;
    });
  }

  static async connect(url: string, login: Login, keepalive = 300): Promise<RawClient> {
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const c = new RawClient(socket);
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.write(connectPacket(login.clientId, login.username, login.password, keepalive));
    const ack = await c.expect('connack');
    if (ack.type === 'connack' && ack.returnCode !== 0) { socket.destroy(); throw new Error(`${login.clientId}: CONNACK return code ${ack.returnCode}`); }
    return c;
  }

  async subscribe(filter: string, qos: 0 | 1): Promise<void> {
    this.socket.write(subscribePacket(this.id(), [{ topic: filter, qos }]));
    const ack = await this.expect('suback');
    if (ack.type === 'suback' && ack.granted[0] === 0x80) throw new Error(`subscription to ${filter} refused`);
  }

  /** Publishes of one event-loop turn go out in one write (corked until the next tick), as mqtt.js does. */
  publish(topic: string, payload: Buffer, qos: 0 | 1): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => { this.corked = false; this.socket.uncork(); });
    }
    this.socket.write(publishPacket(topic, payload, qos, qos ? this.id() : 0));
  }

  get backlog(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.socket.end(Buffer.from([0xe0, 0]));
    this.socket.destroy();
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = id >= 65535 ? 1 : id + 1;
    return id;
  }

  private expect(type: string): Promise<Incoming> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = null; reject(new Error(`no ${type} within ${TIMEOUT_MS} ms`)); }, TIMEOUT_MS);
      this.waiting = { type, resolve: (p) => { clearTimeout(timer); resolve(p); }, reject: (e) => { clearTimeout(timer); reject(e); } };
    });
  }

  private onPacket(p: Incoming): void {
    if (p.type === 'publish') {
      if (p.qos === 1) this.queueAck(p.messageId);
      this.onMessage(p.topic, p.payload);
    } else if (p.type === 'puback') this.onPuback();
    else if (this.waiting?.type === p.type) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve(p);
    }
  }

  /** PUBACKs go out once per event-loop turn, in one write. */
  private queueAck(id: number): void {
    this.acks.push(id);
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      if (this.closed) return;
      const buf = Buffer.allocUnsafe(this.acks.length * 4);
      this.acks.forEach((a, i) => { buf[i * 4] = 0x40; buf[i * 4 + 1] = 2; buf[i * 4 + 2] = a >> 8; buf[i * 4 + 3] = a & 0xff; });
      this.acks.length = 0;
      this.socket.write(buf);
    });
  }
}

/** Connects many clients, `concurrency` at a time. */
export async function connectAll(url: string, logins: readonly Login[], concurrency = 100): Promise<RawClient[]> {
  const out: RawClient[] = new Array(logins.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < logins.length; i = next++) out[i] = await RawClient.connect(url, logins[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, logins.length) }, worker));
  return out;
}
