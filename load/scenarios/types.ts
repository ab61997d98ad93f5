/** The shape of a load scenario (load/scenarios/*.ts) and its checks: plain typed data the engines interpret. */

/** Sessions over time: ramp linearly from the previous stage's target to this one's over `duration` seconds (like k6 ramping-vus). */
export interface Stage {
  duration: number;
  target: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** Devices in the fleet (one session each). */
  devices: number;
  stages: Stage[];
  /** Connect pacing: at most `rate` CONNECTs per second and `maxPending` CONNECTs awaiting CONNACK (throttles a slow hub). */
  ramp: { rate: number; maxPending: number };
  /** MQTT KeepAlive in seconds (the engine pings at half of it). */
  keepalive: number;
  /** Device → hub → same device on `${pid}/${dn}/data` at a fixed total rate (open model). */
  telemetry?: { qos: 0 | 1; rate: number; payloadBytes: number; startAfter: number };
  /** Device-originated shadow updates at a total rate, answered on $shadow/operation/result. */
  shadow?: { rate: number; startAfter: number };
  /** Cloud-originated traffic through the cloud API at a total rate: PublishMessage to devices, or RRPC round trips. */
  cloud?: { kind: 'c2d' | 'rrpc'; rate: number; startAfter: number; qos: 0 | 1; concurrency: number };
  /**
   * Identity cycling: each of the `devices` identities visits in turn (log in, subscribe to its own data topic, publish
   * `messages`, receive them back, stay `dwell` seconds, leave), `cycles` times over, at ramp.rate visits per second with
   * at most the stage target live at once. Delivery is accounted per identity.
   */
  cycle?: { messages: number; qos1Share: number; cycles: number; dwell: number; payloadBytes: number };
  /** HTTP load with autocannon: device gateway publish or reportlog (each request freshly signed), or cloud API calls. */
  http?: { kind: 'gateway-publish' | 'reportlog' | 'cloud-api'; connections: number; rate: number; duration: number; startAfter: number };
  /** Seconds after the last stage to wait for in-flight messages before counting them lost. */
  drain: number;
  /** k6-style thresholds by metric, e.g. { 'delivery_latency{qos:1}': ['p(99)<250'], qos1_lost: ['count==0'] }. */
  thresholds: Record<string, string[]>;
}

export type ScenarioInput = Omit<Scenario, 'ramp' | 'keepalive' | 'drain' | 'thresholds'> & Partial<Pick<Scenario, 'ramp' | 'keepalive' | 'drain' | 'thresholds'>>;

/** Fills the defaults every scenario shares. */
export function defineScenario(s: ScenarioInput): Scenario {
  return { ramp: { rate: 2000, maxPending: 500 }, keepalive: 120, drain: 3, thresholds: {}, ...s };
}

export function totalDuration(s: Pick<Scenario, 'stages'>): number {
  return s.stages.reduce((t, st) => t + st.duration, 0);
}

/** Checks a scenario after overrides; each problem names the field and the fix. */
export function validateScenario(s: Scenario): string[] {
  const problems: string[] = [];
  const posInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!posInt(s.devices)) problems.push(`devices: must be a positive integer (got ${s.devices}); e.g. --devices 100`);
  if (!s.stages.length) problems.push('stages: at least one stage is needed, e.g. [{ duration: 10, target: 100 }]');
  for (const [i, st] of s.stages.entries()) {
    if (!(st.duration > 0) || st.duration > 86_400) problems.push(`stages[${i}].duration: seconds from >0 to 86400 (got ${st.duration})`);
    if (!Number.isInteger(st.target) || st.target < 0 || st.target > s.devices) problems.push(`stages[${i}].target: sessions from 0 to devices (${s.devices}) (got ${st.target})`);
  }
  if (!(s.ramp.rate > 0)) problems.push(`ramp.rate: connects per second must be > 0 (got ${s.ramp.rate}); e.g. --connect-rate 1000`);
  if (!posInt(s.ramp.maxPending)) problems.push(`ramp.maxPending: a positive integer (got ${s.ramp.maxPending})`);
  if (!Number.isInteger(s.keepalive) || s.keepalive < 0 || s.keepalive > 900) problems.push(`keepalive: seconds from 0 to 900 (got ${s.keepalive})`);
  for (const [key, rate] of [['telemetry', s.telemetry?.rate], ['shadow', s.shadow?.rate], ['cloud', s.cloud?.rate]] as const) {
    if (rate !== undefined && !(rate > 0 && rate <= 1_000_000)) problems.push(`${key}.rate: messages per second from >0 to 1000000 (got ${rate}); e.g. --rate 100`);
  }
  if (s.telemetry && (s.telemetry.payloadBytes < 24 || s.telemetry.payloadBytes > 16_000)) problems.push(`telemetry.payloadBytes: from 24 to 16000 (got ${s.telemetry.payloadBytes})`);
  if (s.telemetry && s.telemetry.qos !== 0 && s.telemetry.qos !== 1) problems.push(`telemetry.qos: 0 or 1 (got ${String(s.telemetry.qos)})`);
  if (s.cycle) {
    const c = s.cycle;
    if (!Number.isInteger(c.messages) || c.messages < 0 || c.messages > 8) problems.push(`cycle.messages: messages per visit from 0 to 8 (got ${c.messages}); e.g. --messages 2`);
    if (!(c.qos1Share >= 0 && c.qos1Share <= 1)) problems.push(`cycle.qos1Share: the share of QoS 1 messages from 0 to 1 (got ${c.qos1Share}); e.g. --qos1-share 0.5`);
    if (!Number.isInteger(c.cycles) || c.cycles < 1 || c.cycles > 255) problems.push(`cycle.cycles: passes over the identities from 1 to 255 (got ${c.cycles}); e.g. --cycles 1`);
    if (!(c.dwell >= 0 && c.dwell <= 3600)) problems.push(`cycle.dwell: seconds a device stays after its messages are back, 0 to 3600 (got ${c.dwell}); e.g. --dwell 1`);
    if (c.payloadBytes < 40 || c.payloadBytes > 16_000) problems.push(`cycle.payloadBytes: from 40 to 16000 (got ${c.payloadBytes})`);
  }
  if (s.http && (!posInt(s.http.connections) || !(s.http.duration > 0))) problems.push('http: connections must be a positive integer and duration > 0 seconds');
  return problems;
}
