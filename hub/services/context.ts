// Builds the ServiceContext: server-originated publishes and a dispatcher of permitted device publishes by topic filter.

import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import { actingSession } from '../acl/proxy.js';
import { covers, levels } from '../acl/topics.js';
import type { Sessions } from '../auth/sessions.js';
import type { ClusterBus } from '../cluster/bus.js';
import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';
import type { DeviceMessage, HubSettings, ServiceContext } from './types.js';

export function createServiceContext(deps: { broker: Aedes; registry: Registry; sessions: Sessions; faults: Faults; clock: Clock; settings: HubSettings; bus: ClusterBus; log: (line: string) => void }): ServiceContext {
  const { broker, sessions, log } = deps;
  const handlers: { filter: string[]; handler: (m: DeviceMessage) => unknown; holdAck: boolean }[] = [];

  // Aedes calls `published` once a message is routed and before it completes broker.publish (and, with durable
  // sessions, before the PUBACK: hub/qos/index.ts), then emits 'publish'; refused publishes never get here
  // (acl/publish.ts swallows them). Handlers registered with holdAck (the rules' republishes) complete first, so
  // whatever the publisher does after its PUBACK is routed after them, also through another worker of a cluster.
  const b = broker as unknown as { published: (packet: AedesPublishPacket, client: Client | null, done: (err?: Error | null) => void) => void };
  const published = b.published.bind(broker);
  b.published = (packet, client, done) => {
    const held = client ? dispatch(messageOf(packet, client)) : undefined;
    if (!held) return published(packet, client, done);
    held.then(() => published(packet, client, done), () => published(packet, client, done));
  };

  function messageOf(packet: AedesPublishPacket, client: Client): DeviceMessage | undefined {
    if (handlers.length === 0) return undefined;
    const own = sessions.get(client);
    if (!own) return undefined;
    // GW-016, GW-017: a gateway's publish on a sub-device's topic is the sub-device's (the fault keeps the gateway's identity)
    const session = deps.faults.has('gateway-subdevice-as-gateway') ? own : actingSession(own, packet.topic);
    return {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos === 1 ? 1 : 0,
      productId: session.productId,
      deviceName: session.deviceName,
      ...(session !== own ? { via: { productId: own.productId, deviceName: own.deviceName } } : {}),
    };
  }

  /** Calls the handlers covering the message's topic; resolves when those with holdAck have completed (undefined: none to wait for). */
  function dispatch(message: DeviceMessage | undefined): Promise<unknown> | undefined {
    if (!message) return undefined;
    const topic = levels(message.topic);
    let held: Promise<unknown>[] | undefined;
    for (const h of handlers) {
      if (!covers(h.filter, topic)) continue;
      try {
        const r = h.handler(message);
        if (h.holdAck && r instanceof Promise) (held ??= []).push(r.catch((err: Error) => log(`service: handler for ${h.filter.join('/')} failed on ${message.topic}: ${err.message}`)));
      } catch (err) {
        log(`service: handler for ${h.filter.join('/')} failed on ${message.topic}: ${(err as Error).stack ?? String(err)}`);
      }
    }
    return held && Promise.all(held);
  }

  const publish: ServiceContext['publish'] = (topic, payload, qos = 0) =>
    new Promise((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false }, (err?: Error | null) => (err ? reject(err) : resolve()));
    });

  return {
    ...deps,
    publish,
    onDevicePublish(filter, handler, options) {
      handlers.push({ filter: levels(filter), handler, holdAck: options?.holdAck ?? false });
    },
    async publishAsDevice(message) {
      // Aedes calls `published` with no client for this one, so the handlers are called here instead.
      await publish(message.topic, message.payload, message.qos);
      await dispatch(message);
    },
  };
}
