// The classes the topic policy applies to a logged-in device: its session's classes, as bent by the class-level fault switches.

import type { DeviceSession, Sessions } from '../auth/sessions.js';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';
import { deviceClasses, type CustomClass, type DeviceClasses } from './classes.js';

/** Products scanned at most under 'topic-policy-cross-product' (the fault only has to reach the suites' products). */
const CROSS_PRODUCT_SCAN = 10_000;

export function effectiveClasses(sessions: Sessions, registry: Registry, faults: Faults, session: DeviceSession): DeviceClasses {
  let classes = sessions.classes(session);
  if (faults.has('topic-policy-cross-product')) {
    // the fault: custom classes are looked up without their product, so every product's classes apply (ACL-013)
    const all = new Map<string, CustomClass>();
    for (const p of registry.listProducts(0, CROSS_PRODUCT_SCAN)) for (const c of registry.policies(p.productId)) all.set(c.topicName, c);
    classes = deviceClasses(session.productId, session.deviceName, [...all.values()]);
  }
  if (faults.has('forge-downlink-allowed')) {
    // the fault: the direction of system topics is not checked, so subscribe-only ones are publishable (ACL-011)
    classes = { ...classes, publish: [...classes.publish, ...classes.subscribe.filter((c) => c[0]!.startsWith('$'))] };
  }
  return classes;
}
