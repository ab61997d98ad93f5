/**
 * A device session on raw packets (mqtt-packet): connect, subscribe, publish, receive. Unlike a
 * client library it sends whatever it is told, so a suite can offer a hub filters and topics
 * that a library would refuse to send; every packet goes into the trace.
 */
import type { Packet } from 'mqtt-packet';
import { RawConnection, type ClientTls } from './raw.js';
import type { Trace } from './trace.js';

export interface Message { topic: string; payload: Buffer; qos: number; dup: boolean; retain: boolean; messageId?: number }

/** The hub answered CONNECT with a non-zero CONNACK, or closed the connection without one. */
export class LoginRefused extends Error {
  constructor(readonly returnCode: number | undefined, detail: string) {
    super(returnCode === undefined ? `login not accepted: ${detail}` : `login refused with CONNACK ${returnCode}: ${detail}`);
    this.name = 'LoginRefused';
  }
}

export interface DeviceOptions {
  clientId: string;
  username?: string;
  password?: string;
  protocolVersion?: 3 | 4;
  keepalive?: number;
  clean?: boolean;
  label?: string;
  trace?: Trace;
  /** Bound on each wait for an answer (CONNACK, SUBACK, PUBACK). */
  answerTimeoutMs?: number;
  /** PUBACK every QoS 1 delivery at once (default true); false keeps them in `unacked` until ack() / ackAll(). */
  autoAck?: boolean;
  /** TLS settings for mqtts:// and wss:// URLs (CA to trust, client certificate, TLS-PSK). */
  tls?: ClientTls;
}

export class Device {
  readonly messages: Message[] = [];
  private nextId = 1;
  private readonly acks = new Map<number, Packet>();
  private sessionPresentFlag = false;
  /** Packet identifiers of QoS 1 deliveries not acknowledged yet (only with autoAck: false), oldest first. */
  readonly unacked: number[] = [];

  private constructor(readonly conn: RawConnection, private readonly answerTimeoutMs: number, private readonly autoAck = true) {
    conn.intercept((p) => this.absorb(p));
  }

  /** Takes the packets the session tracks itself (deliveries and acknowledgements); false leaves one for next(). */
  private absorb(p: Packet): boolean {
    const conn = this.conn;
    {
      if (p.cmd === 'publish') {
        this.messages.push({ topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos, dup: p.dup, retain: p.retain, ...(p.qos > 0 ? { messageId: p.messageId } : {}) });
        if (p.qos === 1 && this.autoAck) conn.send({ cmd: 'puback', messageId: p.messageId });
        else if (p.qos === 1 && p.messageId !== undefined && !this.unacked.includes(p.messageId)) this.unacked.push(p.messageId);
        conn.wake();
        return true;
      }
      if ((p.cmd === 'suback' || p.cmd === 'unsuback' || p.cmd === 'puback') && p.messageId !== undefined) {
        this.acks.set(p.messageId, p);
        conn.wake();
        return true;
      }
      return false;
    }
  }

