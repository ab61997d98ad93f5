/** Metric names shared by the fleet engine, the autocannon runs and the k6 scripts (STYLE 13), so reports of either engine compare directly. */

/** Histograms (HDR, recorded in microseconds, reported in milliseconds like k6 trends). */
export const TRENDS = {
  connectDuration: 'mqtt_connect_duration',
  deliveryLatency: (qos: 0 | 1) => `delivery_latency{qos:${qos}}`,
  c2dLatency: 'c2d_latency',
  shadowDuration: 'shadow_duration',
  rrpcDuration: 'rrpc_duration',
  httpReqDuration: 'http_req_duration',
  cycleBarrierLatency: 'cycle_barrier_latency',
} as const;

/** Counters (monotonic counts over the run). */
export const COUNTERS = {
  connectAttempts: 'mqtt_connect_attempts',
  connects: 'mqtt_connects',
  connectRefused: 'mqtt_connect_refused',
  connectErrors: 'mqtt_connect_errors',
  disconnects: 'mqtt_disconnects',
  sent: 'mqtt_messages_sent',
  received: 'mqtt_messages_received',
  qos1Acked: 'mqtt_qos1_acked',
  qos1Lost: 'qos1_lost',
  qos1Duplicates: 'qos1_duplicates',
  slotsMissed: 'slots_missed',
  requests: 'requests',
  requestFailures: 'request_failures',
  httpReqs: 'http_reqs',
  httpReqFailed: 'http_req_failures',
} as const;

/** Counters of the cycle scenario: visits, per-message delivery, and per-identity outcomes (counted once at the end). */
export const CYCLE = {
  visits: 'cycle_visits',
  visitsDone: 'cycle_visits_done',
  visitTimeouts: 'cycle_visit_timeouts',
  visitsCut: 'cycle_visits_cut',
  lost: 'cycle_lost',
  duplicates: 'cycle_duplicates',
  misrouted: 'cycle_misrouted',
  identities: 'identities',
  identitiesVisited: 'identities_visited',
  identitiesMissed: 'identities_missed',
  identitiesWithLoss: 'identities_with_loss',
  identitiesWithDuplicates: 'identities_with_duplicates',
  identitiesRefused: 'identities_refused',
  identitiesErrored: 'identities_errored',
} as const;

/** Rates derived from counter pairs: name → [numerator, denominator]. */
export const RATES: Readonly<Record<string, readonly [string, string]>> = {
  mqtt_connect_success: [COUNTERS.connects, COUNTERS.connectAttempts],
  qos1_delivery: [COUNTERS.qos1Lost, COUNTERS.sent], // read as 1 − lost/sent in rates()
  http_req_failed: [COUNTERS.httpReqFailed, COUNTERS.httpReqs],
  request_success: [COUNTERS.requestFailures, COUNTERS.requests], // 1 − failures/requests
};

/** Rates that are one minus the counter ratio (a success rate built from a failure count). */
export const INVERTED_RATES = new Set(['qos1_delivery', 'request_success']);

/** A counter name with a label, e.g. mqtt_connect_refused{code:5}. */
export function labelled(name: string, labels: Record<string, string | number>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}:${v}`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

/** The base name of a possibly labelled metric. */
export function baseName(metric: string): string {
  const i = metric.indexOf('{');
  return i < 0 ? metric : metric.slice(0, i);
}
