// The names the hub's server certificate carries: its listen host and loopback names, the host names the official device
// SDKs connect to (so a client that checks the server name accepts the hub once given the hub's CA), and --tls-hostname names.

/** A host name an official device SDK connects to; `${productId}.` in front for the per-product MQTT hosts. */
export interface DeviceHost {
  /** The name as it goes into the certificate: a wildcard for per-product hosts. */
  certName: string;
  /** The name a hosts file maps (hosts files have no wildcards): `{productId}` is replaced by the product's id. */
  hostsName: string;
  /** Where the name comes from. */
  source: string;
}

/**
 * Every host name the official SDKs use, with where each is written down (protocol.md §1.2, §6, §8; compat.md):
 * C SDK 3.x `sdk_src/internal_inc/qcloud_iot_common.h` (*_DOMAIN, *_URL), the Python SDK `hub/hub.py`,
 * the Java SDK `TXMqttConstants`, `TXHTTPPulish`, `TXMqttDynreg`, `TXMqttLogImpl`.
 */
export const TENCENT_DEVICE_HOSTS: readonly DeviceHost[] = [
  // MQTT (1883, 8883) and CoAP: C QCLOUD_IOT_MQTT_DIRECT_DOMAIN, Python `product_id + ".iotcloud.tencentdevices.com"`, Java QCLOUD_IOT_MQTT_DIRECT_DOMAIN
  { certName: '*.iotcloud.tencentdevices.com', hostsName: '{productId}.iotcloud.tencentdevices.com', source: 'MQTT, mainland China (C, Python, Java)' },
  { certName: '*.us-east.iotcloud.tencentdevices.com', hostsName: '{productId}.us-east.iotcloud.tencentdevices.com', source: 'MQTT, US East (C QCLOUD_IOT_MQTT_US_EAST_DOMAIN)' },
  { certName: '*.europe.iothub.tencentdevices.com', hostsName: '{productId}.europe.iothub.tencentdevices.com', source: 'MQTT and WebSocket, Europe (C QCLOUD_IOT_MQTT_EUROPE_DOMAIN)' },
  { certName: '*.ap-bangkok.iothub.tencentdevices.com', hostsName: '{productId}.ap-bangkok.iothub.tencentdevices.com', source: 'MQTT and WebSocket, Bangkok (C QCLOUD_IOT_MQTT_AP_BANGKOK_DOMAIN)' },
  // MQTT over WebSocket (80, 443): C QCLOUD_IOT_WEBSOCKET_MQTT_*_DOMAIN, Python `product_id + ".ap-guangzhou.iothub.tencentdevices.com"`, Java TXWebSocketManager
  { certName: '*.ap-guangzhou.iothub.tencentdevices.com', hostsName: '{productId}.ap-guangzhou.iothub.tencentdevices.com', source: 'MQTT over WebSocket, mainland China (C, Python, Java)' },
  { certName: '*.us-east.iothub.tencentdevices.com', hostsName: '{productId}.us-east.iothub.tencentdevices.com', source: 'MQTT over WebSocket, US East (C QCLOUD_IOT_WEBSOCKET_MQTT_US_EAST_DOMAIN)' },
  // HTTP device gateway (80, 443): /device/publish, /device/reportlog, /device/register; C DYN_REG_SERVER_*_URL and
  // LOG_UPLOAD_SERVER_*_URL, Python dynregDevice, Java TXHTTPPulish / TXMqttDynreg / TXMqttLogImpl
  { certName: 'ap-guangzhou.gateway.tencentdevices.com', hostsName: 'ap-guangzhou.gateway.tencentdevices.com', source: 'HTTP gateway, registration and log upload, mainland China (C, Python, Java)' },
  { certName: 'us-east.gateway.tencentdevices.com', hostsName: 'us-east.gateway.tencentdevices.com', source: 'HTTP gateway, US East (C)' },
  { certName: 'europe.gateway.tencentdevices.com', hostsName: 'europe.gateway.tencentdevices.com', source: 'HTTP gateway, Europe (C)' },
  { certName: 'ap-bangkok.gateway.tencentdevices.com', hostsName: 'ap-bangkok.gateway.tencentdevices.com', source: 'HTTP gateway, Bangkok (C)' },
  // Older C SDKs (3.0/3.1): dynamic registration at gateway.tencentdevices.com (/register/dev), logs at devicelog.iot.cloud.tencent.com
  { certName: 'gateway.tencentdevices.com', hostsName: 'gateway.tencentdevices.com', source: 'dynamic registration, older C SDKs (DYN_REG_SERVER_URL)' },
  { certName: 'devicelog.iot.cloud.tencent.com', hostsName: 'devicelog.iot.cloud.tencent.com', source: 'log upload over HTTP, older C SDKs (LOG_UPLOAD_SERVER_URL)' },
  { certName: 'us-east.devicelog.iot.cloud.tencent.com', hostsName: 'us-east.devicelog.iot.cloud.tencent.com', source: 'log upload over HTTP, older C SDKs, US East' },
  // The shared MQTT host of early devices (protocol.md §1.2, S-FAQ)
  { certName: 'iotcloud-mqtt.gz.tencentdevices.com', hostsName: 'iotcloud-mqtt.gz.tencentdevices.com', source: 'shared MQTT host of early devices' },
];

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 or IPv6 address (the certificate carries it as an IP subjectAltName). */
export function isIpAddress(name: string): boolean {
  return IPV4.test(name) || (name.includes(':') && /^[0-9a-f:.]+$/i.test(name));
}

