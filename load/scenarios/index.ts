/** The scenario catalogue, by name (`hubcheck load NAME`). */
import type { Scenario } from './types.js';
import c2dFanout from './c2d-fanout.js';
import cloudApi from './cloud-api.js';
import connectStorm from './connect-storm.js';
import cycle from './cycle.js';
import httpPublish from './http-publish.js';
import httpReportlog from './http-reportlog.js';
import idleHold from './idle-hold.js';
import rrpc from './rrpc.js';
import shadowChurn from './shadow-churn.js';
import telemetry from './telemetry.js';

export const SCENARIOS: Readonly<Record<string, Scenario>> = Object.fromEntries(
  [connectStorm, idleHold, cycle, telemetry, c2dFanout, shadowChurn, rrpc, httpPublish, httpReportlog, cloudApi].map((s) => [s.name, s]),
);
