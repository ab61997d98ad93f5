// Fault switches: each one breaks exactly one behaviour of the hub on purpose, so the suites can prove they notice.

export const FAULTS = {
  'accept-bad-signature': 'MQTT login: the password signature (HMAC) is not checked',
  'ignore-expiry': 'MQTT login: an expiry in the past is accepted',
  'allow-cross-device-publish': "PUBLISH: a device may publish to another device's topic classes",
  'allow-hash-mid-filter': 'SUBSCRIBE/UNSUBSCRIBE: a # that is not the last level is accepted',
  'accept-oversize-topic': 'topic names and filters over 64 bytes are not refused',
  'grant-qos2': 'SUBSCRIBE: QoS 2 requests are granted QoS 2 instead of 1',
  'rules-ignore-where': 'rules: the WHERE condition is not evaluated (every message on the FROM topic passes)',
  'rules-forward-without-token': 'rules: forwarded HTTP requests carry no Signature/Timestamp/Nonce headers even with a token',
  'rules-disabled-still-fires': 'rules: disabled rules still process messages',
  'rules-wrong-topic-match': 'rules: + in a FROM filter matches one or more levels instead of exactly one',
  'shadow-no-version-check': 'shadow: an update with a stale version is applied instead of refused with 5005 (MQTT) / UpdateVersionNotMatch (API)',
  'shadow-no-delta': 'shadow: UpdateDeviceShadow changes desired but pushes no delta to the device',
  'shadow-no-depth-limit': 'shadow: sections nested deeper than 5 levels are accepted',
  'ota-ignore-range': 'OTA: the firmware server ignores Range and always sends the whole file with 200',
  'ota-wrong-md5': 'OTA: update_firmware carries an md5sum that does not match the file',
  'config-ignore-disabled': 'remote config: a get is answered with the configuration (result 0) while config is disabled',
  'config-no-legacy-topics': 'remote config: the older $config/report -> $config/update pair is not served',
  'config-enabled-by-default': 'remote config: a product whose config was never switched on is served as switched on (a get is not answered 1001)',
  'drop-offline-qos1': 'sessions: QoS 1 messages for an offline persistent session are not stored',
  'no-dup-on-redelivery': 'sessions: an unacknowledged QoS 1 message resent after a reconnect has DUP = 0',
  'ignore-inflight-limit': 'QoS 1: no window of 150 unacknowledged messages; every message is sent at once',
  'store-qos0-offline': 'sessions: QoS 0 messages are stored for offline persistent sessions and sent on reconnect',
  'forget-session': 'sessions: a CleanSession = 0 login never finds its stored session (subscriptions and messages lost)',
  'reorder-offline-queue': 'sessions: stored messages are resent newest first after a reconnect',
  'new-id-on-redelivery': 'sessions: an unacknowledged QoS 1 message resent after a reconnect gets a new packet identifier instead of its original one',
  'session-present-always': 'sessions: CONNACK SessionPresent is 1 on every CleanSession = 0 login, even when no session was stored',
  'keep-session-on-clean': 'sessions: a CleanSession = 1 login leaves the stored session in place, so the next CleanSession = 0 login finds it',
  'offline-cap-only-in-api': 'sessions: only PublishMessage enforces the 150 stored messages; device publishes and broadcasts are kept without limit',
  'puback-wrong-id': "QoS 1: the PUBACK to a device PUBLISH carries the next packet identifier instead of the PUBLISH's own",
  'ignore-granted-qos': 'QoS 1: messages published at QoS 1 reach QoS 0 subscriptions at QoS 1 (the granted QoS is not applied)',
  'tls-accept-any-ca': 'TLS: a client certificate is accepted whoever issued it (the chain to a registered CA is not checked)',
  'tls-ignore-expiry': 'TLS: an expired (or not yet valid) client certificate is accepted',
  'tls-ignore-cn': "TLS: a certificate login is accepted when the certificate's CN is not the CONNECT ClientId",
  'psk-accept-wrong-key': 'TLS-PSK: the key is the PSK Base64 text instead of its decoded bytes (a wrong key is accepted, the right one refused)',
  'rrpc-no-timeout': 'RRPC: PublishRRPCMessage waits for the device forever instead of failing with RRPCTimeout',
  'rrpc-wrong-process-id': "RRPC: a device's answer completes its oldest pending call whatever the processID",
  'rrpc-any-device-answer': 'RRPC: an answer completes the pending call with its processID whichever device of the product published it',
  'broadcast-cross-product': 'broadcast: PublishBroadcastMessage also reaches online devices of other products',
  'http-accept-stale-timestamp': 'HTTP gateway: X-TC-Timestamp is not checked against the hub clock',
  'log-unsigned-upload': '/device/reportlog: the X-TC signature is not checked',
  'ntp-stale-time': 'NTP: $sys time replies are one hour behind the hub clock',
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
