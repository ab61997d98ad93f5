/** Idle hold: ramp to the fleet size and keep every session open with keepalive pings only; the scale test of live sessions. */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'idle-hold',
  description: 'ramp to all devices, hold them idle (PINGREQ only), then disconnect',
  devices: 1000,
  keepalive: 60,
  ramp: { rate: 1000, maxPending: 500 },
  stages: [{ duration: 5, target: 1000 }, { duration: 10, target: 1000 }],
  thresholds: { mqtt_connect_success: ['rate>0.99'], mqtt_disconnects: ['count==0'] },
});
