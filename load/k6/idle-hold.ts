/** k6 twin of load/scenarios/idle-hold.ts: each VU holds many idle device sessions (keepalive only), the shape used at scale with execution segments. */
import { sleep } from 'k6';
import type { Options } from 'k6/options';
import { DEVICES, DURATION_S, MQTT_URL, SUMMARY_TREND_STATS, deviceClient, devicesOfThisVu, endAll, loadFleet, metrics, vusFor } from './lib.ts';

const fleet = loadFleet();

export const options: Options = {
  scenarios: {
    hold: { executor: 'per-vu-iterations', vus: vusFor(DEVICES), iterations: 1, maxDuration: `${DURATION_S + 60}s` },
  },
  thresholds: { mqtt_connect_success: ['rate>0.99'], mqtt_connect_duration: ['p(99)<1000'] },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default async function (): Promise<void> {
  const clients = devicesOfThisVu(fleet).map(deviceClient);
  for (const c of clients) {
    const t0 = Date.now();
    metrics.connectAttempts.add(1);
    try {
      await c.connectAsync(MQTT_URL, { keepalive: 60, clean_session: true });
      metrics.connects.add(1);
      metrics.connectSuccess.add(true);
      metrics.connectDuration.add(Date.now() - t0);
    } catch {
      metrics.connectSuccess.add(false);
    }
  }
  sleep(DURATION_S); // idle: keepalives run in the extension, not on the VU's event loop
  endAll(clients);
}
