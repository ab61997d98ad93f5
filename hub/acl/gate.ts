// The packet gate: sees each packet a client sends before Aedes does, and takes over SUBSCRIBE and UNSUBSCRIBE.
//
// Why: a wildcard filter F must become the subscriptions F ∩ C (access-rules §4) — zero, one or many of
// them — with ONE return code per filter in the SUBACK, granted QoS min(requested, 1). Aedes'
// authorizeSubscribe can only return one subscription per filter, cannot express "granted but subscribes
// nothing", and its SUBACK echoes the requested QoS. UNSUBSCRIBE must remove every subscription F covers
// (§5) while Aedes removes only an equal string.
//
// How: a listener prepended to the client's MQTT parser (it runs synchronously before Aedes' own) copies
// the SUBSCRIBE/UNSUBSCRIBE, empties the packet and clears its messageId, so Aedes still runs its normal
// handler (keep-alive refresh, read-batch accounting) but subscribes nothing and sends no ack. The copy is
// queued per client (strictly in order, and only once the client is connected), decided by the pure rules
// in subscribe.ts, applied through Aedes' public client.subscribe/unsubscribe (which also update the
// persistent session), and acknowledged with our own SUBACK/UNSUBACK once the change is in place.
// PUBLISH packets whose topic Aedes would reject with a disconnect (empty, wildcards, too many levels) are
// handed to the publish policy so they are dropped like any refused PUBLISH.

