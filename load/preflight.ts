/** Before a load run: does the target serve what the scenario drives? Returns why it must be skipped, or null to go ahead. */
import mqtt from 'mqtt';
import { ApiError, CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import type { ResolvedTarget } from '../src/target/resolved.js';
import { deprovision, provisionViaApi } from './fleet/credentials.js';
import type { Scenario } from './scenarios/types.js';

const PROBE_MS = 3000;

/** Whether the hub serves an action (a call with no parameters is refused for its parameters, not as InvalidAction). */
export async function served(api: CloudApi, action: string): Promise<boolean> {
  try {
    await api.call(action, {});
    return true;
  } catch (e) {
    return !(e instanceof ApiError && e.code === 'InvalidAction');
  }
}

async function shadowAnswers(target: ResolvedTarget, api: CloudApi): Promise<boolean> {
  const { productId, devices } = await provisionViaApi(api, 1, 'load_probe', 1);
  const d = devices[0]!;
  const client = await mqtt.connectAsync(target.endpoints.mqtt, { ...deviceLogin(d), reconnectPeriod: 0, connectTimeout: PROBE_MS });
  try {
    await client.subscribeAsync(`$shadow/operation/result/${d.productId}/${d.deviceName}`, { qos: 0 });
    const answered = new Promise<boolean>((resolve) => {
      client.once('message', () => resolve(true));
      setTimeout(() => resolve(false), PROBE_MS);
    });
    await client.publishAsync(`$shadow/operation/${d.productId}/${d.deviceName}`, JSON.stringify({ type: 'get', clientToken: 'probe' }), { qos: 0 });
    return await answered;
  } finally {
    await client.endAsync(true);
    await deprovision(api, productId, devices);
  }
}

async function routeServed(base: string, path: string): Promise<boolean> {
  const res = await fetch(new URL(path, base), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(PROBE_MS) });
  await res.arrayBuffer();
  return res.status !== 404;
}

export async function preflight(s: Scenario, target: ResolvedTarget, api: CloudApi): Promise<string | null> {
  if (s.cloud?.kind === 'c2d' && !(await served(api, 'PublishMessage')) && !(await served(api, 'PublishBroadcastMessage'))) {
    return 'the hub serves neither PublishMessage nor PublishBroadcastMessage, so cloud-to-device fan-out cannot be driven';
  }
  if (s.cloud?.kind === 'rrpc' && !(await served(api, 'PublishRRPCMessage'))) return 'the hub does not serve PublishRRPCMessage (RRPC)';
  if (s.shadow && !(await shadowAnswers(target, api))) return `the hub did not answer a $shadow/operation get within ${PROBE_MS} ms (no device shadow service)`;
  if (s.http && s.http.kind !== 'cloud-api') {
    const path = s.http.kind === 'gateway-publish' ? '/device/publish' : '/device/reportlog';
    if (!(await routeServed(target.endpoints.api, path))) return `the hub does not serve POST ${path} (HTTP device gateway) on ${target.endpoints.api}`;
  }
  return null;
}
