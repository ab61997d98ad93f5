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
  'shadow-delta-by-reference': 'shadow: the delta compares desired and reported with === (equal arrays and objects count as different)',
  'shadow-delta-key-order': 'shadow: the delta compares values as JSON text (equal objects whose keys come in another order count as different)',
  'shadow-shallow-merge': 'shadow: an object in an update replaces the stored object whole (updating one nested key drops its siblings)',
  'shadow-nested-null-kept': 'shadow: a null below the top level is stored as null instead of deleting that key',
  'ota-ignore-range': 'OTA: the firmware server ignores Range and always sends the whole file with 200',
  'ota-wrong-md5': 'OTA: update_firmware carries an md5sum that does not match the file',
  'ota-any-progress-state': 'OTA: a report_progress with a state other than downloading/burning/done/fail is recorded as downloading',
  'ota-no-timeout': "OTA: an upgrade that outlasts its task's TimeoutInterval is never failed",
  'ota-url-with-port': "OTA: firmware URLs name the cloud API's address with its port instead of the firmware base URL",
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
  'tls-server-names-missing': "TLS: the server certificate names only the listen host, 127.0.0.1, localhost and ::1 (not the SDKs' Tencent device domains nor --tls-hostname names)",
  'https-endpoint-missing-route': 'HTTPS: the HTTPS port serves only the /device/ gateway paths; firmware downloads and the other routes of the plain port get 404',
  'rrpc-no-timeout': 'RRPC: PublishRRPCMessage waits for the device forever instead of failing with RRPCTimeout',
  'rrpc-wrong-process-id': "RRPC: a device's answer completes its oldest pending call whatever the processID",
  'rrpc-any-device-answer': 'RRPC: an answer completes the pending call with its processID whichever device of the product published it',
  'broadcast-cross-product': 'broadcast: PublishBroadcastMessage also reaches online devices of other products',
  'http-accept-stale-timestamp': 'HTTP gateway: X-TC-Timestamp is not checked against the hub clock',
  'log-unsigned-upload': '/device/reportlog: the X-TC signature is not checked',
  'ntp-stale-time': 'NTP: $sys time replies are one hour behind the hub clock',
  'dynreg-wrong-iv': 'dynamic registration: the answer is encrypted with an IV of 16 zero bytes instead of 16 ASCII "0"',
  'dynreg-pkcs7-padding': 'dynamic registration: the answer is PKCS#7-padded instead of zero-padded',
  'dynreg-ignore-register-type': 'dynamic registration: RegisterType is ignored (registration works with 0, and 1 creates unknown names)',
  'dynreg-wrong-psk': 'dynamic registration: the psk in the answer is not the one the device logs in with',
  'dynreg-legacy-raw-signature': '/register/dev: the signature is checked as Base64 of the raw HMAC-SHA1, not of its hex text',
  'dynreg-secret-prefix-key': '/device/register: the signature is keyed with the first 16 characters of the ProductSecret (the AES key), not all of it',
  'dynreg-sha256-body-only': '/device/register: hmacsha1 signatures hash the body with SHA-256 as the doc says, so the C SDK (SHA-1) is refused',
  'dynreg-any-device-name': '/device/register: DeviceName is not checked against [a-zA-Z0-9:_-]{1,48}',
  'legacy-log-unsigned': '/cgi-bin/report-log: the signature in the body header is not checked',
  'legacy-log-nul-padding': '/cgi-bin/report-log: the header fields are read as NUL-padded (protocol.md) so the SDKs\' "#" padding names no device',
  'log-level-not-described': 'DescribeDevice: LogLevel is always 0 whatever level the device is answered',
  'acl-prefix-match': "ACL: a topic or filter counts as the device's own when it starts with its `${pid}/${dn}` as a string, so dev may use dev1's and dev_a's topics",
  'acl-clientid-prefix-match': "ACL: a topic counts as the device's own when its `${pid}${dn}` is a prefix of the device's ClientId, so dev1 may use dev's topics",
  'forge-downlink-allowed': 'PUBLISH: a device may publish its own subscribe-only system topics ($shadow/operation/result, $ota/update, $broadcast/rxd, ...)',
  'unknown-dollar-topic-allowed': "ACL: a $ topic of no known service (e.g. $foo/${pid}/${dn}) may be published and subscribed when it ends with the device's own ${pid}/${dn}",
  'class-plus-multi-level': 'ACL: a + level in a custom topic class matches one or more levels instead of exactly one',
  'wildcard-plus-multi-level': 'SUBSCRIBE: a + in a wildcard filter matches one or more levels instead of exactly one',
  'wildcard-hash-no-parent': 'SUBSCRIBE: a # in a wildcard filter does not match its parent level (${pid}/${dn}/a/# misses ${pid}/${dn}/a)',
  'wildcard-hash-system-topics': "SUBSCRIBE: ${pid}/${dn}/# also subscribes the device's $ system topics",
  'unsubscribe-wildcard-overlap': 'UNSUBSCRIBE: a wildcard filter removes every subscription it overlaps, not only those it covers',
  'unsubscribe-removes-all': 'UNSUBSCRIBE: any valid wildcard filter clears every user-topic subscription',
  'rrpc-concrete-refused': 'SUBSCRIBE: a concrete RRPC request topic $rrpc/rxd/${pid}/${dn}/<id> is refused; only the + filter is granted',
  'puback-forbidden-publish': 'PUBLISH: a forbidden QoS 1 PUBLISH is acknowledged with PUBACK before it is dropped',
  'topic-policy-cross-product': "ACL: custom topic classes are looked up without their product, so every product's classes apply to every device",
  'api-scope-date-unchecked': 'cloud API: the TC3 credential scope date is trusted instead of being the UTC date of X-TC-Timestamp',
  'api-sign-host-with-port': 'cloud API: a TC3 signature must cover the Host header as sent (with its port); the SDK form without the port is refused',
  'api-no-auth-accepted': 'cloud API: a request without an Authorization header is served as if signed',
  'api-errors-http-400': 'cloud API: errors are answered with HTTP 400 instead of 200',
  'api-accept-any-version': 'cloud API: X-TC-Version (v1: Version) is not checked; any version is served as 2018-06-14',
  'api-param-names-any-case': 'cloud API: parameter names are matched case-insensitively (ProductId is taken for ProductID)',
  'api-v1-ignore-signature-method': 'cloud API: signature v1 is always checked with HmacSHA1, whatever SignatureMethod says',
  'api-paging-ignores-offset': 'cloud API: DescribeProducts and DescribeDevices ignore Offset and always answer the first page',
  'api-online-never-cleared': 'cloud API: DescribeDevice reports Online 1 for any device that ever logged in',
  'api-batch-enable-first-only': 'cloud API: UpdateDevicesEnableState switches only the first device it names',
  'api-delete-product-with-devices': 'cloud API: DeleteProduct deletes a product that still has devices',
  'api-encryption-type-ignored': 'cloud API: CreateDevice gives key (PSK) devices whatever the product\'s EncryptionType',
  'api-defined-psk-ignored': 'cloud API: CreateDevice ignores DefinedPsk and generates a random PSK',
  'api-unknown-product-empty-list': 'cloud API: DescribeDevices of an unknown product answers an empty list instead of ResourceNotFound.ProductNotExist',
  'api-quota-off-by-one': 'cloud API: the product quota lets one product more than the quota in',
  'api-topic-policy-limit-off-by-one': 'cloud API: CreateTopicPolicy accepts a 101st topic class',
  'api-forbid-not-lifted': 'cloud API: SetProductsForbiddenStatus with Status 0 answers success but the products stay forbidden',
  'api-unimplemented-action-succeeds': 'cloud API: an action the hub does not serve is answered with an empty success',
  'connid-unchecked': 'MQTT login: the username connid is not checked (empty, long or non-alphanumeric connids are accepted)',
  'accept-psk-text-as-key': "MQTT login: a signature keyed with the PSK's Base64 text (not its decoded bytes) is also accepted",
  'accept-expiry-over-64-bits': 'MQTT login: an expiry beyond a signed 64-bit integer is read as a far-future time instead of refused',
  'uniform-refusal-code': 'MQTT login: every refused login is answered with CONNACK 0x04, whatever the reason',
  'reenabled-device-refused': 'MQTT login: a device once refused as disabled stays refused after it is enabled again',
  'keepalive-zero-times-out': 'MQTT: KeepAlive 0 is treated as 1 s, so a silent connection is closed after 1.5 s',
  'ws-accept-text-frames': 'WebSocket: text frames are read as MQTT bytes instead of closing the connection',
  'ws-frame-per-packet': 'WebSocket: each frame is read as exactly one MQTT packet (a packet split over frames, or a second packet in a frame, is lost)',
  'ws-keepalive-ignored': 'WebSocket: the KeepAlive timeout is not enforced (a silent connection stays open)',
  'ws-no-single-session': 'WebSocket: a login over WebSocket does not close the same device on TCP or TLS, and the other way round',
  'count-topic-chars-not-bytes': 'topic names and filters: the 64 limit counts characters, not UTF-8 bytes',
  'close-on-oversize-publish': 'a PUBLISH packet over 16 KiB closes the connection instead of being dropped',
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
