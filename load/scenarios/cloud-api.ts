/** Cloud API load: autocannon calls DescribeDevice with TC3 signatures (the ~5 minute signature window lets one signature per second serve). */
import { defineScenario } from './types.js';

export default defineScenario({
  name: 'cloud-api',
  description: 'DescribeDevice calls on the cloud API, TC3-signed, rotating over devices',
  devices: 20,
  stages: [{ duration: 5, target: 0 }],
  http: { kind: 'cloud-api', connections: 8, rate: 300, duration: 5, startAfter: 0 },
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(99)<250'] },
});
