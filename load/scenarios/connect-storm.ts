/** Connect storm: every device logs in as fast as the ramp allows, holds briefly, and leaves; judges connect success and CONNACK time. */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'connect-storm',
  description: 'all devices connect at the ramp rate (throttled on pending CONNACKs), hold, then disconnect',
  devices: 1000,
  ramp: { rate: 2000, maxPending: 500 },
  stages: [{ duration: 2, target: 1000 }, { duration: 3, target: 1000 }],
  thresholds: { mqtt_connect_success: ['rate>0.99'], mqtt_connect_duration: ['p(99)<1000'] },
});
