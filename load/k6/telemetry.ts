/** k6 twin of load/scenarios/telemetry.ts: devices publish QoS 1 to their data topic and receive it back; same metric names and thresholds. */
import { sleep } from 'k6';
import type { Options } from 'k6/options';
import { DEVICES, DURATION_S, MQTT_URL, deviceClient, devicesOfThisVu, loadFleet, metrics, vusFor } from './lib.ts';

const fleet = loadFleet();
const RATE_PER_DEVICE = Number(__ENV['HUBCHECK_RATE_PER_DEVICE'] ?? '1');

export const options: Options = {
  scenarios: {
    telemetry: { executor: 'per-vu-iterations', vus: vusFor(DEVICES), iterations: 1, maxDuration: `${DURATION_S + 30}s` },
  },
  thresholds: {
    mqtt_connect_success: ['rate>0.99'],
    'delivery_latency{qos:1}': ['p(99)<250'],
    qos1_lost: ['count==0'],
    qos1_duplicates: ['count==0'],
  },
};

export default async function (): Promise<void> {
  const mine = devicesOfThisVu(fleet);
  const outstanding = new Map<string, number>();
  const clients = mine.map((d) => {
    const c = deviceClient(d);
    const topic = `${d.productId}/${d.deviceName}/data`;
    c.on('message', (_t, payload) => {
      const [key, sent] = String.fromCharCode(...new Uint8Array(payload)).split(',');
      metrics.received.add(1);
      if (key !== undefined && outstanding.delete(key)) metrics.deliveryLatency.add(Date.now() - Number(sent), { qos: '1' });
      else metrics.qos1Duplicates.add(1);
    });
    return { c, d, topic };
  });
  for (const { c, topic } of clients) {
    const t0 = Date.now();
    metrics.connectAttempts.add(1);
    try {
      await c.connectAsync(MQTT_URL, { keepalive: 120, clean_session: true });
      metrics.connects.add(1);
      metrics.connectSuccess.add(true);
      metrics.connectDuration.add(Date.now() - t0);
      await c.subscribeAsync(topic, { qos: 1 });
    } catch {
      metrics.connectSuccess.add(false);
    }
  }
  // Open model per VU: one slot per device every 1/RATE_PER_DEVICE s, latency from the slot's intended time.
  const start = Date.now();
  const interval = 1000 / RATE_PER_DEVICE;
  let slot = 0;
  while (Date.now() - start < DURATION_S * 1000) {
    const intended = start + slot * interval;
    const wait = intended - Date.now();
    if (wait > 0) sleep(wait / 1000);
    for (const { c, d, topic } of clients) {
      if (!c.connected) continue;
      const key = `${d.deviceName}:${slot}`;
      outstanding.set(key, intended);
      metrics.sent.add(1);
      c.publish(topic, `${key},${intended},`, { qos: 1 });
    }
    slot++;
  }
  sleep(2); // drain
  metrics.qos1Lost.add(outstanding.size);
  for (const { c } of clients) c.end();
}