/**
 * Checks a name given with --tls-hostname: a DNS name (letters, digits, hyphens, dots; at most 253 characters), a
 * wildcard `*.` in front of one with at least two labels, or an IP address. Returns it lower-cased; throws naming the problem.
 */
export function checkServerName(name: string): string {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  if (isIpAddress(n)) return n;
  const labels = (n.startsWith('*.') ? n.slice(2) : n).split('.');
  if (!n || n.length > 253 || !labels.every((l) => LABEL.test(l)) || (n.startsWith('*.') && labels.length < 2)) {
    throw new Error(`${JSON.stringify(name)} is not a host name for the server certificate; give a DNS name (e.g. hub.example.com), a wildcard (*.example.com) or an IP address`);
  }
  return n;
}

const PRODUCT_ID = /^[A-Z0-9]{10}$/;

/** Checks a product id for the hosts-file lines: ten upper-case letters or digits (protocol.md §1.3). */
export function checkProductId(productId: string): string {
  if (!PRODUCT_ID.test(productId)) throw new Error(`${JSON.stringify(productId)} is not a product id; expected ten upper-case letters or digits, e.g. ABCDEFGH12`);
  return productId;
}

/**
 * The names of the server certificate: the listen host (unless a wildcard address) and the loopback names, then, unless
 * `tencentNames` is false, every official SDK host, then `extra` (--tls-hostname); without duplicates, in that order.
 */
export function serverNames(listenHost: string, extra: readonly string[], tencentNames = true): string[] {
  const names = [listenHost, '127.0.0.1', 'localhost', '::1'].filter((h) => h !== '0.0.0.0' && h !== '::');
  if (tencentNames) names.push(...TENCENT_DEVICE_HOSTS.map((h) => h.certName));
  names.push(...extra.map(checkServerName));
  return [...new Set(names)];
}

/** The lines of a hosts file (/etc/hosts) that send the official SDKs' connections for these products to `address`. */
export function hostsFileLines(productIds: readonly string[], address = '127.0.0.1'): string[] {
  if (productIds.length === 0) throw new Error('give at least one product id');
  productIds.forEach(checkProductId);
  if (!isIpAddress(address)) throw new Error(`${JSON.stringify(address)} is not an IP address for the hosts file`);
  const perProduct = TENCENT_DEVICE_HOSTS.filter((h) => h.hostsName.includes('{productId}'));
  const shared = TENCENT_DEVICE_HOSTS.filter((h) => !h.hostsName.includes('{productId}'));
  const rows = [
    ...productIds.flatMap((p) => perProduct.map((h) => [h.hostsName.replace('{productId}', p), h.source] as const)),
    ...shared.map((h) => [h.hostsName, h.source] as const),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    `# hubcheck reference hub: the hosts the official device SDKs connect to, for product${productIds.length > 1 ? 's' : ''} ${productIds.join(', ')}`,
    ...rows.map(([name, source]) => `${address} ${name.padEnd(width)}  # ${source}`),
  ];
}
