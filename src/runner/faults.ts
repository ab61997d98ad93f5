/** What each fault switch of the reference hub breaks: the requirement ids whose tests must fail, and the suites that hold them. */

export interface FaultExpectation { requirements: string[]; suites: string[] }

export const FAULT_EXPECTATIONS: Record<string, FaultExpectation> = {
  'accept-bad-signature': { requirements: ['AUTH-004', 'WS-002'], suites: ['suites/auth.test.ts', 'suites/websocket.test.ts'] },
  'ignore-expiry': { requirements: ['AUTH-003'], suites: ['suites/auth.test.ts'] },
  'allow-cross-device-publish': { requirements: ['ACL-002', 'ACL-003'], suites: ['suites/acl.test.ts'] },
  'allow-hash-mid-filter': { requirements: ['WILD-001'], suites: ['suites/wildcards.test.ts'] },
  'accept-oversize-topic': { requirements: ['LIM-001', 'LIM-002'], suites: ['suites/limits.test.ts'] },
  'grant-qos2': { requirements: ['LIM-004'], suites: ['suites/limits.test.ts'] },
};
