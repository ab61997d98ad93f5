// The sender of one connection: QoS 1 stored messages first (paced after a reconnect), then live ones, in order,
// with at most 150 awaiting PUBACK; QoS 0 ones written as they are routed. Replaces Aedes' deliverQoS and deliver0.
//
// Why not Aedes' own: Aedes writes every QoS 1 message at once (no in-flight window), replays stored messages in
// a burst without DUP, and lets live messages overtake the replay. Here every QoS 1 delivery of the client goes
// through one FIFO queue; a stored message that was sent on an earlier connection keeps its packet identifier
// and is resent with DUP = 1 (MQTT 3.1.1 §4.4, QOS-018).
//
// Why QoS 0 too: Aedes writes a QoS 0 delivery from a setImmediate, so a QoS 1 message routed in the same turn (two
// messages read from Redis at once, in a cluster) left first, and a subscriber saw a device's QoS 0 PUBLISH after
// its later QoS 1 one. Both now leave when routed, in routing order. Aedes also held the emitter's callback until a
// full socket drained, so one device that stopped reading stalled routing for everyone once 100 deliveries waited;
// here the callback is released at once and QoS 0 deliveries beyond MAX_QOS0_BACKLOG_BYTES unread are dropped.

import type { Aedes, Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { EventEmitter } from 'node:events';
import type { Faults } from '../faults.js';
import { MAX_INFLIGHT_QOS1, MAX_QOS0_BACKLOG_BYTES, MAX_QUEUED_QOS1 } from '../limits.js';
import type { SessionStore, StoredMessage } from './store.js';

interface LivePacket { brokerId?: string; brokerCounter?: number; topic: string; payload: Buffer | string; qos: number; clientId?: string; nl?: boolean }

interface Item {
  topic: string;
  payload: Buffer;
  brokerId: string | undefined;
  brokerCounter: number | undefined;
  /** A stored message replayed after the reconnect (paced). */
  replay: boolean;
  /** For a resend: the packet identifier it had on the earlier connection. */
  messageId?: number;
}

interface ClientInternals {
  _parser: EventEmitter;
  connecting?: boolean;
  duplicates: Record<string, number>;
  deliverQoS: (packet: LivePacket, cb: () => void) => void;
  deliver0: (packet: LivePacket, cb: () => void) => void;
}

export interface OutboxDeps {
  broker: Aedes;
  store: SessionStore;
  faults: Faults;
  paceMs: number;
  log: (line: string) => void;
}

/** Aedes' own dedupe: a message matching two subscriptions of a client is delivered once (lib/client.js). */
function firstTime(client: ClientInternals, packet: LivePacket): boolean {
  const id = packet.brokerId;
  if (!id) return true;
  const counter = packet.brokerCounter ?? 0;
  if ((client.duplicates[id] ?? 0) >= counter) return false;
  client.duplicates[id] = counter;
  return true;
}

export function attachOutbox(client: Client, deps: OutboxDeps): void {
  const { broker, store, faults, paceMs, log } = deps;
  const internals = client as unknown as ClientInternals;
  if (typeof internals.deliverQoS !== 'function' || typeof internals.deliver0 !== 'function' || !internals.duplicates || !internals._parser) {
    throw new Error('aedes internals changed: client.deliverQoS/deliver0/duplicates/_parser were expected (see hub/qos/outbox.ts)');
  }
  const queue: Item[] = [];
  const early: Item[] = []; // live messages that arrive between restoring subscriptions and the CONNACK
  // Stored messages taken into the replay at the CONNACK. With an asynchronous backend (Redis) a message can be in
  // the store before the CONNACK and reach deliverQoS only after it, once its write is confirmed: it is sent once.
  const replayed = new Set<string>();
  const keyOf = (brokerId: string | undefined, brokerCounter: number | undefined) => `${brokerId ?? ''}:${brokerCounter ?? 0}`;
  const inflight = new Set<number>();
  let ready = false;
  let nextId = 1;
  let lastReplayAt = 0;
  let timer: NodeJS.Timeout | null = null;

  // Deliveries at QoS 1 for this client (Aedes binds client.deliverQoS into each subscription when it is made,
  // so it is replaced here, before the client can subscribe).
  internals.deliverQoS = (packet, cb) => {
    if (packet.qos === 0) return internals.deliver0(packet, cb);
    if (firstTime(internals, packet) && broker.authorizeForward(client, packet as never)) {
      const item: Item = { topic: packet.topic, payload: Buffer.from(packet.payload), brokerId: packet.brokerId, brokerCounter: packet.brokerCounter, replay: false };
      const inReplay = replayed.size > 0 && replayed.has(keyOf(item.brokerId, item.brokerCounter));
      if (!ready) early.push(item);
      else if (inReplay) log(`mqtt: ${client.id}: a message on ${packet.topic} is already in the replay`);
      else if (queue.length >= MAX_QUEUED_QOS1) log(`mqtt: ${client.id} has ${MAX_QUEUED_QOS1} QoS 1 messages waiting; one on ${packet.topic} is dropped`);
      else queue.push(item);
      pump();
    }
    setImmediate(cb); // never hold mqemitter's callback: one slow device must not stall the broker
  };

  // QoS 0 deliveries (a QoS 0 subscription, or a QoS 0 message): written now, as Aedes would after its setImmediate;
  // those routed to a restored session before its CONNACK follow the CONNACK.
  const early0: LivePacket[] = [];
  let backlogged = false;
  internals.deliver0 = (packet, cb) => {
    if (!(packet.nl && packet.clientId === client.id) && firstTime(internals, packet) && broker.authorizeForward(client, packet as never)) {
      if (ready) send0(packet);
      else if (early0.length < MAX_QUEUED_QOS1) early0.push(packet);
    }
    setImmediate(cb);
  };

  if (faults.has('ignore-granted-qos')) {
    // the fault: a QoS 0 subscription takes QoS 1 messages into the QoS 1 queue instead of downgrading them (QOS-003)
    const deliver0 = internals.deliver0;
    internals.deliver0 = (packet, cb) => (packet.qos === 1 ? internals.deliverQoS(packet, cb) : deliver0(packet, cb));
  }

  internals._parser.prependListener('packet', (packet: { cmd: string; messageId?: number; qos?: number }) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && inflight.delete(packet.messageId)) setImmediate(pump);
    // the fault: Aedes answers with the PUBLISH's identifier (QOS-002), so the fault changes it before Aedes sees it
    if (packet.cmd === 'publish' && packet.qos === 1 && packet.messageId !== undefined && faults.has('puback-wrong-id')) packet.messageId = (packet.messageId % 65535) + 1;
  });

  client.once('connected', () => {
    if (!client.clean) {
      // Stored messages first, in the order they were stored (the fault reverses them).
      const stored: StoredMessage[] = [...store.messages(client.id)];
      if (faults.has('reorder-offline-queue')) stored.reverse();
      for (const m of stored) {
        replayed.add(keyOf(m.brokerId, m.brokerCounter));
        queue.push({ topic: m.topic, payload: m.payload, brokerId: m.brokerId, brokerCounter: m.brokerCounter, replay: true, ...(m.messageId !== undefined ? { messageId: m.messageId } : {}) });
      }
    }
    for (const packet of early0) send0(packet);
    early0.length = 0;
    for (const item of early) {
      if (!queue.some((q) => q.brokerId === item.brokerId && q.brokerCounter === item.brokerCounter)) queue.push(item);
    }
    early.length = 0;
    ready = true;
    pump();
  });
  client.conn.once('close', () => {
    if (timer) clearTimeout(timer);
    timer = null;
    queue.length = 0;
  });

  function allocateId(): number {
    const storedNow = store.messages(client.id);
    const reserved = storedNow.length > 0 ? new Set(storedNow.map((m) => m.messageId)) : undefined;
    for (let tries = 0; tries < 65535; tries++) {
      const id = nextId;
      nextId = nextId >= 65535 ? 1 : nextId + 1;
      if (!inflight.has(id) && !reserved?.has(id)) return id;
    }
    throw new Error('no free packet identifier');
  }

  // LIM-010 (a function of the client, not a closure made per pump: tsx names each new closure, a defineProperty)
  function windowFull(): boolean {
    return !faults.has('ignore-inflight-limit') && inflight.size >= MAX_INFLIGHT_QOS1;
  }

  function pump(): void {
    if (!ready || timer || client.closed || !client.connected) return;
    while (queue.length > 0 && !windowFull()) {
      const item = queue[0]!;
      if (item.replay) {
        const wait = lastReplayAt + paceMs - Date.now(); // QOS-021: stored messages at paceMs intervals (real time)
        if (lastReplayAt > 0 && wait > 0 && !faults.has('offline-burst')) {
          timer = setTimeout(() => { timer = null; pump(); }, wait);
          return;
        }
        lastReplayAt = Date.now();
      }
      queue.shift();
      send(item);
    }
  }

  function send0(packet: LivePacket): void {
    if (!(internals.connecting || client.connected) || client.closed) return;
    if (client.conn.writableLength > MAX_QOS0_BACKLOG_BYTES) {
      if (!backlogged) log(`mqtt: ${client.id} has ${client.conn.writableLength} bytes unread; QoS 0 messages to it are dropped until it reads`);
      backlogged = true;
      return;
    }
    backlogged = false;
    try {
      mqttPacket.writeToStream({ cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: 0, dup: false, retain: false }, client.conn);
    } catch (err) {
      log(`mqtt: cannot write to ${client.id}: ${String(err)}`);
    }
  }

  function send(item: Item): void {
    // the stored copy whose identifier a PUBACK will clear; the fault takes the oldest stored message instead
    const stored = client.clean ? undefined
      : faults.has('ack-clears-oldest-stored') ? store.messages(client.id)[0]
      : store.find(client.id, item.brokerId, item.brokerCounter) ?? (item.replay ? undefined : store.adopt(client.id, item.brokerId, item.brokerCounter, item.topic, item.payload));
    if (item.replay && !stored) return; // acknowledged or expired meanwhile
    const resend = item.messageId !== undefined;
    // QOS-018: a resend keeps the identifier it was first sent with (MQTT-4.4.0-1); the fault allocates a new one
    const messageId = resend && !faults.has('new-id-on-redelivery') ? item.messageId! : allocateId();
    if (stored) store.markSent(client.id, stored, messageId); // recorded before the PUBLISH leaves, so a restart resends it with DUP = 1
    inflight.add(messageId);
    const dup = resend && !faults.has('no-dup-on-redelivery'); // QOS-018
    try {
      mqttPacket.writeToStream({ cmd: 'publish', topic: item.topic, payload: item.payload, qos: 1, messageId, dup, retain: false }, client.conn);
    } catch (err) {
      log(`mqtt: cannot write to ${client.id}: ${String(err)}`);
    }
  }
}
