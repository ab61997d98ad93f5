/** k6 twin of load/scenarios/telemetry.ts: devices publish QoS 1 to their data topic and receive it back; same metric names and thresholds. */
import type { Options } from 'k6/options';
import { DEVICES, DURATION_S, MQTT_URL, SUMMARY_TREND_STATS, deviceClient, devicesOfThisVu, endAll, loadFleet, metrics, pause, vusFor } from './lib.ts';

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
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default async function (): Promise<void> {
  const mine = devicesOfThisVu(fleet);
  const outstanding = new Map<string, number>();
  const clients = mine.map((d) => {
    const c = deviceClient(d);
    const topic = `${d.productId}/${d.deviceName}/data`;
    c.on('message', (_t, payload) => {
      const [key, sent] = String.fromCharCode(...new Uint8Array(payload)).split(',');
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
  // Waits are awaited timers, not sleep(): sleep() blocks the event loop, so no message handler would run until the end.
  const start = Date.now();
  const interval = 1000 / RATE_PER_DEVICE;
  let slot = 0;
  while (Date.now() - start < DURATION_S * 1000) {
    const intended = start + slot * interval;
    const wait = intended - Date.now();
    if (wait > 0) await pause(wait);
    // the slot's messages go out together; a blocking publish() would wait for each PUBACK in turn
    await Promise.all(clients.filter(({ c }) => c.connected).map(({ c, d, topic }) => {
      const key = `${d.deviceName}:${slot}`;
      outstanding.set(key, intended);
      return c.publishAsync(topic, `${key},${intended},`, { qos: 1 }).catch(() => {}); // a failed publish stays outstanding: counted lost
    }));
    slot++;
  }
  await pause(2000); // drain: handlers run meanwhile
  metrics.qos1Lost.add(outstanding.size);
  endAll(clients.map(({ c }) => c));
}
