/** Identity cycling: every identity of the fleet logs in, publishes at QoS 0 and 1, receives its messages back and leaves, at a set connect rate with at most L live. */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'cycle',
  description: 'every identity visits in turn (login, subscribe, publish QoS 0/1, receive, leave) at the connect rate, at most --live at once',
  devices: 2000,
  keepalive: 60,
  ramp: { rate: 500, maxPending: 200 },
  // One stage: its target is the live cap; its duration bounds the run (the engines finish as soon as every visit is done).
  stages: [{ duration: 60, target: 200 }],
  cycle: { messages: 2, qos1Share: 0.5, cycles: 1, dwell: 0.2, payloadBytes: 64 },
  thresholds: {
    mqtt_connect_success: ['rate>0.99'],
    cycle_lost: ['count==0'],
    cycle_duplicates: ['count==0'],
    identities_missed: ['count==0'],
  },
});
