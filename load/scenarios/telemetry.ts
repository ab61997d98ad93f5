/** Telemetry: devices publish to their data topic at a fixed total rate and receive their own messages back; QoS 1 loss, duplicates and end-to-end latency. */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'telemetry',
  description: 'device → hub → same device on ${pid}/${dn}/data at a fixed rate (open model), QoS 1 by default',
  devices: 200,
  ramp: { rate: 1000, maxPending: 200 },
  stages: [{ duration: 2, target: 200 }, { duration: 8, target: 200 }],
  telemetry: { qos: 1, rate: 500, payloadBytes: 128, startAfter: 2 },
  thresholds: {
    mqtt_connect_success: ['rate>0.99'],
    'delivery_latency{qos:1}': ['p(99)<250'],
    qos1_lost: ['count==0'],
    qos1_duplicates: ['count==0'],
    slots_missed: ['count==0'],
  },
});
