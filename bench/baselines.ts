// Third-party baselines: Mosquitto (the first row, the baseline of every ratio) next to bare Aedes and the reference
// hub, in the same run, rounds interleaved. Throughput 1 → 1 at QoS 0 and 1, fan-in, fan-out, connect rate, and latency
// at a fixed rate. The hub's fan-in and fan-out go the way its devices can: many devices → one rule → one consumer
// device, and PublishBroadcastMessage to every online device (a device cannot subscribe to other devices' topics).
import { startHub } from '../hub/index.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { provisionViaApi } from '../load/fleet/credentials.js';
import { runChild, startBareAedes, startMosquitto } from './brokers.js';
import type { FlowJob } from './broker-clients.js';
import type { Login } from './raw-client.js';
import { interleaved, median, printTable, rowsOf } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FAN = Number(process.env.BENCH_FAN ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 1000);
const CHILD = './broker-clients.ts';
/** BENCH_FLOWS=fan-in,fan-out runs only those tables (qos0, qos1, fan-in, fan-out, connect, latency); all by default. */
const FLOWS = process.env.BENCH_FLOWS?.split(',').map((f) => f.trim());
const wanted = (flow: string) => !FLOWS || FLOWS.includes(flow);

interface Target {
  url: string;
  /** Logins and topics of the flows on this broker. */
  self: { login: Login; topic: string };
  fanIn: Pick<FlowJob, 'publishers' | 'subscribers'>;
  fanOut: Pick<FlowJob, 'publishers' | 'subscribers' | 'broadcast'>;
  connects: Login[];
}

const anon = (clientId: string): Login => ({ clientId, username: 'u', password: 'p' });

function plainTarget(url: string, tag: string): Target {
  const pubs = Array.from({ length: FAN }, (_, i) => ({ login: anon(`${tag}p${i}`), topic: `fan/${i}/event` }));
  const subs = Array.from({ length: FAN }, (_, i) => ({ login: anon(`${tag}s${i}`), filter: 'out/all' }));
  return {
    url,
    self: { login: anon(`${tag}self`), topic: `self/${tag}/data` },
    fanIn: { publishers: pubs, subscribers: [{ login: anon(`${tag}sink`), filter: 'fan/+/event' }] },
    fanOut: { publishers: [{ login: anon(`${tag}src`), topic: 'out/all' }], subscribers: subs },
    connects: Array.from({ length: FAN }, (_, i) => anon(`${tag}c${i}`)),
  };
}

const mosquitto = await startMosquitto();
const aedes = await startBareAedes();
const hub = await startHub({ apiRates: { CreateDevice: 1_000_000, CreateProduct: 1_000_000 }, maxConnectionsPerAddress: 10 * FAN });
const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
const { productId, devices } = await provisionViaApi(api, FAN + 2, 'bench_fan', 64);
const expiry = Math.floor(Date.now() / 1000) + 86_400;
const logins = devices.map((d) => deviceLogin(d, { expiry }));
const sink = devices[FAN]!;
const selfDev = devices[FAN + 1]!;
// fan-in on the hub: every device's event → one rule → the consumer device's own data topic
const sql = `SELECT * FROM '${productId}/+/event'`;
await api.call('CreateTopicRule', {
  RuleName: 'bench_fan_in',
  TopicRulePayload: { Sql: Buffer.from(sql).toString('base64'), Actions: JSON.stringify([{ republish: { topic: `${productId}/${sink.deviceName}/data` } }]), RuleDisabled: false },
});
const hubTarget: Target = {
  url: hub.endpoints.mqtt,
  self: { login: logins[FAN + 1]!, topic: `${productId}/${selfDev.deviceName}/data` },
  fanIn: {
    publishers: devices.slice(0, FAN).map((d, i) => ({ login: logins[i]!, topic: `${productId}/${d.deviceName}/event` })),
    subscribers: [{ login: logins[FAN]!, filter: `${productId}/${sink.deviceName}/data` }],
  },
  fanOut: {
    publishers: [],
    broadcast: { endpoint: hub.endpoints.api, ...hub.credentials, productId },
    subscribers: devices.slice(0, FAN).map((d, i) => ({ login: logins[i]!, filter: `$broadcast/rxd/${productId}/${d.deviceName}` })),
  },
  connects: logins.slice(0, FAN),
};
const targets = { Mosquitto: plainTarget(mosquitto.url, 'm'), 'bare Aedes': plainTarget(aedes.url, 'a'), 'reference hub': hubTarget };
type Name = keyof typeof targets;
const names = Object.keys(targets) as Name[];

