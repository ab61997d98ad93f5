// Fault switches: each one breaks exactly one behaviour of the hub on purpose, so the suites can prove they notice.

export const FAULTS = {
  'accept-bad-signature': 'MQTT login: the password signature (HMAC) is not checked',
  'ignore-expiry': 'MQTT login: an expiry in the past is accepted',
  'allow-cross-device-publish': "PUBLISH: a device may publish to another device's topic classes",
  'allow-hash-mid-filter': 'SUBSCRIBE/UNSUBSCRIBE: a # that is not the last level is accepted',
  'accept-oversize-topic': 'topic names and filters over 64 bytes are not refused',
  'grant-qos2': 'SUBSCRIBE: QoS 2 requests are granted QoS 2 instead of 1',
} as const satisfies Record<string, string>;

export type FaultName = keyof typeof FAULTS;

/** The set of active faults, checked with `faults.has('grant-qos2')`. */
export type Faults = ReadonlySet<FaultName>;

export function isFaultName(name: string): name is FaultName {
  return Object.prototype.hasOwnProperty.call(FAULTS, name);
}

/** Validates fault names; an unknown name throws an Error naming every valid one. */
export function parseFaults(names: readonly string[] = []): Faults {
  const set = new Set<FaultName>();
  for (const name of names) {
    if (!isFaultName(name)) {
      throw new Error(`unknown fault "${name}"; valid faults: ${Object.keys(FAULTS).join(', ')}`);
    }
    set.add(name);
  }
  return set;
}
