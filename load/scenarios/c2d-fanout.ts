/** Cloud-to-device fan-out: the cloud API's PublishMessage sends to each connected device's control topic at a fixed rate; delivery latency and loss. */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'c2d-fanout',
  description: 'PublishMessage (cloud API) to ${pid}/${dn}/control of the connected devices, rotating, at a fixed rate',
  devices: 100,
  ramp: { rate: 1000, maxPending: 200 },
  stages: [{ duration: 2, target: 100 }, { duration: 6, target: 100 }],
  cloud: { kind: 'c2d', rate: 100, startAfter: 2, qos: 1, concurrency: 32 },
  thresholds: { request_success: ['rate>0.99'], c2d_lost: ['count==0'], c2d_latency: ['p(99)<500'] },
});
