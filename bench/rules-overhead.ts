// Benchmark: telemetry messages per second through the reference hub with no rule and with one matching rule (SQL + republish), interleaved.
import mqtt from 'mqtt';
import { startHub } from '../hub/index.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { median, printTable, type Row } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const MESSAGES_PER_ROUND = Number(process.env.BENCH_MESSAGES ?? 3000);
const WINDOW = 64; // QoS 1 publishes in flight at once

const telemetry = (i: number) => JSON.stringify({ deviceId: 'bench', seq: i, temperature: 20 + (i % 15), humidity: 40 + (i % 30), status: { battery: 87, rssi: -61 } });

/** Publishes `n` QoS 1 messages with a bounded window; resolves with messages per second once every PUBACK and (if counted) every republish arrived. */
async function round(pub: mqtt.MqttClient, topic: string, n: number, arrived: () => number, expectArrivals: number): Promise<number> {
  const start = process.hrtime.bigint();
  const base = arrived();
  let next = 0;
  const worker = async () => {
    while (next < n) await pub.publishAsync(topic, telemetry(next++), { qos: 1 });
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const deadline = Date.now() + 30_000;
  while (arrived() - base < expectArrivals && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  if (arrived() - base < expectArrivals) throw new Error(`only ${arrived() - base} of ${expectArrivals} republished messages arrived`);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  const hub = await startHub({});
  const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
  const { ProductId } = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: 'bench_rules' });
  const creds = async (name: string) => {
    const { DevicePsk } = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId, DeviceName: name });
    return deviceLogin({ productId: ProductId, deviceName: name, psk: DevicePsk });
  };
  const pub = await mqtt.connectAsync(hub.endpoints.mqtt, { ...(await creds('pub')), reconnectPeriod: 0 });
  const sink = await mqtt.connectAsync(hub.endpoints.mqtt, { ...(await creds('sink')), reconnectPeriod: 0 });
  const sinkTopic = `${ProductId}/sink/data`;
  let arrivals = 0;
  sink.on('message', () => arrivals++);
  await sink.subscribeAsync(sinkTopic, { qos: 0 });
  const topic = `${ProductId}/pub/event`;
  const sql = `SELECT seq, temperature, status.battery AS battery FROM '${topic}' WHERE temperature > 0 AND humidity < 100`;
  await api.call('CreateTopicRule', {
    RuleName: 'bench_rule',
    TopicRulePayload: { Sql: Buffer.from(sql).toString('base64'), Actions: JSON.stringify([{ republish: { topic: sinkTopic } }]), RuleDisabled: true },
  });

  // The same statement with a WHERE no message passes: parsing the payload and evaluating, without the republished copy.
  await api.call('CreateTopicRule', {
    RuleName: 'bench_eval',
    TopicRulePayload: { Sql: Buffer.from(sql.replace('humidity < 100', 'humidity > 1000')).toString('base64'), Actions: JSON.stringify([{ republish: { topic: sinkTopic } }]), RuleDisabled: true },
  });

  await round(pub, topic, 500, () => arrivals, 0); // warm-up
  const samples = { none: [] as number[], evalOnly: [] as number[], rule: [] as number[] };
  const ruleOf = { none: undefined, evalOnly: 'bench_eval', rule: 'bench_rule' } as const;
  let enabled: string | undefined;
  const order = ['none', 'evalOnly', 'rule'] as const;
  for (let r = 0; r < ROUNDS; r++) {
    // Interleave (rotating the order) so drift in machine load hits all alike.
    for (let k = 0; k < order.length; k++) {
      const which = order[(k + r) % order.length]!;
      if (ruleOf[which] !== enabled) {
        if (enabled) await api.call('DisableTopicRule', { RuleName: enabled });
        enabled = ruleOf[which];
        if (enabled) await api.call('EnableTopicRule', { RuleName: enabled });
      }
      samples[which].push(await round(pub, topic, MESSAGES_PER_ROUND, () => arrivals, which === 'rule' ? MESSAGES_PER_ROUND : 0));
    }
  }
  const none = median(samples.none);
  const evalOnly = median(samples.evalOnly);
  const rule = median(samples.rule);
  const rows: Row[] = [
    { name: 'no rule (baseline)', median: none, unit: 'msg/s' },
    { name: 'one rule, WHERE false (eval only)', median: evalOnly, unit: 'msg/s', ratio: evalOnly / none },
    { name: 'one matching rule (SQL+republish)', median: rule, unit: 'msg/s', ratio: rule / none },
  ];
  printTable(`QoS 1 telemetry publishes, ${ROUNDS} rounds × ${MESSAGES_PER_ROUND} messages each, window ${WINDOW}, interleaved`, rows);
  console.log(`  overhead per message ≈ ${((1 / evalOnly - 1 / none) * 1e6).toFixed(1)} µs to evaluate, ${((1 / rule - 1 / none) * 1e6).toFixed(1)} µs with the republished copy delivered`);
  await pub.endAsync(true);
  await sink.endAsync(true);
  await hub.close();
}

await main();
