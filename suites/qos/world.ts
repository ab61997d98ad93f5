/**
 * The real side of the model-based QoS suite: a few devices on the target, the cloud API, what each connection
 * received, and the barrier that decides "everything owed has arrived, nothing else did" without a fixed sleep.
 * Used by suites/qos-clock.test.ts and by `hubcheck replay` (no vitest here).
 */
import { ApiError, CloudApi, type CloudApiConfig } from '../../src/client/cloud-api.js';
import { Device } from '../../src/client/device.js';
import { advanceTestClock } from '../../src/client/test-clock.js';
import type { Trace } from '../../src/client/trace.js';
import { deviceLogin } from '../../src/protocol/credentials.js';
import { judge, type Model, type Receipt, type Topic } from './model.js';
import { whileArriving } from './barriers.js';

export interface WorldDevice { productId: string; deviceName: string; psk: string }

export interface WorldOptions {
  mqttUrl: string;
  api: CloudApiConfig;
  devices: WorldDevice[];
  trace: Trace;
  /** The hub's offline pacing (ms), to bound the wait for a replay. */
  paceMs: number;
  /** Bound on one round trip. */
  roundTripMs?: number;
}

/** The topic class used for barrier markers (privilege 3); model topics are TOPICS. */
export const SYNC_TOPIC = 'sync';

interface Conn { device: Device; epoch: number; judged: number }

export class World {
  readonly api: CloudApi;
  private readonly conns: (Conn | undefined)[];
  /** Ids each device received on earlier connections (for the DUP rule). */
  private readonly before: Set<string>[];
  /** The packet identifier each QoS 1 message had when a device first received it (a resend must keep it). */
  private readonly firstIds: Map<string, number>[];
  private markers = 0;
  /** Devices that logged in since the last reset (only they can hold a session). */
  private readonly dirty = new Set<number>();
  readonly roundTripMs: number;
  /** How long settle() waits for owed messages beyond the pacing of a replay (see calibrate()). */
  deliveryWaitMs = 1000;

  constructor(readonly o: WorldOptions) {
    this.api = new CloudApi(o.api, o.trace);
    this.conns = o.devices.map(() => undefined);
    this.before = o.devices.map(() => new Set());
    this.firstIds = o.devices.map(() => new Map());
    for (let d = 0; d < o.devices.length; d++) this.dirty.add(d); // unknown state at first: reset everything
    this.roundTripMs = o.roundTripMs ?? 3000;
  }

  topic(d: number, t: Topic | typeof SYNC_TOPIC): string {
    const dev = this.o.devices[d]!;
    return `${dev.productId}/${dev.deviceName}/${t}`;
  }

  device(d: number): Device {
    const c = this.conns[d];
    if (!c || !c.device.isOpen) throw new Error(`d${d} has no open connection (the hub closed it?)`);
    return c.device;
  }

  /** CONNECT; resolves with CONNACK SessionPresent. Subscribes the barrier topic at QoS 0 (never stored). */
  async connect(d: number, epoch: number, clean: boolean, autoAck: boolean): Promise<boolean> {
    const old = this.conns[d];
    if (old) this.retire(d, old);
    const creds = this.o.devices[d]!;
    this.dirty.add(d);
    const device = await Device.connect(this.o.mqttUrl, { ...deviceLogin(creds), clean, autoAck, keepalive: 120, trace: this.o.trace, label: `d${d}#${epoch}`, answerTimeoutMs: this.roundTripMs });
    this.conns[d] = { device, epoch, judged: 0 };
    const present = device.sessionPresent;
    const g = await device.subscribe(this.topic(d, SYNC_TOPIC), 0);
    if (g !== 0) throw new Error(`d${d}: SUBSCRIBE ${SYNC_TOPIC}@0 was answered ${g}; the barrier topic must be granted`);
    if (old) await this.offline(d, old.device); // a kicked connection: the hub has closed it once the new one is in
    return present;
  }

  /** DISCONNECT (graceful) or just close the socket (drop); resolves once the hub reports the device offline. */
  async disconnect(d: number, graceful: boolean): Promise<void> {
    const c = this.conns[d];
    if (!c) return;
    if (graceful) await c.device.end();
    else {
      c.device.conn.close();
      await c.device.conn.closed;
    }
    this.retire(d, c);
    this.conns[d] = undefined;
    await this.waitOffline(d);
  }

  private retire(d: number, c: Conn): void {
    for (const m of c.device.messages) {
      const id = m.payload.toString();
      this.before[d]!.add(id);
      if (m.qos === 1 && m.messageId !== undefined && !this.firstIds[d]!.has(id)) this.firstIds[d]!.set(id, m.messageId);
    }
  }

  private async offline(d: number, old: Device): Promise<void> {
    if (!(await old.closesWithin(this.roundTripMs))) throw new Error(`d${d}: the older connection was not closed by the second login (QOS-024 / one session per device)`);
  }

  /** Barrier for a disconnect: DescribeDevice until Online is 0 (bounded). */
  private async waitOffline(d: number): Promise<void> {
    const dev = this.o.devices[d]!;
    const deadline = Date.now() + this.roundTripMs;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      const r = await this.api.call<{ Online: number }>('DescribeDevice', { ProductID: dev.productId, DeviceName: dev.deviceName });
      if (r.Online === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`d${d} still online ${this.roundTripMs} ms after its connection closed`);
  }

  async subscribe(d: number, topic: Topic, qos: 0 | 1 | 2): Promise<number> {
    return this.device(d).subscribe(this.topic(d, topic), qos);
  }

  async unsubscribe(d: number, topic: Topic): Promise<void> {
    await this.device(d).unsubscribe(this.topic(d, topic));
  }

