// A gateway acting for its online sub-devices: which device's classes judge a topic, and revoking a sub-device's subscriptions.
//
// A gateway may publish and subscribe a bound, online sub-device's topics exactly as the sub-device could
// (GW-012): the topic's `${pid}/${dn}` picks the sub-device, and its own classes (with its product's custom
// classes) decide. When the sub-device goes offline or is unbound the gateway's subscriptions that only the
// sub-device's classes allowed are removed, so they stop delivering (GW-014).

import type { Aedes, Client } from 'aedes';
import { deviceKey, type DeviceSession, type Sessions } from '../auth/sessions.js';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';
import { topicOwner } from './classes.js';
import { effectiveClasses } from './effective.js';
import { isWithinClasses, type SubscribeContext } from './subscribe.js';
import { levels } from './topics.js';

/** The session whose classes judge `topic` for this connection: a sub-device it has put online when the topic names one, else its own. */
export function actingSession(session: DeviceSession, topic: string): DeviceSession {
  if (session.proxies.size === 0) return session;
  const owner = topicOwner(levels(topic));
  if (!owner || (owner.productId === session.productId && owner.deviceName === session.deviceName)) return session;
  return session.proxies.get(deviceKey(owner.productId, owner.deviceName)) ?? session;
}

export function contextOf(sessions: Sessions, registry: Registry, faults: Faults, session: DeviceSession): SubscribeContext {
  return {
    productId: session.productId,
    deviceName: session.deviceName,
    subscribeClasses: effectiveClasses(sessions, registry, faults, session).subscribe,
    faults,
  };
}

interface Internals {
  subscriptions?: Record<string, unknown>;
}
interface BrokerInternals {
  persistence?: { removeSubscriptions(client: Client, topics: string[]): Promise<unknown> };
}

/**
 * Removes the gateway's subscriptions that lie in the sub-device's subscribe classes and not in its own
 * (GW-014), from the live client and from a stored session. Resolves once they are gone.
 */
export async function revokeSubscriptions(broker: Aedes, sessions: Sessions, registry: Registry, faults: Faults, gateway: Client, sub: DeviceSession): Promise<void> {
  const own = sessions.get(gateway);
  if (!own || gateway.closed) return;
  const subCtx = contextOf(sessions, registry, faults, sub);
  const ownCtx = contextOf(sessions, registry, faults, own);
  const current = Object.keys((gateway as unknown as Internals).subscriptions ?? {});
  const topics = current.filter((s) => isWithinClasses(subCtx, s) && !isWithinClasses(ownCtx, s));
  if (topics.length === 0) return;
  await new Promise<void>((resolve, reject) => gateway.unsubscribe(topics as never, (err) => (err ? reject(err) : resolve())));
  const persistence = (broker as unknown as BrokerInternals).persistence;
  if (!gateway.clean && persistence) await persistence.removeSubscriptions(gateway, topics);
}
