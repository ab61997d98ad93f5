/** Shapes of a finished hubcheck run, shared by every report writer (JSON, JUnit, HTML, console). */

/** What a run found out about one test. */
export type Verdict = 'pass' | 'fail' | 'not-applicable' | 'error';

/** Wire evidence attached to a test: decoded MQTT packets, HTTP exchanges, hub log lines, notes. */
export interface Evidence { kind: 'mqtt' | 'http' | 'log' | 'note'; title: string; lines: string[] }

export interface TestResult {
  name: string;            // the test title, e.g. "[AUTH-003] expired signature is refused"
  fullName: string;        // suite > test
  file: string;            // path relative to the repo, e.g. suites/auth.test.ts
  area: string;            // e.g. "auth" (from the first requirement id's prefix, lowercased)
  requirements: string[];  // e.g. ["AUTH-003"]
  verdict: Verdict;
  durationMs: number;
  error?: { message: string; stack?: string };
  reason?: string;         // why not applicable
  evidence: Evidence[];
}

export interface AreaSummary { area: string; tests: number; passed: number; failed: number; notApplicable: number; errors: number }

export interface RunResult {
  runId: string; startedAt: string; finishedAt: string; hubcheckVersion: string;
  target: { name: string; launcher: string; profile: string; endpoints: Record<string, string>; faults?: string[]; capabilities?: string[] };
  summary: { tests: number; passed: number; failed: number; notApplicable: number; errors: number; durationMs: number };
  areas: AreaSummary[];
  tests: TestResult[];
  /** Every catalogue requirement's verdict over the tests that cite it. */
  requirements?: RequirementResult[];
  /** Per area: applicable requirements, how many a test exercised, passed and failed. */
  coverage?: CoverageRow[];
  /** What the probe measured before the suites ran (absent when the probe was off). */
  probe?: ProbeResult;
  /** Claims of the target descriptor (limits, capabilities) that the probe contradicted. */
  findings?: Finding[];
  /** The latest output of a hub hubcheck started (process and container launchers). */
  targetLog?: string[];
}

/** A bound found by search: the largest value accepted (null: none), and whether the search stopped at its cap still accepting. */
export interface MeasuredBound { max: number | null; capped: boolean; attempts: number }

/** The target's real limits as the probe measured them; a field is absent when it could not be measured (see notes). */
export interface ProbeResult {
  durationMs: number;
  topicBytes?: MeasuredBound;
  packetBytes?: MeasuredBound;
  keepaliveMaxSeconds?: MeasuredBound;
  /** The largest CoAP publish payload answered 2.xx (targets offering coap). */
  coapPayloadBytes?: MeasuredBound;
  /** SUBACK return code for a SUBSCRIBE requesting QoS 2. */
  grantedQosForQos2?: number;
  /** QoS 1 deliveries to a subscriber that acknowledges none, out of how many were sent. */
  inflight?: { delivered: number; sent: number };
  retainHonoured?: boolean;
  willHonoured?: boolean;
  notes: string[];
}

/** A claim the probe contradicted: what the descriptor (or its profile) says, and what the hub did. */
export interface Finding { id: string; claim: string; measured: string }

/** fail: a MUST (or DEVIATION) test failed; warn: only SHOULD/MAY tests failed; untested: applicable, no test ran. */
export type RequirementVerdict = 'pass' | 'fail' | 'warn' | 'not-applicable' | 'untested';
export interface RequirementResult { id: string; verdict: RequirementVerdict; level: string; area: string; tests: string[] }
export interface CoverageRow { area: string; requirements: number; tested: number; passed: number; failed: number; untestedMust: string[] }