import type { Aedes, Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import type { EventEmitter } from 'node:events';
import type { Sessions } from '../auth/sessions.js';
import type { Faults } from '../faults.js';
import { MAX_GRANTED_QOS } from '../limits.js';
import type { Registry } from '../registry/index.js';
import { actingSession, contextOf } from './proxy.js';
import { aedesRejectsTopic, type PublishPolicy } from './publish.js';
import { decideSubscribe, unsubscribeTargets, type SubscribeContext } from './subscribe.js';

const SUBACK_FAILURE = 0x80;

/**
 * Per connection, the promise of its last queued SUBSCRIBE/UNSUBSCRIBE (absent when none is pending). The official
 * SDKs subscribe and publish a request without waiting for SUBACK (the Python SDK's getNtpAccurateTime, its gateway
 * sample), as every broker that reads a connection's packets in order allows: the answer must find the subscription.
 */
export type QueuedChanges = WeakMap<Client, Promise<void>>;

interface WirePacket {
  cmd: string;
  messageId?: number | undefined;
  subscriptions?: { topic: string; qos: number }[];
  unsubscriptions?: string[];
  topic?: string;
}

/** The Aedes internals the gate relies on; checked when a client is attached so an upgrade fails loudly. */
interface ClientInternals {
  _parser?: EventEmitter;
  subscriptions?: Record<string, unknown>;
}
interface BrokerInternals {
  persistence?: { removeSubscriptions(client: Client, topics: string[]): Promise<unknown> };
  maxTopicLevels?: number;
}

export interface GateDeps {
  broker: Aedes;
  /** The (un)subscribe work still queued per connection; later PUBLISH packets wait for it (ACL-016). */
  queued: QueuedChanges;
  sessions: Sessions;
  registry: Registry;
  publish: PublishPolicy;
  faults: Faults;
  log: (line: string) => void;
  /** Subscriptions one device may hold: a filter that would take it past this gets 0x80 (LIM-013). */
  maxSubscriptions: number;
}

/** The context a filter is judged in: the client's own, or (GW-012) that of the sub-device the filter names while it is online through this gateway. */
export function subscribeContext(sessions: Sessions, registry: Registry, faults: Faults, client: Client, filter?: string): SubscribeContext | undefined {
  const session = sessions.get(client);
  if (!session) return undefined;
  return contextOf(sessions, registry, faults, filter === undefined ? session : actingSession(session, filter));
}

export function createGate(deps: GateDeps): (client: Client) => void {
  const { broker, sessions, registry, publish, faults, log, queued, maxSubscriptions } = deps;
  const maxLevels = (broker as unknown as BrokerInternals).maxTopicLevels ?? 100;

  function grantedQos(requested: number): 0 | 1 | 2 {
    const q = faults.has('grant-qos2') ? requested : Math.min(requested, MAX_GRANTED_QOS); // QoS 2 → 1
    return q === 2 ? 2 : q === 1 ? 1 : 0;
  }

  function ack(client: Client, packet: object): void {
    if (client.closed || !client.connected) return;
    try {
      mqttPacket.writeToStream(packet as mqttPacket.Packet, client.conn);
    } catch (err) {
      log(`mqtt: cannot write ack to ${client.id}: ${String(err)}`);
    }
  }

  async function runSubscribe(client: Client, messageId: number | undefined, subs: { topic: string; qos: number }[]) {
    if (client.closed) return; // Aedes would never call back for a closed client
    if (!sessions.get(client)) return;
    const granted: number[] = [];
    const add: { topic: string; qos: 0 | 1 | 2 }[] = [];
    const held = (client as unknown as ClientInternals).subscriptions ?? {};
    let count = Object.keys(held).length;
    const adding = new Set<string>();
    for (const { topic, qos } of subs) {
      const d = decideSubscribe(subscribeContext(sessions, registry, faults, client, topic)!, topic);
      if (!d.granted) {
        log(`mqtt: SUBSCRIBE ${JSON.stringify(topic)} by ${client.id} refused: ${d.reason}`);
        granted.push(SUBACK_FAILURE);
        continue;
      }
      // LIM-013: only subscriptions the device does not hold yet count towards the cap
      const fresh = d.subscriptions.filter((t) => !Object.hasOwn(held, t) && !adding.has(t));
      if (count + fresh.length > maxSubscriptions && fresh.length > 0 && !faults.has('no-subscription-cap')) {
        log(`mqtt: SUBSCRIBE ${JSON.stringify(topic)} by ${client.id} refused: it holds ${count} subscriptions, the most is ${maxSubscriptions}`);
        granted.push(SUBACK_FAILURE);
        continue;
      }
      count += fresh.length;
      for (const t of fresh) adding.add(t);
      const qosGranted = grantedQos(qos);
      granted.push(qosGranted);
      for (const t of d.subscriptions) add.push({ topic: t, qos: qosGranted });
    }
    if (add.length > 0) {
      await new Promise<void>((resolve, reject) =>
        client.subscribe(add, (err) => (err ? reject(err) : resolve())),
      );
    }
    ack(client, { cmd: 'suback', messageId, granted });
  }

  async function runUnsubscribe(client: Client, messageId: number | undefined, filters: string[]) {
    if (client.closed) return;
    if (!sessions.get(client)) return;
    const current = Object.keys((client as unknown as ClientInternals).subscriptions ?? {});
    const remove = new Set<string>();
    for (const f of filters) for (const s of unsubscribeTargets(subscribeContext(sessions, registry, faults, client, f)!, f, current)) remove.add(s);
    const topics = [...remove];
    if (topics.length > 0) {
      await new Promise<void>((resolve, reject) =>
        client.unsubscribe(topics as never, (err) => (err ? reject(err) : resolve())),
      );
      // client.unsubscribe without a messageId leaves the stored session alone: update it here
      const persistence = (broker as unknown as BrokerInternals).persistence;
      if (!client.clean && persistence) await persistence.removeSubscriptions(client, topics);
    }
    ack(client, { cmd: 'unsuback', messageId }); // UNSUBACK is always sent, even when nothing matched
  }

  return function attach(client: Client): void {
    const internals = client as unknown as ClientInternals;
    const parser = internals._parser;
    if (!parser || typeof parser.prependListener !== 'function' || parser.listenerCount('packet') !== 1) {
      throw new Error('aedes internals changed: client._parser with one "packet" listener was expected (see hub/acl/gate.ts)');
    }
    let ready: Promise<void> | null = null;
    let chain: Promise<void> = Promise.resolve();
    const whenConnected = () =>
      (ready ??= client.connected ? Promise.resolve() : new Promise((resolve) => client.once('connected', resolve)));
    const enqueue = (job: () => Promise<void>) => {
      // The fault models a hub whose subscription store is slower than its publish path (a database write, say):
      // the change lands a moment later, and the PUBLISH read meanwhile is not held back for it.
      const slowed = faults.has('publish-overtakes-subscribe') ? () => new Promise<void>((r) => setTimeout(r, 20)).then(job) : job;
      const next: Promise<void> = chain
        .then(whenConnected)
        .then(slowed)
        .catch((err: unknown) => {
          log(`mqtt: (un)subscribe of ${client.id} failed, closing: ${String(err)}`);
          client.close();
        })
        .finally(() => {
          if (queued.get(client) === next) queued.delete(client);
        });
      chain = next;
      // ACL-016: a PUBLISH read after this packet is decided once the change is in place (the fault lets it overtake)
      if (!faults.has('publish-overtakes-subscribe')) queued.set(client, next);
    };

    parser.prependListener('packet', (packet: WirePacket) => {
      try {
        intercept(packet);
      } catch (err) {
        // never let a surprise escape into Aedes' parse loop (it would become an uncaught exception)
        log(`mqtt: gate error on a ${packet.cmd} from ${client.id}, closing: ${String(err)}`);
        client.close();
      }
    });

    function intercept(packet: WirePacket): void {
      if (packet.cmd === 'subscribe' && packet.subscriptions) {
        const { messageId } = packet;
        const subs = packet.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos }));
        packet.subscriptions = [];
        packet.messageId = undefined;
        enqueue(() => runSubscribe(client, messageId, subs));
      } else if (packet.cmd === 'unsubscribe' && packet.unsubscriptions) {
        const { messageId } = packet;
        const filters = [...packet.unsubscriptions];
        packet.unsubscriptions = [];
        packet.messageId = undefined;
        enqueue(() => runUnsubscribe(client, messageId, filters));
      } else if (packet.cmd === 'publish' && typeof packet.topic === 'string' && aedesRejectsTopic(packet.topic, maxLevels)) {
        publish.markInvalid(packet as never);
      }
    }
  };
}
