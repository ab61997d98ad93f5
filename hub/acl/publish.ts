// PUBLISH policy: which topics a device may publish, the 64-byte and 16 KiB limits, and how a refused PUBLISH is dropped.
//
// Dropping (access-rules §2): Aedes' authorizePublish closes the connection when it gets an error, and on
// success a QoS 1 PUBLISH is PUBACKed before it is published. A refused PUBLISH must get no PUBACK, keep
// the connection and reach no one. So authorizePublish marks the packet (a WeakSet, no string tags on
// the wire object), lowers it to QoS 0 so Aedes' enqueuePublish skips the PUBACK, and succeeds; the
// broker's publish() is wrapped so a marked packet completes without touching mqemitter, retained
// storage, offline queues or the 'publish' event. Nothing is re-routed to a hidden topic.

import type { Aedes, AedesOptions, Client, PublishPacket } from 'aedes';
import type { DeviceSession, Sessions } from '../auth/sessions.js';
import { deviceClasses, SYSTEM_SERVICES } from './classes.js';
import type { Faults } from '../faults.js';
import { MAX_PUBLISH_PACKET_BYTES, MAX_TOPIC_BYTES, topicLength } from '../limits.js';
import type { Registry } from '../registry/index.js';
import { effectiveClasses } from './effective.js';
import { unknownDollarTopicAllowed, type Owner } from './fault-rules.js';
import { actingSession } from './proxy.js';
import { classAllows } from './subscribe.js';
import { byteLength, isValidTopicName, levels, matchesPattern } from './topics.js';

export type PublishDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Size of the whole encoded packet: fixed header byte + remaining-length varint + remaining length. */
export function encodedPacketSize(remainingLength: number): number {
  let varint = 1;
  for (let n = remainingLength; n >= 128; n = Math.floor(n / 128)) varint++;
  return 1 + varint + remainingLength;
}

/**
 * Pure decision for one topic name against a device's publish classes (access-rules §2, §3). `owner` is
 * the publishing device; only the fault switches that misjudge ownership need it.
 */
export function decidePublish(
  publishClasses: readonly (readonly string[])[],
  topic: string,
  packetBytes: number,
  faults: Faults,
  owner?: Owner,
): PublishDecision {
  if (packetBytes > MAX_PUBLISH_PACKET_BYTES) return { allowed: false, reason: `packet of ${packetBytes} bytes is over ${MAX_PUBLISH_PACKET_BYTES}` };
  if (!faults.has('accept-oversize-topic') && topicLength(topic, faults) > MAX_TOPIC_BYTES) {
    return { allowed: false, reason: `topic over ${MAX_TOPIC_BYTES} bytes` }; // ACL-TOPIC-LEN
  }
  if (!isValidTopicName(topic)) return { allowed: false, reason: 'not a valid topic name' }; // ACL-014
  const tl = levels(topic);
  // ACL-002: whole levels compared, so `dev` may not publish `dev1`'s topics; ACL-012: no unknown $ topics
  const ctx = owner && { productId: owner.productId, deviceName: owner.deviceName, faults };
  // A loop, not .some() with a closure: this runs for every PUBLISH, and tsx names each new closure (defineProperty).
  for (const c of publishClasses) if (ctx ? classAllows(ctx, tl, c) : matchesPattern(tl, c)) return ALLOWED;
  return unknownDollarTopicAllowed(tl, owner, SYSTEM_SERVICES, faults) ? ALLOWED : { allowed: false, reason: 'no publish permission' };
}

const ALLOWED: PublishDecision = Object.freeze({ allowed: true });

/** Topics Aedes itself would reject by closing the connection; the gate renames them so they are dropped instead. */
export function aedesRejectsTopic(topic: string, maxLevels: number): boolean {
  return topic.length === 0 || topic.includes('+') || topic.includes('#') || topic.split('/').length > maxLevels;
}

export interface PublishPolicyDeps {
  /** The gate's (un)subscribe work still queued per connection (ACL-016). */
  queued: WeakMap<Client, Promise<void>>;
  registry: Registry;
  sessions: Sessions;
  faults: Faults;
  log: (line: string) => void;
}

