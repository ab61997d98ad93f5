// QoS 1 delivery and persistent sessions: the session store wired into Aedes' persistence, and the per-connection outbox.

import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import { DEFAULT_OFFLINE_PACE_MS } from '../limits.js';
import { attachOutbox } from './outbox.js';
import { SessionStore } from './store.js';

export interface QosDeps {
  clock: Clock;
  faults: Faults;
  log: (line: string) => void;
  /** Interval between stored messages resent after a reconnect (HubOptions.offlinePaceMs). */
  paceMs?: number;
}

export interface Qos {
  store: SessionStore;
  /** Called once the broker exists (before any client): takes over the outgoing queue of its persistence. */
  install(broker: Aedes): void;
  /** Called for every new connection, after the packet gate. */
  attach(client: Client): void;
}

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

export function createQos(deps: QosDeps): Qos {
  const paceMs = checkPaceMs(deps.paceMs);
  const store = new SessionStore(deps.clock, deps.faults, deps.log);
  let broker: Aedes | undefined;
  const qos: Qos = {
    store,
    install(b) {
      broker = b;
      store.install(b);
      byBroker.set(b, qos);
      if (deps.faults.has('store-qos0-offline')) {
        b.on('publish', (packet: AedesPublishPacket) => {
          if (packet.qos === 0 && !packet.topic.startsWith('$SYS')) void store.storeQos0(packet).catch(() => {});
        });
      }
    },
    attach(client) {
      if (!broker) throw new Error('qos.install(broker) must run before clients attach');
      attachOutbox(client, { broker, store, faults: deps.faults, paceMs, log: deps.log });
      client.once('connected', () => store.connected(client));
      client.conn.once('close', () => store.disconnected(client));
    },
  };
  return qos;
}
