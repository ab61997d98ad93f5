/** HTTP gateway publish: autocannon posts /device/publish, each request freshly signed with a rotating device's PSK (protocol.md §8.2). */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'http-publish',
  description: 'POST /device/publish through the HTTP device gateway, signed per request, rotating over devices',
  devices: 50,
  stages: [{ duration: 5, target: 0 }],
  http: { kind: 'gateway-publish', connections: 8, rate: 500, duration: 5, startAfter: 0 },
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(99)<250'] },
});
