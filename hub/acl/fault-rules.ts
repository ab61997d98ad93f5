// Deliberately wrong readings of the topic rules, each active only under its fault switch (hub/faults.ts).
//
// Each models a bug an implementer could plausibly write — ownership checked by string prefix, `+` as a
// regex `.+`, `#` as "/.+" — so the suites can prove they notice it. Without faults every function here
// is the identity or false, and the correct rules in topics.ts/subscribe.ts/publish.ts decide alone.

import type { Faults } from '../faults.js';
import type { Levels } from './topics.js';

export interface Owner {
  readonly productId: string;
  readonly deviceName: string;
}

/**
 * Whether a topic's deviceName level names the device. Correct: equal. 'acl-prefix-match': the topic
 * starts with the device's own `${pid}/${dn}` as a string (dev1 is "dev"'s). 'acl-clientid-prefix-match':
 * the topic's `${pid}${dn}` is a prefix of the device's ClientId (dev is "dev1"'s).
 */
export function namesDevice(level: string, deviceName: string, faults: Faults): boolean {
  if (level === deviceName) return true;
  if (faults.has('acl-prefix-match') && level.startsWith(deviceName)) return true;
  return faults.has('acl-clientid-prefix-match') && level !== '' && deviceName.startsWith(level);
}

/** Index of the deviceName level in one of the owner's classes (the level after the productId), or -1. */
function ownerIndex(cls: Levels, owner: Owner): number {
  for (let i = 1; i < cls.length; i++) if (cls[i - 1] === owner.productId && cls[i] === owner.deviceName) return i;
  return -1;
}

/**
 * The class as a prefix-matching ownership check sees it for `target`: when the target's deviceName level
 * "names the device" only by prefix, the class takes the target's deviceName, so the rest of the class is
 * still compared level by level (`P/dev1/data` passes the class `P/dev/data`). Unchanged without those faults.
 */
export function ownerView(cls: Levels, target: Levels, owner: Owner | undefined, faults: Faults): Levels {
  if (!owner || !(faults.has('acl-prefix-match') || faults.has('acl-clientid-prefix-match'))) return cls;
  const i = ownerIndex(cls, owner);
  if (i < 0 || target.length <= i || target[i - 1] !== owner.productId || target[i] === owner.deviceName) return cls;
  if (!namesDevice(target[i]!, owner.deviceName, faults)) return cls;
  const view = [...cls];
  view[i] = target[i]!;
  return view;
}

/** Matching where a pattern `+` stands for one or more levels and `#` for any rest (the regex `.+` reading). */
export function matchesLoosely(topic: Levels, pattern: Levels, ti = 0, pi = 0): boolean {
  if (pi === pattern.length) return ti === topic.length;
  const p = pattern[pi]!;
  if (p === '#') return true;
  if (p === '+') {
    for (let k = 1; ti + k <= topic.length; k++) if (matchesLoosely(topic, pattern, ti + k, pi + 1)) return true;
    return false;
  }
  return ti < topic.length && topic[ti] === p && matchesLoosely(topic, pattern, ti + 1, pi + 1);
}

/** 'unknown-dollar-topic-allowed': a `$` topic of no known service that ends with the device's own `${pid}/${dn}`. */
export function unknownDollarTopicAllowed(topic: Levels, owner: Owner | undefined, services: ReadonlySet<string>, faults: Faults): boolean {
  if (!owner || !faults.has('unknown-dollar-topic-allowed')) return false;
  const n = topic.length;
  return n >= 3 && topic[0]!.startsWith('$') && !services.has(topic[0]!) && topic[n - 2] === owner.productId && topic[n - 1] === owner.deviceName;
}
