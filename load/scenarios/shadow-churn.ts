/** Shadow churn: devices update their reported shadow state at a fixed total rate and time the replies on $shadow/operation/result. */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'shadow-churn',
  description: 'devices send $shadow/operation update requests at a fixed rate; reply time and failures',
  devices: 100,
  ramp: { rate: 1000, maxPending: 200 },
  stages: [{ duration: 2, target: 100 }, { duration: 6, target: 100 }],
  shadow: { rate: 200, startAfter: 2 },
  thresholds: { request_success: ['rate>0.99'], shadow_duration: ['p(99)<500'] },
});
