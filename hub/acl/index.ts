// Assembles the topic policy — publish, subscribe, forward and the packet gate — into Aedes hooks.

import type { Aedes, AedesOptions, Client } from 'aedes';
import type { Sessions } from '../auth/sessions.js';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';
import { createGate, subscribeContext, type QueuedChanges } from './gate.js';
import { createPublishPolicy } from './publish.js';
import { isWithinClasses } from './subscribe.js';

export interface AclDeps {
  registry: Registry;
  sessions: Sessions;
  faults: Faults;
  log: (line: string) => void;
  /** Subscriptions one device may hold (LIM-013). */
  maxSubscriptions: number;
}

export interface Acl {
  hooks: Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>;
  /** Called once the broker exists: wraps broker.publish and returns the per-connection gate. */
  install(broker: Aedes): (client: Client) => void;
}

export function createAcl(deps: AclDeps): Acl {
  const queued: QueuedChanges = new WeakMap();
  const publish = createPublishPolicy({ ...deps, queued });
  return {
    hooks: {
      authorizePublish: publish.authorizePublish,
      authorizeForward: publish.authorizeForward,
      // Only the gate's own subscriptions (already F ∩ C) and restored sessions reach this hook: it grants
      // a subscription that still lies inside one of the device's subscribe classes.
      authorizeSubscribe(client, sub, callback) {
        const ctx = subscribeContext(deps.sessions, deps.registry, deps.faults, client, sub.topic);
        callback(null, ctx && isWithinClasses(ctx, sub.topic) ? sub : null);
      },
    },
    install(broker) {
      publish.install(broker);
      return createGate({ broker, queued, sessions: deps.sessions, registry: deps.registry, publish, faults: deps.faults, log: deps.log, maxSubscriptions: deps.maxSubscriptions });
    },
  };
}
