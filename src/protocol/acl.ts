/** Per-device topic classes and what a device may publish and subscribe (specs/access-rules.md §3–§5). */
import type { DeviceIdentity } from './credentials.js';
import { MAX_TOPIC_BYTES, MAX_QOS } from './limits.js';
import { byteLength, covers, hasWildcard, intersect, isValidMqttFilter, isValidTopicName, matches } from './topics.js';

export type Privilege = 1 | 2 | 3; // 1 publish, 2 subscribe, 3 both (CreateTopicPolicy)
export interface TopicClass { pattern: string; publish: boolean; subscribe: boolean; kind: 'user' | 'system' }
export interface CustomClass { name: string; privilege: Privilege }

/** Default user topic classes, relative to `${productId}/${deviceName}/` (protocol.md §2.1). */
export const DEFAULT_USER_CLASSES: readonly CustomClass[] = [
  { name: 'control', privilege: 2 },
  { name: 'event', privilege: 1 },
  { name: 'data', privilege: 3 },
];

/** System topics auto-authorized for each device: [publish, subscribe] templates (protocol.md §2.5). */
export const SYSTEM_TOPICS: readonly (readonly [string | null, string])[] = [
  ['$shadow/operation/{p}/{d}', '$shadow/operation/result/{p}/{d}'],
  ['$ota/report/{p}/{d}', '$ota/update/{p}/{d}'],
  ['$config/operation/{p}/{d}', '$config/operation/result/{p}/{d}'],
  ['$config/report/{p}/{d}', '$config/update/{p}/{d}'],
  ['$log/operation/{p}/{d}', '$log/operation/result/{p}/{d}'],
  [null, '$broadcast/rxd/{p}/{d}'],
  ['$rrpc/txd/{p}/{d}/+', '$rrpc/rxd/{p}/{d}/+'],
  ['$sys/operation/{p}/{d}', '$sys/operation/result/{p}/{d}'],
  ['$gateway/operation/{p}/{d}', '$gateway/operation/result/{p}/{d}'],
  ['$resource/up/service/{p}/{d}', '$resource/down/service/{p}/{d}'],
  ['$template/operation/{p}/{d}', '$template/operation/result/{p}/{d}'],
];

const fill = (t: string, d: DeviceIdentity): string => t.replace('{p}', d.productId).replace('{d}', d.deviceName);

/** A CreateTopicPolicy TopicName: levels of [A-Za-z0-9_] or exactly `+`, 1–64 characters. */
export function isValidTopicPolicyName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && name.split('/').every((l) => l === '+' || /^[A-Za-z0-9_]+$/.test(l));
}

/** Every topic class of one device: defaults, the product's custom classes, system topics. */
export function topicClasses(device: DeviceIdentity, custom: readonly CustomClass[] = []): TopicClass[] {
  const user = [...DEFAULT_USER_CLASSES, ...custom].map((c) => ({
    pattern: `${device.productId}/${device.deviceName}/${c.name}`,
    publish: (c.privilege & 1) !== 0,
    subscribe: (c.privilege & 2) !== 0,
    kind: 'user' as const,
  }));
  const system = SYSTEM_TOPICS.flatMap(([pub, sub]) => [
    ...(pub ? [{ pattern: fill(pub, device), publish: true, subscribe: false, kind: 'system' as const }] : []),
    { pattern: fill(sub, device), publish: false, subscribe: true, kind: 'system' as const },
  ]);
  return [...user, ...system];
}

/** May this device publish to `topic`? */
export function mayPublish(classes: readonly TopicClass[], topic: string): boolean {
  if (!isValidTopicName(topic) || byteLength(topic) > MAX_TOPIC_BYTES) return false;
  return classes.some((c) => c.publish && matches(c.pattern, topic));
}

/** May this device receive messages published on `topic` (some subscribe class allows it)? */
export function maySubscribeTopic(classes: readonly TopicClass[], topic: string): boolean {
  return classes.some((c) => c.subscribe && matches(c.pattern, topic));
}

export type SubscribeOutcome = { granted: false } | { granted: true; qos: 0 | 1; subscriptions: string[] };

/** What a SUBSCRIBE for `filter` must do for this device (access-rules §4). */
export function judgeSubscribe(device: DeviceIdentity, classes: readonly TopicClass[], filter: string, requestedQos: number): SubscribeOutcome {
  if (!isValidMqttFilter(filter) || byteLength(filter) > MAX_TOPIC_BYTES) return { granted: false };
  const qos = Math.min(requestedQos, MAX_QOS) as 0 | 1;
  const subscribeClasses = classes.filter((c) => c.subscribe);
  if (!hasWildcard(filter)) {
    return subscribeClasses.some((c) => matches(c.pattern, filter)) ? { granted: true, qos, subscriptions: [filter] } : { granted: false };
  }
  if (filter.startsWith('$')) {
    // Wildcards in system topics only where the permission itself has one (the RRPC request topic).
    return subscribeClasses.some((c) => c.kind === 'system' && c.pattern === filter) ? { granted: true, qos, subscriptions: [filter] } : { granted: false };
  }
  const levels = filter.split('/');
  if (levels[0] !== device.productId || levels[1] !== device.deviceName) return { granted: false };
  const subscriptions = [...new Set(subscribeClasses.filter((c) => c.kind === 'user').map((c) => intersect(filter, c.pattern)).filter((s): s is string => s !== null))];
  return { granted: true, qos, subscriptions };
}

/**
 * Subscriptions left after an UNSUBSCRIBE of `filter` (access-rules §5): a wildcard filter that a
 * SUBSCRIBE would refuse as malformed or outside the device's namespace removes nothing.
 */
export function afterUnsubscribe(device: DeviceIdentity, classes: readonly TopicClass[], subscriptions: readonly string[], filter: string): string[] {
  if (!hasWildcard(filter)) return subscriptions.filter((s) => s !== filter);
  if (!judgeSubscribe(device, classes, filter, 0).granted) return [...subscriptions];
  return subscriptions.filter((s) => !covers(filter, s));
}

/** Would a message on `topic` reach a device holding these subscriptions? */
export function delivers(subscriptions: readonly string[], topic: string): boolean {
  return subscriptions.some((s) => matches(s, topic));
}
