// QoS 1 delivery and persistent sessions: the session store wired into Aedes' persistence, and the per-connection outbox.

import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import { DEFAULT_OFFLINE_PACE_MS } from '../limits.js';
import { memoryBackend, type SessionBackend } from './durable/backend.js';
import { attachOutbox } from './outbox.js';
import type { SharedSessions } from './durable/shared.js';
import { SessionStore, type SessionPeers } from './store.js';

export interface QosDeps {
  clock: Clock;
  faults: Faults;
  log: (line: string) => void;
  /** Interval between stored messages resent after a reconnect (HubOptions.offlinePaceMs). */
  paceMs?: number;
  /** Where sessions are kept besides memory (default: nowhere, they end with the process). */
  backend?: SessionBackend;
  /** The sessions of a hub cluster, shared by its workers in Redis (instead of a backend), and who is logged in here. */
  shared?: { sessions: SharedSessions; peers: SessionPeers };
}

export interface Qos {
  store: SessionStore;
  /** Called once the broker exists (before any client): takes over the outgoing queue of its persistence and restores recorded sessions. */
  install(broker: Aedes): Promise<void>;
  /** Called for every new connection, after the packet gate. */
  attach(client: Client): void;
  /** Stops the periodic expiry sweep and closes the backend (its connection, for Redis). */
  close(): Promise<void>;
}

/** How often offline sessions and messages past their 24 h are looked for (they are also dropped when touched). */
const SWEEP_INTERVAL_MS = 60_000;

const byBroker = new WeakMap<Aedes, Qos>();

/** The session store of a broker, for cloud actions (PublishMessage) that must know about offline sessions. */
export function qosOf(broker: Aedes): Qos | undefined {
  return byBroker.get(broker);
}

export function checkPaceMs(value: number | undefined): number {
  const ms = value ?? DEFAULT_OFFLINE_PACE_MS;
  if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) throw new Error(`offlinePaceMs must be an integer number of milliseconds from 0 to 60000 (got ${String(value)})`);
  return ms;
}

type PublishFn = (packet: AedesPublishPacket, client?: Client | null, done?: (err?: Error | null) => void) => void;
type AuthorizePublish = (client: Client | null, packet: AedesPublishPacket, cb: (err?: Error | null) => void) => void;

/**
 * With a durable backend, a device's QoS 1 PUBLISH is acknowledged only once broker.publish has finished, i.e.
 * after the message was stored for every persistent session it matches. Aedes 1.2 does it the other way round
 * (lib/handlers/publish.js enqueuePublish, case 1: write(PUBACK) and then broker.publish), so a kill -9 between the
 * two would lose a message the publisher was told is delivered. As hub/acl/publish.ts does for refused packets,
 * the packet is lowered to QoS 0 after authorizePublish (Aedes then sends no PUBACK and calls broker.publish at
 * once), restored to QoS 1 when broker.publish is called, and the PUBACK is written when publish completes.
 */
function ackAfterStore(broker: Aedes, log: (line: string) => void): void {
  const b = broker as unknown as { authorizePublish: AuthorizePublish; publish: PublishFn };
  const marked = new WeakSet<object>();
  const authorize = b.authorizePublish.bind(broker);
  b.authorizePublish = (client, packet, cb) =>
    authorize(client, packet, (err) => {
      // a refused packet was already lowered to QoS 0 by the ACL (no PUBACK), so only accepted ones are marked
      if (!err && client && packet.qos === 1) {
        marked.add(packet);
        packet.qos = 0;
      }
      cb(err);
    });
  const publish = b.publish.bind(broker) as PublishFn;
  b.publish = (packet, client, done) => {
    if (typeof client === 'function') return publish(packet, client as never);
    if (!marked.has(packet) || !client) return publish(packet, client, done);
    marked.delete(packet);
    packet.qos = 1;
    publish(packet, client, (err) => {
      if (err) log(`mqtt: QoS 1 PUBLISH from ${client.id} on ${packet.topic} not stored, so not acknowledged: ${err.message}`);
      else if (!client.closed && client.conn.writable) {
        try {
          mqttPacket.writeToStream({ cmd: 'puback', messageId: packet.messageId! }, client.conn);
        } catch (e) {
          log(`mqtt: cannot write PUBACK to ${client.id}: ${String(e)}`);
        }
      }
      done?.(err);
    });
  };
}

export function createQos(deps: QosDeps): Qos {
  const paceMs = checkPaceMs(deps.paceMs);
  const backend = deps.backend ?? memoryBackend;
  const store = new SessionStore(deps.clock, deps.faults, deps.log, backend, deps.shared?.sessions, deps.shared?.peers);
  const durable = backend.durable || deps.shared !== undefined;
  let broker: Aedes | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  const qos: Qos = {
    store,
    async install(b) {
      broker = b;
      store.install(b);
      byBroker.set(b, qos);
      if (durable) ackAfterStore(b, deps.log);
      if (deps.faults.has('store-qos0-offline')) {
        b.on('publish', (packet: AedesPublishPacket) => {
          if (packet.qos === 0 && !packet.topic.startsWith('$SYS')) void store.storeQos0(packet).catch(() => {});
        });
      }
      const restored = await store.restore();
      if (deps.shared) deps.log(`mqtt: ${restored.sessions} persistent sessions in the cluster's Redis`);
      else if (backend.durable) deps.log(`mqtt: restored ${restored.sessions} persistent sessions with ${restored.messages} stored messages (${backend.kind})`);
      sweeper = setInterval(() => void store.sweep().catch((e: Error) => deps.log(`mqtt: session sweep failed: ${e.message}`)), SWEEP_INTERVAL_MS);
      sweeper.unref();
    },
    attach(client) {
      if (!broker) throw new Error('qos.install(broker) must run before clients attach');
      attachOutbox(client, { broker, store, faults: deps.faults, paceMs, log: deps.log });
      client.once('connected', () => store.connected(client));
      client.conn.once('close', () => store.disconnected(client));
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      await backend.close();
      await deps.shared?.sessions.close();
    },
  };
  return qos;
}
