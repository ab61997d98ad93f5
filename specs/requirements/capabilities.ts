/** Every capability a target may offer, with what it means; a requirement applies to a target iff the target offers its capability. */

export const CAPABILITIES = {
  // MQTT transport and login
  'mqtt-tcp': 'MQTT 3.1/3.1.1 over plain TCP with the packet-level behaviour every broker shares (CONNACK, SUBACK, PUBACK, PINGRESP, ordering)',
  'plain-login': 'login without signatures: anonymous or a plain username/password the target descriptor names (plain brokers only)',
  'signed-login': 'Tencent signed login: ClientId = productId+deviceName, 4-field username, HMAC password over the username with the device PSK',
  'single-session': 'at most one connection per device: a new login closes the older connection',
  'keepalive-limits': 'KeepAlive limited to 0–900 s and enforced at 1.5 × KeepAlive',
  'tls': 'MQTT over TLS (port 8883 on the real service) with server authentication',
  'tls-psk': 'MQTT over TLS-PSK: identity = ClientId, key = the Base64-decoded device PSK (the C SDK\'s key mode)',
  'cert-auth': 'certificate devices: mutual TLS with a device certificate, password ignored; certificate material from the cloud API',
  'websocket': 'MQTT over WebSocket (ws://, path /mqtt) for key devices',
  'wss': 'MQTT over secure WebSocket (wss://) for certificate devices',
  'device-domains': "server certificates (MQTT over TLS, secure WebSocket, HTTPS) that name the Tencent device domains the official SDKs connect to (${productId}.iotcloud.tencentdevices.com, the gateway hosts...), so a client that checks the server name accepts the hub reached through a hosts file",
  // topics and sessions
  'topic-acl': 'per-device topic permissions: default user topic classes and auto-authorized $ system topics',
  'custom-topic-policies': 'custom topic classes managed with CreateTopicPolicy / UpdateTopicPolicy',
  'tencent-wildcards': 'IoT Hub wildcard rules: wildcards only after the deviceName level, none in system topics, matched against permitted topics',
  'mqtt-wildcards': 'MQTT 3.1.1 wildcard semantics with no namespace restriction: + at any level, # matching the parent, $ topics hidden from leading wildcards (plain brokers only)',
  'topic-limits': 'topic names and filters ≤ 64 bytes, PUBLISH packets ≤ 16 KB, subscriptions effective within 5 s',
  'qos-max-1': 'QoS 2 is not supported: never granted, a QoS 2 PUBLISH closes the connection',
  'mqtt-subset': 'the MQTT 3.1.1 subset IoT Hub implements: no will messages, no retained messages, one filter per SUBSCRIBE',
  'persistent-sessions': 'CleanSession = 0: SessionPresent, subscriptions and QoS 1 messages kept across connections',
  'offline-queue': 'IoT Hub offline-message rules: at most 150 stored messages per device, redelivered at 500 ms intervals',
  'inflight-window': 'at most 150 QoS 1 messages awaiting the device\'s PUBACK at a time',
  'rate-limits': 'documented device rate limits: 1 CONNECT per 5 s per device, 30/50 messages per second up/down',
  'api-rate-limits': 'per-action cloud API request rates answered with RequestLimitExceeded (the documented rates, or those the target declares in limits.apiRates)',
  'resource-bounds': 'bounds on what one client can make the hub read or hold: packet sizes judged from the fixed header, subscriptions per device, connections per source address, a CONNECT deadline (the numbers are the target\'s declared limits)',
  'test-clock': 'the target\'s clock can be advanced by the harness, for limits measured in hours or days (24 h session and message expiry)',
  // device services
  'shadow': 'device shadow over $shadow topics plus UpdateDeviceShadow / DescribeDeviceShadow',
  'ota': 'firmware upgrade over $ota topics, the firmware cloud actions and a firmware download server',
  'firmware-default-port': 'the firmware download server answers on its URL scheme\'s default port (80 for http, 443 for https), so firmware URLs name no port, as the C SDK\'s HTTP client requires',
  'remote-config': 'remote configuration over $config topics, with a way for the harness to set and push a product\'s configuration',
  'device-log': 'log-level negotiation over $log topics and log upload through POST /device/reportlog',
  'broadcast': 'PublishBroadcastMessage delivered on $broadcast/rxd topics',
  'rrpc': 'synchronous cloud-to-device calls: PublishRRPCMessage over $rrpc topics',
  'ntp': 'time service over $sys/operation topics',
  'gateway': 'gateway products (ProductType 5) that bind sub-devices (BindDevices, $gateway/operation) and act for them on MQTT while they are online',
  // CoAP
  'coap': 'CoAP over UDP as the C SDK speaks it: auth for a token at ${productId}/${deviceName}/txauth9w0BAQsFA, confirmable POSTs to topics with the token in option 61, the MQTT topic ACL, 1 KB payloads',
  'coap-dtls': 'CoAP over DTLS 1.2 with a pre-shared key (port 5684 on the real service): identity = ClientId, key = the Base64-decoded device PSK, the C SDK\'s TLS_PSK_WITH_AES_128_CBC_SHA / _256_CBC_SHA',
  // HTTP and cloud side
  'http-gateway': 'the HTTP device gateway: POST /device/publish signed with X-TC-* headers',
  'https-endpoints': 'the device HTTP endpoints (gateway publish, log upload, registration, firmware downloads) also over HTTPS (443 on the real service), the same as over HTTP',
  'dynamic-registration': 'dynamic device registration: POST /device/register and UpdateProductDynamicRegister',
  'legacy-http': 'legacy C SDK (≤ 3.2.x) HTTP endpoints: POST /register/dev and POST /cgi-bin/report-log',
  'cloud-api': 'the iotcloud 2018-06-14 management API signed with TC3-HMAC-SHA256: products, devices, enable state',
  'cloud-api-v1': 'cloud API requests signed with signature v1 (HmacSHA1 / HmacSHA256 over GET or form POST)',
  'cloud-publish': 'PublishMessage: the cloud publishes to a device topic',
  'rules-engine': 'rules engine: CreateTopicRule and friends, the SQL dialect, republish and HTTP forward actions, device state events',
} as const satisfies Record<string, string>;

export type Capability = keyof typeof CAPABILITIES;

/** Capabilities no target can offer together: their requirements contradict each other. */
export const EXCLUSIVE_CAPABILITIES: readonly (readonly [Capability, Capability])[] = [
  ['plain-login', 'signed-login'],
  ['mqtt-wildcards', 'tencent-wildcards'],
];
