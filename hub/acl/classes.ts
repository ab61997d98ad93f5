// The topic classes (permission patterns) of one device: defaults, the product's custom classes and the system topics (access-rules §3).

export const PRIVILEGE_PUBLISH = 1;
export const PRIVILEGE_SUBSCRIBE = 2;

export interface CustomClass {
  readonly topicName: string; // the part after `${pid}/${dn}/`; a level may be exactly `+`
  readonly privilege: number; // 1 publish, 2 subscribe, 3 both
}

export interface DeviceClasses {
  readonly publish: readonly string[][];
  readonly subscribe: readonly string[][];
}

/** Names of the default user classes; CreateTopicPolicy may not reuse them. */
export const DEFAULT_CLASS_NAMES = ['control', 'event', 'data'] as const;

const DEFAULT_USER: readonly CustomClass[] = [
  { topicName: 'control', privilege: PRIVILEGE_SUBSCRIBE },
  { topicName: 'event', privilege: PRIVILEGE_PUBLISH },
  { topicName: 'data', privilege: PRIVILEGE_PUBLISH | PRIVILEGE_SUBSCRIBE },
];

/** System topics as [prefix levels, extra suffix levels]; `${pid}/${dn}` goes in between. */
const SYSTEM_PUBLISH: readonly (readonly [string, string?])[] = [
  ['$shadow/operation'],
  ['$ota/report'],
  ['$config/operation'],
  ['$config/report'],
  ['$log/operation'],
  ['$rrpc/txd', '+'],
  ['$sys/operation'],
  ['$gateway/operation'],
  ['$resource/up/service'],
  ['$template/operation'],
];
const SYSTEM_SUBSCRIBE: readonly (readonly [string, string?])[] = [
  ['$shadow/operation/result'],
  ['$ota/update'],
  ['$config/operation/result'],
  ['$config/update'],
  ['$log/operation/result'],
  ['$broadcast/rxd'],
  ['$rrpc/rxd', '+'],
  ['$sys/operation/result'],
  ['$gateway/operation/result'],
  ['$resource/down/service'],
  ['$template/operation/result'],
];

/** The first level of every system topic (`$shadow`, `$ota`, …): the `$` services the hub knows. */
export const SYSTEM_SERVICES: ReadonlySet<string> = new Set([...SYSTEM_PUBLISH, ...SYSTEM_SUBSCRIBE].map(([prefix]) => prefix.split('/')[0]!));

function system(list: typeof SYSTEM_PUBLISH, pid: string, dn: string): string[][] {
  return list.map(([prefix, suffix]) => [...prefix.split('/'), pid, dn, ...(suffix ? [suffix] : [])]);
}

/**
 * Builds a device's classes as level arrays. Defaults first, then custom classes in the order given,
 * then system topics (the order of a wildcard subscription's intersections follows it).
 */
export function deviceClasses(pid: string, dn: string, custom: readonly CustomClass[]): DeviceClasses {
  const user = [...DEFAULT_USER, ...custom];
  const userLevels = (c: CustomClass) => [pid, dn, ...c.topicName.split('/')];
  return {
    publish: [
      ...user.filter((c) => c.privilege & PRIVILEGE_PUBLISH).map(userLevels),
      ...system(SYSTEM_PUBLISH, pid, dn),
    ],
    subscribe: [
      ...user.filter((c) => c.privilege & PRIVILEGE_SUBSCRIBE).map(userLevels),
      ...system(SYSTEM_SUBSCRIBE, pid, dn),
    ],
  };
}

/** Classes built per policy list (registry.policies returns one array until the product's policies change): the HTTP gateway judges every request by them. */
const CLASS_CACHE = new WeakMap<readonly CustomClass[], Map<string, DeviceClasses>>();
/** Devices whose classes one policy list keeps; past this the list's cache starts again (bounded memory). */
const CLASS_CACHE_DEVICES = 4096;

/** deviceClasses, built once per device for one policy list (a changed list is a new array, so the cache follows it). */
export function cachedDeviceClasses(pid: string, dn: string, custom: readonly CustomClass[]): DeviceClasses {
  let byDevice = CLASS_CACHE.get(custom);
  if (!byDevice) CLASS_CACHE.set(custom, (byDevice = new Map()));
  const key = pid + '/' + dn;
  let classes = byDevice.get(key);
  if (!classes) {
    if (byDevice.size >= CLASS_CACHE_DEVICES) byDevice.clear();
    classes = deviceClasses(pid, dn, custom);
    byDevice.set(key, classes);
  }
  return classes;
}

/** TopicName of CreateTopicPolicy: levels of [A-Za-z0-9_] separated by `/`, a level may be exactly `+`; 1–64 chars (access-rules §3). */
export function isValidCustomTopicName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && name.split('/').every((l) => l === '+' || /^[A-Za-z0-9_]+$/.test(l));
}

const SYSTEM_PREFIXES: readonly string[][] = [...new Set([...SYSTEM_PUBLISH, ...SYSTEM_SUBSCRIBE].map(([p]) => p))].map((p) => p.split('/'));

/**
 * The device a topic or filter names: `${pid}/${dn}` after a known system prefix, or its first two levels for
 * user topics; undefined when those levels are missing or wildcards. Only gateways need it (GW-012): the
 * device whose classes to judge a sub-device topic by.
 */
export function topicOwner(topic: readonly string[]): { productId: string; deviceName: string } | undefined {
  let at = 0;
  if (topic[0]?.startsWith('$')) {
    const prefix = SYSTEM_PREFIXES.filter((p) => p.every((l, i) => topic[i] === l)).sort((a, b) => b.length - a.length)[0];
    if (!prefix) return undefined;
    at = prefix.length;
  }
  const productId = topic[at];
  const deviceName = topic[at + 1];
  if (!productId || !deviceName || /[+#]/.test(productId) || /[+#]/.test(deviceName)) return undefined;
  return { productId, deviceName };
}
