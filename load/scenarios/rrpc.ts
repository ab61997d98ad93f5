/** RRPC round trips: the cloud API's PublishRRPCMessage waits for the device's answer; the fleet's devices echo each request. */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'rrpc',
  description: 'PublishRRPCMessage to connected devices, which answer on $rrpc/txd; round-trip time from the intended send',
  devices: 50,
  ramp: { rate: 1000, maxPending: 200 },
  stages: [{ duration: 2, target: 50 }, { duration: 6, target: 50 }],
  cloud: { kind: 'rrpc', rate: 20, startAfter: 2, qos: 0, concurrency: 16 },
  thresholds: { request_success: ['rate>0.99'], rrpc_duration: ['p(99)<1000'] },
});
