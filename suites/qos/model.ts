/**
 * The model of QoS 0/1 delivery and persistent sessions the model-based suite judges a hub by (protocol.md §1.1,
 * §1.8, §11; QOS-0xx, LIM-010, API-029..031): for each device, what it may receive, what it must receive, and
 * what the cloud API must answer. Pure data, no I/O: the suite, the replay command and test/qos share it.
 */

export const TOPICS = ['a', 'b'] as const;
export type Topic = (typeof TOPICS)[number];
export const STORED_MAX = 150;
export const WINDOW = 150;
export const HOUR_MS = 3600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface Msg {
  /** The payload: unique per message, so a receipt names its message. */
  id: string;
  topic: Topic;
  /** Delivery QoS: min(publish QoS, granted QoS). */
  qos: 0 | 1;
  /** Ordering key: publisher and topic (order is kept per topic per publisher, QOS-006). */
  stream: string;
  /** Model time it was published (for the 24 h message expiry). */
  at: number;
}

export interface Session {
  subs: Map<Topic, 0 | 1>;
  /** Unacknowledged QoS 1 messages kept for the session (cap 150, first ones kept). */
  stored: Msg[];
  disconnectedAt: number;
}

export interface DeviceState {
  online: boolean;
  clean: boolean;
  autoAck: boolean;
  /** Increases with every connection; receipts are judged per connection. */
  epoch: number;
  session: Session | null;
  /** Subscriptions of a CleanSession = 1 connection. */
  connSubs: Map<Topic, 0 | 1>;
  /** QoS 1 messages owed to the current connection, in the order the hub must send them. */
  outstanding: Msg[];
  /** Messages that may arrive on this connection although not required (unsubscribed or expired meanwhile, QoS 0). */
  optional: Set<string>;
  /** QoS 0 messages that may arrive at most once on this connection. */
  qos0: Set<string>;
  /** Every message allowed on this connection (required or optional), by id. */
  allowed: Map<string, Msg>;
}

export type CloudAnswer = 'ok' | 'FailedOperation.DeviceOffline' | 'FailedOperation.DeviceNoSubscription' | 'LimitExceeded.MessageSaved' | 'LimitExceeded.OfflineMessageExceedLimit';

export class Model {
  readonly devices: DeviceState[];
  now = 0;
  private seq = 0;

  constructor(deviceCount: number, readonly run: string) {
    this.devices = Array.from({ length: deviceCount }, () => ({
      online: false, clean: true, autoAck: true, epoch: 0, session: null, connSubs: new Map(),
      outstanding: [], optional: new Set(), qos0: new Set(), allowed: new Map(),
    }));
  }

  subs(d: number): Map<Topic, 0 | 1> {
    const s = this.devices[d]!;
    return s.clean ? s.connSubs : s.session?.subs ?? s.connSubs;
  }

  /** SessionPresent the hub must answer for a CONNECT (QOS-015, QOS-019, QOS-023). */
  sessionPresent(d: number, clean: boolean): boolean {
    return !clean && this.devices[d]!.session !== null;
  }

  connect(d: number, clean: boolean, autoAck: boolean): void {
    const s = this.devices[d]!;
    if (s.online) this.disconnect(d); // a second login replaces the first (QOS-024)
    s.online = true;
    s.clean = clean;
    s.autoAck = autoAck;
    s.epoch++;
    s.connSubs = new Map();
    s.optional = new Set();
    s.qos0 = new Set();
    s.allowed = new Map();
    if (clean) {
      s.session = null;
      s.outstanding = [];
      return;
    }
    s.session ??= { subs: new Map(), stored: [], disconnectedAt: 0 };
    // the stored messages are owed first, in the order they were stored (QOS-017, QOS-018)
    s.outstanding = [...s.session.stored];
    for (const m of s.outstanding) s.allowed.set(m.id, m);
  }

  disconnect(d: number): void {
    const s = this.devices[d]!;
    s.online = false;
    s.outstanding = [];
    if (s.clean) s.connSubs = new Map();
    if (s.session && !s.clean) s.session.disconnectedAt = this.now;
  }

  subscribe(d: number, topic: Topic, requested: 0 | 1 | 2): 0 | 1 {
    const granted = requested === 0 ? 0 : 1; // QoS 2 is granted 1 (LIM-004)
    this.subs(d).set(topic, granted);
    return granted;
  }

  unsubscribe(d: number, topic: Topic): void {
    this.subs(d).delete(topic);
    // messages already queued for the topic may still arrive (MQTT 3.1.1 §3.10.4) but are no longer required
    const s = this.devices[d]!;
    for (const m of s.outstanding) if (m.topic === topic) s.optional.add(m.id);
    if (s.session) for (const m of s.session.stored) if (m.topic === topic) s.optional.add(m.id);
  }

  private newMsg(topic: Topic, qos: 0 | 1, publisher: string): Msg {
    return { id: `${this.run}:${++this.seq}`, topic, qos, stream: `${publisher}:${topic}`, at: this.now };
  }