export interface PublishPolicy {
  authorizePublish: NonNullable<AedesOptions['authorizePublish']>;
  authorizeForward: NonNullable<AedesOptions['authorizeForward']>;
  /** Called by the gate for a PUBLISH whose topic Aedes would reject: it will be dropped. */
  markInvalid(packet: PublishPacket): void;
  /** Wraps broker.publish so dropped packets go nowhere. */
  install(broker: Aedes): void;
}

/** Placeholder topic for packets the gate marked invalid; it only has to pass Aedes' own checks. */
const INVALID_TOPIC_PLACEHOLDER = '$hub/invalid-topic';

export function createPublishPolicy(deps: PublishPolicyDeps): PublishPolicy {
  const { registry, sessions, faults, log, queued } = deps;
  const dropped = new WeakSet<object>();
  const invalid = new WeakMap<object, string>();

  function publishClasses(session: DeviceSession): readonly (readonly string[])[] {
    if (faults.has('allow-cross-device-publish')) {
      // the fault: any productId/deviceName levels pass, so another device's classes are publishable
      return deviceClasses('+', '+', registry.policies(session.productId)).publish;
    }
    return effectiveClasses(sessions, registry, faults, session).publish;
  }

  function drop(client: Client, packet: PublishPacket, topic: string, reason: string): void {
    log(`mqtt: dropped PUBLISH from ${client.id} on ${JSON.stringify(topic)}: ${reason}`);
    dropped.add(packet);
    // ACL-008: no PUBACK (Aedes acknowledges only QoS 1/2 packets); the fault leaves the QoS, so Aedes acks
    if (!faults.has('puback-forbidden-publish')) packet.qos = 0;
    packet.retain = false;
  }

  return {
    markInvalid(packet) {
      invalid.set(packet, packet.topic);
      packet.topic = INVALID_TOPIC_PLACEHOLDER;
    },

    authorizePublish(client, packet, callback) {
      // ACL-016: a SUBSCRIBE or UNSUBSCRIBE read before this PUBLISH takes effect first, so answers to it find the subscription
      const pending = client ? queued.get(client) : undefined;
      if (pending) return void pending.then(() => decide(client, packet, callback));
      decide(client, packet, callback);
    },

    // Synchronous and O(1): a device that was disabled or deleted gets nothing more while it is being closed.
    authorizeForward(client, packet) {
      return sessions.isRevoked(client) ? null : packet;
    },

    install(broker) {
      const original = broker.publish.bind(broker) as (p: unknown, c?: unknown, d?: unknown) => void;
      (broker as { publish: unknown }).publish = (packet: object, client?: unknown, done?: unknown) => {
        if (dropped.has(packet)) {
          const cb = typeof client === 'function' ? client : done;
          if (typeof cb === 'function') setImmediate(cb as () => void);
          return;
        }
        original(packet, client, done);
      };
    },
  };

  function decide(...[client, packet, callback]: Parameters<PublishPolicy['authorizePublish']>): void {
    const session = sessions.get(client);
    if (!client || !session) return callback(new Error('PUBLISH from a client that is not logged in'));
    if (packet.qos === 2) {
      // QoS 2 is not supported; MQTT 3.1.1 §3.3.1.2 allows closing (protocol.md §1.1 RECOMMENDATION)
      log(`mqtt: closing ${client.id}: QoS 2 PUBLISH`);
      return callback(new Error('QoS 2 PUBLISH is not supported'));
    }
    const original = invalid.get(packet);
    if (original !== undefined) {
      drop(client, packet, original, 'not a valid topic name');
      return callback(null);
    }
    let verdict: PublishDecision;
    try {
      const size = encodedPacketSize((packet as { length?: number }).length ?? 0);
      // GW-012: a gateway publishes a sub-device's topics with the sub-device's classes while it is online through it
      const actor = actingSession(session, packet.topic);
      verdict = decidePublish(publishClasses(actor), packet.topic, size, faults, actor);
    } catch (err) {
      verdict = { allowed: false, reason: `internal error: ${String(err)}` };
    }
    if (!verdict.allowed) drop(client, packet, packet.topic, verdict.reason);
    else packet.retain = false; // retained messages are not supported: accepted, delivered, not stored
    callback(null);
  }
}
