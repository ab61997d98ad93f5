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
  const handlers: { filter: string[]; handler: (m: DeviceMessage) => void }[] = [];

  // Aedes emits 'publish' after a message is routed; refused publishes never get here (acl/publish.ts swallows them).
  broker.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client || handlers.length === 0) return;
    const own = sessions.get(client);
    if (!own) return;
    // GW-016, GW-017: a gateway's publish on a sub-device's topic is the sub-device's (the fault keeps the gateway's identity)
    const session = deps.faults.has('gateway-subdevice-as-gateway') ? own : actingSession(own, packet.topic);
    const message: DeviceMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos === 1 ? 1 : 0,
      productId: session.productId,
      deviceName: session.deviceName,
      ...(session !== own ? { via: { productId: own.productId, deviceName: own.deviceName } } : {}),
    };
    dispatch(message);
  });

  function dispatch(message: DeviceMessage): void {
    const topic = levels(message.topic);
    for (const h of handlers) {
      if (!covers(h.filter, topic)) continue;
      try {
        h.handler(message);
      } catch (err) {
        log(`service: handler for ${h.filter.join('/')} failed on ${message.topic}: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }

  const publish: ServiceContext['publish'] = (topic, payload, qos = 0) =>
    new Promise((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false }, (err?: Error | null) => (err ? reject(err) : resolve()));
    });

  return {
    ...deps,
    publish,
    onDevicePublish(filter, handler) {
      handlers.push({ filter: levels(filter), handler });
    },
    async publishAsDevice(message) {
      // Aedes emits 'publish' with no client for this one, so the handlers are called here instead.
      await publish(message.topic, message.payload, message.qos);
      dispatch(message);
    },
  };
}