  /** A PUBLISH on device d's topic (by the device itself or the cloud): returns the message (id = payload). */
  publish(d: number, topic: Topic, qos: 0 | 1, publisher: string): { msg: Msg; answer: CloudAnswer } {
    const s = this.devices[d]!;
    const granted = this.subs(d).get(topic);
    if (s.online) {
      const msg = this.newMsg(topic, granted === undefined ? qos : (Math.min(qos, granted) as 0 | 1), publisher);
      if (granted === undefined) return { msg, answer: 'FailedOperation.DeviceNoSubscription' };
      s.allowed.set(msg.id, msg);
      if (msg.qos === 0) {
        s.qos0.add(msg.id);
        s.optional.add(msg.id); // at most once: may be lost
        return { msg, answer: 'ok' };
      }
      if (s.session && !s.clean && s.session.stored.length < STORED_MAX) s.session.stored.push(msg);
      s.outstanding.push(msg);
      return { msg, answer: 'ok' };
    }
    const msg = this.newMsg(topic, qos, publisher);
    if (qos === 1 && s.session && granted === 1) {
      if (s.session.stored.length >= STORED_MAX) return { msg, answer: 'LimitExceeded.OfflineMessageExceedLimit' };
      s.session.stored.push(msg);
      return { msg, answer: 'LimitExceeded.MessageSaved' };
    }
    return { msg, answer: 'FailedOperation.DeviceOffline' };
  }

  /** The device acknowledged these messages (ids): they are no longer owed or stored. */
  ack(d: number, ids: readonly string[]): void {
    const s = this.devices[d]!;
    const gone = new Set(ids);
    s.outstanding = s.outstanding.filter((m) => !gone.has(m.id));
    if (s.session) s.session.stored = s.session.stored.filter((m) => !gone.has(m.id));
  }

  /** The hub's clock moves forward: offline sessions and stored messages older than 24 h are gone (QOS-022, QOS-023). */
  advance(ms: number): void {
    this.now += ms;
    for (const s of this.devices) {
      if (!s.session) continue;
      if (!s.online && this.now - s.session.disconnectedAt >= DAY_MS) {
        s.session = null;
        continue;
      }
      const expired = s.session.stored.filter((m) => this.now - m.at >= DAY_MS);
      if (expired.length === 0) continue;
      // an expired message may still be in flight on the current connection, but is no longer required
      for (const m of expired) s.optional.add(m.id);
      s.session.stored = s.session.stored.filter((m) => this.now - m.at < DAY_MS);
      s.outstanding = s.outstanding.filter((m) => !expired.includes(m) || s.online);
    }
  }

  /** QoS 1 messages that must have arrived on the current connection once the hub has settled: the first 150 owed (LIM-010), less the optional ones. */
  required(d: number): Msg[] {
    const s = this.devices[d]!;
    if (!s.online) return [];
    const windowed = s.autoAck ? s.outstanding : s.outstanding.slice(0, WINDOW);
    return windowed.filter((m) => !s.optional.has(m.id));
  }
}

/** One PUBLISH a device received, as the judge sees it (messageId: its packet identifier, for QoS 1). */
export interface Receipt { id: string; topic: string; qos: number; dup: boolean; messageId?: number }

/**
 * Judges the receipts of one connection against the model: every message allowed, at its delivery QoS, QoS 0 at
 * most once, a repeat only with DUP = 1, first receipts in publish order per stream, every required one present.
 * `before` are the ids the device received on earlier connections (a redelivery of one of them must carry DUP);
 * `firstIds` the packet identifiers QoS 1 ones were first sent with (a redelivery must reuse it, MQTT-4.4.0-1).
 * Returns the violations, one line each (empty: conforming).
 */
export function judge(model: Model, d: number, receipts: readonly Receipt[], before: ReadonlySet<string>, unackedCount: number, firstIds: ReadonlyMap<string, number> = new Map()): string[] {
  const s = model.devices[d]!;
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const firstIndex = new Map<string, number>();
  receipts.forEach((r, i) => {
    const m = s.allowed.get(r.id);
    const count = (seen.get(r.id) ?? 0) + 1;
    seen.set(r.id, count);
    if (!m) {
      problems.push(`d${d} received ${r.id} on ${r.topic} (QoS ${r.qos}), which it must not receive on this connection`);
      return;
    }
    if (count === 1) firstIndex.set(r.id, i);
    if (r.qos !== m.qos) problems.push(`d${d} received ${r.id} at QoS ${r.qos}; expected QoS ${m.qos} (min of publish and granted QoS)`);
    if (m.qos === 0 && count > 1) problems.push(`d${d} received QoS 0 message ${r.id} ${count} times; QoS 0 is at most once`);
    if (m.qos === 1 && (count > 1 || before.has(r.id)) && !r.dup) problems.push(`d${d} received ${r.id} again without DUP = 1 (a redelivery must set DUP)`);
    const first = firstIds.get(r.id);
    if (m.qos === 1 && first !== undefined && r.messageId !== undefined && r.messageId !== first) {
      problems.push(`d${d} received ${r.id} again with packet identifier ${r.messageId}; it was first sent with ${first} (a resend keeps its original identifier, MQTT-4.4.0-1)`);
    }
  });
  // order per publisher and topic, over first receipts of QoS 1 messages
  const byStream = new Map<string, { id: string; at: number; seq: number }[]>();
  for (const [id, index] of firstIndex) {
    const m = s.allowed.get(id)!;
    if (m.qos !== 1) continue;
    const seq = Number(id.slice(id.lastIndexOf(':') + 1));
    (byStream.get(m.stream) ?? byStream.set(m.stream, []).get(m.stream)!).push({ id, at: index, seq });
  }
  for (const [stream, list] of byStream) {
    list.sort((x, y) => x.at - y.at);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.seq < list[i - 1]!.seq) problems.push(`d${d} received ${list[i - 1]!.id} before ${list[i]!.id} on ${stream}: QoS 1 order per topic and publisher is not kept`);
    }
  }
  for (const m of model.required(d)) {
    if (!seen.has(m.id)) problems.push(`d${d} did not receive ${m.id} on ${m.topic} (QoS 1, owed to this connection)`);
  }
  if (unackedCount > WINDOW) problems.push(`d${d} holds ${unackedCount} unacknowledged QoS 1 messages; at most ${WINDOW} may be in flight (LIM-010)`);
  return problems;
}
