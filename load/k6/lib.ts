/** Shared by the k6 scripts: target and fleet from the environment, per-device signed logins, and the metric names the fleet engine also reports (STYLE 13). */
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { setTimeout } from 'k6/timers';
import { Client } from 'k6/x/mqtt';

export interface Device { productId: string; deviceName: string; psk: string }

/** HUBCHECK_MQTT (mqtt://127.0.0.1:1883), HUBCHECK_FIXTURES (CSV productId,deviceName,psk), HUBCHECK_DEVICES, HUBCHECK_DURATION. */
export const MQTT_URL = __ENV['HUBCHECK_MQTT'] ?? 'mqtt://127.0.0.1:1883';
export const DEVICES = Number(__ENV['HUBCHECK_DEVICES'] ?? '100');
export const DURATION_S = Number(__ENV['HUBCHECK_DURATION'] ?? '10');
/** Device sessions per VU: one VU per device costs ~3 MB, so each VU drives many sessions. */
export const SESSIONS_PER_VU = Number(__ENV['HUBCHECK_SESSIONS_PER_VU'] ?? '50');

/** The fleet, read once in the init context (k6 shares it read-only between VUs). */
export function loadFleet(): Device[] {
  const text = open(__ENV['HUBCHECK_FIXTURES'] ?? 'fixtures.csv');
  return text.split('\n').slice(1).filter((l) => l).slice(0, DEVICES).map((l) => {
    const [productId, deviceName, psk] = l.split(',') as [string, string, string];
    return { productId, deviceName, psk };
  });
}

/** Username `clientId;sdkappid;connid;expiry` and password `hex(HMAC-SHA256(base64decode(psk), username));hmacsha256` (protocol.md §1.4). */
export function login(d: Device): { username: string; password: string } {
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const username = `${d.productId}${d.deviceName};12010126;k6000;${expiry}`;
  const token = crypto.hmac('sha256', encoding.b64decode(d.psk), username, 'hex');
  return { username, password: `${token};hmacsha256` };
}

/** A client for one device with signed credentials re-made at each connect and no per-device tags. */
export function deviceClient(d: Device): Client {
  return new Client({
    client_id: `${d.productId}${d.deviceName}`,
    credentials_provider: () => login(d),
    // Low cardinality: one series for the whole fleet, not one per device or topic.
    tags: { client_id: '', topic: '' },
  });
}

/** The devices this VU drives: a contiguous block of the fleet (execution segments split VUs, so shards split the fleet). */
export function devicesOfThisVu(fleet: Device[]): Device[] {
  const vu = exec.vu.idInTest - 1;
  return fleet.slice(vu * SESSIONS_PER_VU, (vu + 1) * SESSIONS_PER_VU);
}

export const metrics = {
  connects: new Counter('mqtt_connects'),
  connectAttempts: new Counter('mqtt_connect_attempts'),
  connectSuccess: new Rate('mqtt_connect_success'),
  connectDuration: new Trend('mqtt_connect_duration', true),
  // mqtt_messages_sent and mqtt_messages_received are xk6-mqtt's own counters: a script counter of the same name would count every message twice
  deliveryLatency: new Trend('delivery_latency', true),
  qos1Lost: new Counter('qos1_lost'),
  qos1Duplicates: new Counter('qos1_duplicates'),
};

/** Summary statistics the load report reads (k6's default stops at p(95) and has no count). */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'count'];

/** Waits without blocking the VU's event loop: k6's sleep() would hold back every message handler until it returns. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Ends the clients still connected (xk6-mqtt's end() throws on a client that is not). */
export function endAll(clients: Client[]): void {
  for (const c of clients) if (c.connected) c.end();
}

export function vusFor(devices: number): number {
  return Math.max(1, Math.ceil(devices / SESSIONS_PER_VU));
}