  async publish(d: number, topic: Topic, qos: 0 | 1, payload: string): Promise<void> {
    await this.device(d).publish(this.topic(d, topic), payload, qos);
  }

  /** Many QoS 1 publishes without waiting for each PUBACK; resolves once all are acknowledged. */
  async burst(d: number, topic: Topic, payloads: string[]): Promise<void> {
    const device = this.device(d);
    const tracked = payloads.map((p) => device.publishTracked(this.topic(d, topic), p));
    const ok = await device.conn.until(() => tracked.every((t) => t.acked()), this.roundTripMs * 2);
    if (!ok) throw new Error(`d${d}: ${tracked.filter((t) => !t.acked()).length} of ${payloads.length} burst publishes got no PUBACK`);
  }

  /** PublishMessage; resolves with 'ok' or the error code. */
  async cloudPublish(d: number, topic: Topic, qos: 0 | 1, payload: string): Promise<string> {
    const dev = this.o.devices[d]!;
    try {
      await this.api.call('PublishMessage', { ProductId: dev.productId, DeviceName: dev.deviceName, Topic: this.topic(d, topic), Payload: payload, Qos: qos });
      return 'ok';
    } catch (e) {
      if (e instanceof ApiError) return e.code;
      throw e;
    }
  }

  /** PUBACKs every withheld delivery; returns the payloads acknowledged. */
  ackAll(d: number): string[] {
    const device = this.device(d);
    const ids = new Set(device.unacked);
    device.ackAll();
    return device.messages.filter((m) => m.messageId !== undefined && ids.has(m.messageId)).map((m) => m.payload.toString());
  }

  async advanceClock(seconds: number): Promise<void> {
    await advanceTestClock(this.api, seconds);
  }

  /** What the current connection of d received so far (barrier markers left out). */
  receipts(d: number): Receipt[] {
    const c = this.conns[d];
    if (!c) return [];
    const sync = this.topic(d, SYNC_TOPIC);
    return c.device.messages.filter((m) => m.topic !== sync).map((m) => ({ id: m.payload.toString(), topic: m.topic, qos: m.qos, dup: m.dup, ...(m.messageId !== undefined ? { messageId: m.messageId } : {}) }));
  }

  /**
   * The barrier and the verdict for device d: wait (bounded) until every message the model says is owed has
   * arrived, then a marker round trip on the sync topic (whatever the hub dispatched before has arrived; after the
   * device's own QoS 1 publishes the marker is QoS 1 too, `markerQos`),
   * then judge everything this connection received. Throws with the violations.
   */
  async settle(model: Model, d: number, markerQos: 0 | 1 = 0): Promise<void> {
    const s = model.devices[d]!;
    const c = this.conns[d];
    if (!s.online || !c) return;
    const required = model.required(d);
    const has = () => {
      const ids = new Set(c.device.messages.map((m) => m.payload.toString()));
      return required.every((m) => ids.has(m.id));
    };
    // Owed messages may be a paced replay: wait while they keep coming (each pacing timer fires late on a busy
    // machine, so a bound on the whole replay would fail a conforming hub), and give up after a silence.
    await whileArriving(c.device, has, Math.max(this.deliveryWaitMs, 1000) + this.o.paceMs * 2, required.length + 10);
    const marker = `marker-${++this.markers}`;
    if (c.device.isOpen) {
      // After the device's own QoS 1 publishes the marker is QoS 1 too: a PUBACK does not mean those were routed, so
      // it takes their path (same publisher, same QoS, routed after them) rather than the shorter QoS 0 one.
      await c.device.publish(this.topic(d, SYNC_TOPIC), marker, markerQos);
      await c.device.waitFor((m) => m.payload.toString() === marker, this.roundTripMs);
    }
    const receipts = this.receipts(d);
    const problems = judge(model, d, receipts, this.before[d]!, c.device.unacked.length, this.firstIds[d]!);
    if (!c.device.isOpen) problems.unshift(`d${d}: the hub closed the connection`);
    if (problems.length) throw new Error(problems.join('\n'));
    if (s.autoAck) model.ack(d, receipts.filter((r) => r.qos === 1).map((r) => r.id));
  }

  /** Starts a sequence from nothing: every device logs in with CleanSession = 1 (discarding any session) and leaves. */
  async reset(): Promise<void> {
    await this.close();
    for (let d = 0; d < this.o.devices.length; d++) {
      if (!this.dirty.has(d)) continue; // never connected since the last reset: it has no session to discard
      await this.connect(d, 0, true, true);
      await this.disconnect(d, true);
      this.before[d]!.clear();
      this.firstIds[d]!.clear();
    }
    this.dirty.clear();
  }

  /**
   * Measures the marker round trip (median of 5) and derives the wait for owed messages from it: twenty round
   * trips, at least 200 ms, at most 5 s (DESIGN principle 6: timeouts from a measured round trip).
   */
  async calibrate(): Promise<number> {
    await this.connect(0, 0, true, true);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const marker = `calibrate-${++this.markers}`;
      const t0 = Date.now();
      await this.device(0).publish(this.topic(0, SYNC_TOPIC), marker, 0);
      if (!(await this.device(0).waitFor((m) => m.payload.toString() === marker, this.roundTripMs))) throw new Error(`no marker round trip within ${this.roundTripMs} ms`);
      samples.push(Date.now() - t0);
    }
    await this.disconnect(0, true);
    samples.sort((a, b) => a - b);
    this.deliveryWaitMs = Math.min(5000, Math.max(200, 20 * samples[2]!));
    return this.deliveryWaitMs;
  }

  async close(): Promise<void> {
    await Promise.all(this.conns.map((c) => c?.device.end()));
    this.conns.fill(undefined);
  }
}
