// A QoS 0 broadcast written straight to each device's connection, when the broker would deliver it there and nowhere
// else: one encode and one write per device instead of Aedes' publish chain per topic (runSeries, mqemitter, a packet
// object per step, a setImmediate per delivery and mqtt-packet's piecewise writes), which was most of a broadcast's
// cost. Anything else (QoS 1, a topic with another subscriber or none, a connection not fully open, MQTT 5) goes
// through broker.publish as before.

import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import { MAX_QOS0_BACKLOG_BYTES } from '../../limits.js';
import { holdToEndOfTurn, type Holdable } from '../../write-batch.js';

interface Subscription { func: unknown }
interface ClientInternals {
  id: string;
  version?: number;
  connected: boolean;
  connecting?: boolean;
  closed: boolean;
  errored?: boolean;
  subscriptions: Record<string, Subscription | undefined>;
  duplicates: Record<string, number>;
  conn: NodeJS.WritableStream & Holdable & { writableLength: number };
}
interface BrokerInternals {
  id: string;
  counter: number;
  clients: Record<string, ClientInternals | undefined>;
  mq: { closed?: boolean; concurrency?: number; current?: number; _messageQueue?: unknown[]; _matcher?: { match(topic: string): unknown[] } };
  published: (packet: AedesPublishPacket, client: Client | null, done: (err?: Error | null) => void) => void;
  authorizeForward: (client: Client, packet: AedesPublishPacket) => AedesPublishPacket | null | undefined;
  emit(event: string, ...args: unknown[]): boolean;
}

/** One device's copy: its connection and the packet Aedes would have made for it. */
export interface DirectDelivery { client: ClientInternals; packet: AedesPublishPacket }

/** The PUBLISH bytes of a QoS 0 packet (MQTT 3.1 and 3.1.1): fixed header, topic, payload. */
function encodeQos0(topic: string, payload: Buffer): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  const remaining = 2 + topicBytes + payload.length;
  let lengthBytes = 1;
  for (let r = remaining; r >= 128; r = Math.floor(r / 128)) lengthBytes++;
  const buf = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  buf[0] = 0x30;
  let at = 1;
  let r = remaining;
  do {
    let byte = r % 128;
    r = Math.floor(r / 128);
    if (r > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (r > 0);
  buf.writeUInt16BE(topicBytes, at);
  at += 2;
  at += buf.write(topic, at, 'utf8');
  payload.copy(buf, at);
  return buf;
}

/**
 * The direct route of a broker using its own in-process mqemitter, or undefined (a cluster's Redis emitter, or Aedes
 * internals not as expected: then every broadcast goes through broker.publish).
 */
export function directRoute(broker: Aedes, log: (line: string) => void) {
  const b = broker as unknown as BrokerInternals;
  const mq = b.mq;
  if (!mq?._matcher || typeof mq._matcher.match !== 'function' || !Array.isArray(mq._messageQueue) || typeof b.counter !== 'number') return undefined;
  const matcher = mq._matcher;
  return {
    /**
     * The delivery of a QoS 0 PUBLISH on `topic` when its only subscriber is the connected device `clientId`, which
     * reads MQTT 3.1 or 3.1.1; undefined otherwise. Takes the packet's broker counter, as broker.publish would.
     */
    plan(clientId: string, topic: string, payload: Buffer): DirectDelivery | undefined {
      // messages waiting in the emitter go first; a direct write would overtake them
      if (mq.closed || mq._messageQueue!.length > 0) return undefined;
      const client = b.clients[clientId];
      if (!client || client.closed || !client.connected || (client.version !== 3 && client.version !== 4)) return undefined;
      const sub = client.subscriptions[topic];
      if (!sub) return undefined;
      const listeners = matcher.match(topic);
      if (listeners.length !== 1 || listeners[0] !== sub.func) return undefined;
      const packet = { cmd: 'publish', brokerId: b.id, brokerCounter: ++b.counter, topic, payload, qos: 0, retain: false, dup: false } as unknown as AedesPublishPacket;
      // as broker.publish does once a packet is routed
      b.published(packet, null, noop);
      b.emit('publish', packet, null);
      return { client, packet };
    },

    /**
     * Writes the planned deliveries now, in the turn that planned them, as the hub writes every delivery when it is
     * routed (hub/qos/outbox.ts), so per connection the order stays that of the broker counters. Per packet, as
     * Aedes: dedupe by broker counter, authorizeForward, the write; and as the outbox does for QoS 0, nothing to a
     * connection with more than MAX_QOS0_BACKLOG_BYTES unread. Nothing waits for a full socket to drain: a device
     * that stopped reading would otherwise hold the broadcast, and with it every later broadcast to its product.
     */
    send(deliveries: readonly DirectDelivery[]): void {
      let dropped = 0;
      for (const { client, packet } of deliveries) {
        const id = packet.brokerId!;
        const counter = packet.brokerCounter!;
        if ((client.duplicates[id] ?? 0) < counter) {
          client.duplicates[id] = counter;
          if (b.authorizeForward(client as unknown as Client, packet) && (client.connecting || client.connected) && !client.errored) {
            if (client.conn.writableLength > MAX_QOS0_BACKLOG_BYTES) dropped++;
            else {
              // the broadcasts of one turn share a write per connection (hub/write-batch.ts)
              holdToEndOfTurn(client.conn);
              client.conn.write(encodeQos0(packet.topic, packet.payload as Buffer));
            }
          }
        }
      }
      if (dropped > 0) log(`broadcast: ${dropped} device(s) with more than ${MAX_QOS0_BACKLOG_BYTES} bytes unread did not get a QoS 0 broadcast`);
    },
  };
}

function noop(): void {}
