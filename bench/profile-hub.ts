// Profiles the reference hub under one flow of the baselines: the hub runs in this process, the clients in a child; the
// CPU profile covers the flow only (not provisioning) and is written to BENCH_PROFILE_OUT (default hub.cpuprofile).
// BENCH_PROFILE=fan-in|fan-out|self|gateway (default fan-in; gateway: the HTTP gateway under bench/http-gateway.ts's load).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startHub } from '../hub/index.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { provisionViaApi } from '../load/fleet/credentials.js';
import { buildRequest } from '../load/http/autocannon.js';
import { runChild } from './brokers.js';
import type { FlowJob } from './broker-clients.js';

const FAN = Number(process.env.BENCH_FAN ?? 1000);
const which = process.env.BENCH_PROFILE ?? 'fan-in';
const hub = await startHub({ apiRates: { CreateDevice: 1_000_000, CreateProduct: 1_000_000 }, maxConnectionsPerAddress: 10 * FAN });
const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
const { productId, devices } = await provisionViaApi(api, FAN + 1, 'bench_prof', 64);
const logins = devices.map((d) => deviceLogin(d, { expiry: Math.floor(Date.now() / 1000) + 86_400 }));
const sink = devices[FAN]!;
if (which !== 'gateway') await api.call('CreateTopicRule', {
  RuleName: 'bench_fan_in',
  TopicRulePayload: { Sql: Buffer.from(`SELECT * FROM '${productId}/+/event'`).toString('base64'), Actions: JSON.stringify([{ republish: { topic: `${productId}/${sink.deviceName}/data` } }]), RuleDisabled: false },
});
const base = { kind: 'flow' as const, url: hub.endpoints.mqtt, seconds: Number(process.env.BENCH_SECONDS ?? 8), payloadBytes: 64 };
const job: FlowJob = which === 'fan-out'
  ? { ...base, publishers: [], broadcast: { endpoint: hub.endpoints.api, ...hub.credentials, productId }, subscribers: devices.slice(0, FAN).map((d, i) => ({ login: logins[i]!, filter: `$broadcast/rxd/${productId}/${d.deviceName}` })), qos: 0, copies: FAN, window: 4 }
  : which === 'self'
    ? { ...base, publishers: [{ login: logins[0]!, topic: `${productId}/${devices[0]!.deviceName}/data` }], subscribers: [{ login: logins[0]!, filter: `${productId}/${devices[0]!.deviceName}/data` }], qos: 1, copies: 1, window: 1000 }
    : { ...base, publishers: devices.slice(0, FAN).map((d, i) => ({ login: logins[i]!, topic: `${productId}/${d.deviceName}/event` })), subscribers: [{ login: logins[FAN]!, filter: `${productId}/${sink.deviceName}/data` }], qos: 1, copies: 1, window: FAN };
const host = new URL(hub.endpoints.api).host;
const gatewayJob = { url: hub.endpoints.api, connections: 20, seconds: base.seconds, requests: devices.slice(0, 500).map((d, i) => buildRequest('gateway-publish', host, d, i)) };
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
console.log(which, which === 'gateway' ? await runChild('./http-clients.ts', gatewayJob) : await runChild('./broker-clients.ts', job));
const { profile } = await session.post('Profiler.stop');
writeFileSync(process.env.BENCH_PROFILE_OUT ?? 'hub.cpuprofile', JSON.stringify(profile));
await hub.close();
process.exit(0);