const flowJob = (t: Target, o: Partial<FlowJob>): FlowJob => ({
  kind: 'flow', url: t.url, publishers: [t.self], subscribers: [{ login: t.self.login, filter: t.self.topic }],
  qos: 1, copies: 1, window: 1000, seconds: SECONDS, payloadBytes: 64, ...o,
});
const each = async (run: (t: Target) => Promise<number>) => interleaved(ROUNDS, Object.fromEntries(names.map((n) => [n, () => run(targets[n])])) as Record<Name, () => Promise<number>>);
const flow = async (job: FlowJob) => (await runChild(CHILD, job)).result;

for (const qos of [0, 1] as const) {
  if (!wanted(`qos${qos}`)) continue;
  const s = await each((t) => flow(flowJob(t, { qos })));
  printTable(`QoS ${qos} throughput, 1 → 1 (one client self-subscribed, 64 B, 1,000 in flight), delivered msg/s, ${ROUNDS} rounds interleaved`, rowsOf('msg/s', s), { better: 'higher' });
  if (qos === 1) {
    const ratio = median(s['reference hub']) / median(s['bare Aedes']);
    console.log(`  → reference hub ${ratio.toFixed(2)}× bare Aedes (target ≥ 0.7): ${ratio >= 0.7 ? 'met' : 'NOT met'}`);
  }
}

if (wanted('fan-in')) {
  const fanIn = await each((t) => flow(flowJob(t, { ...t.fanIn, qos: 1, window: FAN })));
  printTable(`fan-in, ${FAN} publishers → one consumer, QoS 1, 64 B, delivered msg/s (Mosquitto and Aedes: one wildcard subscriber; hub: ${FAN} devices → one rule → one consumer device)`, rowsOf('msg/s', fanIn), { better: 'higher', target: { ratio: 0.5, atLeast: true } });
}

if (wanted('fan-out')) {
  const fanOut = await each((t) => flow(flowJob(t, { ...t.fanOut, qos: 0, copies: FAN, window: 4 })));
  printTable(`fan-out, one publisher → ${FAN} subscribers, QoS 0, 64 B, delivered msg/s (hub: PublishBroadcastMessage to ${FAN} online devices)`, rowsOf('msg/s', fanOut), { better: 'higher', target: { ratio: 0.5, atLeast: true } });
}

if (wanted('connect')) {
  const connects = await each(async (t) => (await runChild(CHILD, { kind: 'connect', url: t.url, logins: t.connects, concurrency: 100 })).result);
  printTable(`connect rate, ${FAN} CONNECT → CONNACK, 100 at a time, connects/s (hub: signed device logins)`, rowsOf('conn/s', connects), { better: 'higher' });
}

if (wanted('latency')) {
  const p99: Record<string, number[]> = {};
  const p50 = await each(async (t) => {
    const o = await runChild(CHILD, flowJob(t, { rate: LATENCY_RATE, window: Infinity }));
    const name = names.find((n) => targets[n] === t)!;
    (p99[name] ??= []).push(o.extra!['p99']!);
    return o.result;
  });
  printTable(`latency at ${LATENCY_RATE} msg/s, QoS 1, 1 → 1 self-subscribed, publish → delivery, ms (p50; p99 beside)`, rowsOf('ms', p50).map((r) => ({ ...r, p99: median(p99[r.name]!) })), { better: 'lower' });
}

await hub.close();
await aedes.close();
await mosquitto.close();