  static async connect(url: string, o: DeviceOptions): Promise<Device> {
    const answerTimeoutMs = o.answerTimeoutMs ?? 5000;
    const conn = await RawConnection.open(url, { label: o.label ?? o.clientId, trace: o.trace, protocolVersion: o.protocolVersion ?? 4, ...(o.tls ? { tls: o.tls } : {}) });
    conn.send({
      cmd: 'connect',
      protocolId: o.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: o.protocolVersion ?? 4,
      clean: o.clean ?? true,
      keepalive: o.keepalive ?? 60,
      clientId: o.clientId,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: Buffer.from(o.password) } : {}),
    });
    const connack = await conn.next(answerTimeoutMs);
    if (!connack) {
      conn.close();
      throw new LoginRefused(undefined, conn.isOpen ? `no CONNACK within ${answerTimeoutMs} ms` : 'connection closed without CONNACK');
    }
    if (connack.cmd !== 'connack' || connack.returnCode !== 0) {
      conn.close();
      throw new LoginRefused(connack.cmd === 'connack' ? connack.returnCode : undefined, connack.cmd === 'connack' ? `return code ${connack.returnCode}` : `got ${connack.cmd} instead of CONNACK`);
    }
    const device = new Device(conn, answerTimeoutMs, o.autoAck ?? true);
    // Stored messages may arrive in the same read as the CONNACK, before the session's interceptor existed.
    const early = conn.pending as Packet[];
    for (let i = 0; i < early.length;) if (device.absorb(early[i]!)) early.splice(i, 1); else i++;
    device.sessionPresentFlag = connack.sessionPresent;
    return device;
  }

  get isOpen(): boolean {
    return this.conn.isOpen;
  }

  get sessionPresent(): boolean {
    return this.sessionPresentFlag;
  }

  /** SUBSCRIBE one filter; resolves with the SUBACK return code (0, 1, 2 or 0x80). */
  async subscribe(filter: string, qos: 0 | 1 | 2 = 1): Promise<number> {
    const ack = await this.request({ cmd: 'subscribe', subscriptions: [{ topic: filter, qos }] }, 'SUBACK');
    return (ack as { granted: number[] }).granted[0] ?? 0x80;
  }

  /** SUBSCRIBE several filters in one packet; resolves with one SUBACK return code per filter. */
  async subscribeAll(filters: readonly string[], qos: 0 | 1 | 2 = 1): Promise<number[]> {
    const ack = await this.request({ cmd: 'subscribe', subscriptions: filters.map((topic) => ({ topic, qos })) }, 'SUBACK');
    return (ack as { granted: number[] }).granted;
  }

  async unsubscribe(filter: string): Promise<void> {
    await this.request({ cmd: 'unsubscribe', unsubscriptions: [filter] }, 'UNSUBACK');
  }

  /** PUBLISH; QoS 1 resolves on PUBACK and rejects when none comes within the answer timeout. */
  async publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 0): Promise<void> {
    if (qos === 0) {
      this.conn.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false });
      return;
    }
    await this.request({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, 'PUBACK');
  }

  /** PUBLISH QoS 1 without waiting: `acked()` tells whether its PUBACK has arrived so far. */
  publishTracked(topic: string, payload: string | Buffer): { acked: () => boolean } {
    const messageId = this.allocateId();
    this.conn.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, messageId });
    return { acked: () => this.acks.has(messageId) };
  }

  /** PUBACKs one withheld QoS 1 delivery (autoAck: false). */
  ack(messageId: number): void {
    const i = this.unacked.indexOf(messageId);
    if (i >= 0) this.unacked.splice(i, 1);
    this.conn.send({ cmd: 'puback', messageId });
  }

  /** PUBACKs every withheld QoS 1 delivery, oldest first; returns how many. */
  ackAll(): number {
    const ids = this.unacked.splice(0);
    for (const messageId of ids) this.conn.send({ cmd: 'puback', messageId });
    return ids.length;
  }

  /** Sends any packet as is (messageIds included). */
  send(packet: Record<string, unknown>): void {
    this.conn.send(packet);
  }

  /** Waits until a message satisfying `pred` has been received; returns it, or undefined after timeoutMs. */
  async waitFor(pred: (m: Message) => boolean, timeoutMs: number): Promise<Message | undefined> {
    await this.conn.until(() => this.messages.some(pred), timeoutMs);
    return this.messages.find(pred);
  }

  received(topic: string): Message[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  closesWithin(timeoutMs: number): Promise<boolean> {
    return this.conn.closesWithin(timeoutMs);
  }

  /** DISCONNECT and close. */
  async end(): Promise<void> {
    if (!this.conn.isOpen) return;
    this.conn.send({ cmd: 'disconnect' });
    this.conn.close();
    await this.conn.closed;
  }

  private allocateId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 65535 ? 1 : this.nextId + 1;
    this.acks.delete(id);
    return id;
  }

  private async request(packet: Record<string, unknown>, expecting: string): Promise<Packet> {
    const messageId = this.allocateId();
    this.conn.send({ ...packet, messageId });
    await this.conn.until(() => this.acks.has(messageId), this.answerTimeoutMs);
    const ack = this.acks.get(messageId);
    if (!ack) throw new Error(`no ${expecting} for ${String(packet.cmd).toUpperCase()} (messageId ${messageId}) within ${this.answerTimeoutMs} ms${this.conn.isOpen ? '' : '; the hub closed the connection'}`);
    this.acks.delete(messageId);
    return ack;
  }
}
