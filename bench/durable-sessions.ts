// Benchmark: what durable sessions cost. QoS 1 messages per second through a hub in memory, one with a data file
// (SQLite) and, where redis-server is installed, one with --redis (a private redis-server), interleaved, with and
// without a persistent subscriber; and the start time of a hub whose file holds 100 offline sessions with 150
// stored messages each.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startHub, type RunningHub } from '../hub/index.js';
import { sqliteBackend } from '../hub/qos/durable/sqlite.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { redisMissing, startRedis, type PrivateRedis } from '../test/hub/redis-server.js';
import { median, printTable, type Row } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MESSAGES_PER_ROUND = Number(process.env.BENCH_MESSAGES ?? 2000);
const WINDOW = 64; // QoS 1 publishes in flight at once
const SESSIONS = 100;
const STORED = 150;
const RESTARTS = Number(process.env.BENCH_RESTARTS ?? 3);

interface Bench { hub: RunningHub; productId: string; persistent: mqtt.MqttClient; clean: mqtt.MqttClient; received: () => number }

async function prepare(dataFile: string | undefined, redisUrl?: string): Promise<Bench> {
  const hub = await startHub({ ...(dataFile ? { dataFile } : {}), ...(redisUrl ? { redisUrl } : {}), apiRates: {} });
  const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
  const { ProductId } = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: `bench_durable_${redisUrl ? 'redis' : dataFile ? 'sqlite' : 'memory'}` });
  const connect = async (name: string, clean: boolean) => {
    const { DevicePsk } = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId, DeviceName: name });
    return mqtt.connectAsync(hub.endpoints.mqtt, { ...deviceLogin({ productId: ProductId, deviceName: name, psk: DevicePsk }), clean, reconnectPeriod: 0 });
  };
  // persistent: CleanSession = 0 and subscribed at QoS 1 to its own topic, so every message it publishes is stored,
  // sent and acknowledged through the session store; clean: publishes only (the PUBACK-after-store path alone)
  const persistent = await connect('persistent', false);
  const clean = await connect('clean', true);
  let received = 0;
  persistent.on('message', () => received++);
  await persistent.subscribeAsync(`${ProductId}/persistent/data`, { qos: 1 });
  return { hub, productId: ProductId, persistent, clean, received: () => received };
}

async function round(b: Bench, which: 'persistent' | 'clean', n: number): Promise<number> {
  const client = b[which];
  const topic = `${b.productId}/${which}/data`;
  const start = process.hrtime.bigint();
  const base = b.received();
  let next = 0;
  const worker = async () => {
    while (next < n) await client.publishAsync(topic, `m${next++}`, { qos: 1 });
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const expected = which === 'persistent' ? n : 0;
  const deadline = Date.now() + 60_000;
  while (b.received() - base < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  if (b.received() - base < expected) throw new Error(`only ${b.received() - base} of ${expected} messages arrived`);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function throughput(dir: string, redis: PrivateRedis | undefined): Promise<void> {
  const benches: Record<string, Bench> = { memory: await prepare(undefined), sqlite: await prepare(path.join(dir, 'throughput.db')) };
  if (redis) benches['redis'] = await prepare(path.join(dir, 'registry.db'), redis.url);
  for (const b of Object.values(benches)) {
    await round(b, 'persistent', 300); // warm-up
    await round(b, 'clean', 300);
  }
  const samples: Record<string, number[]> = {};
  const cases = Object.keys(benches).flatMap((backend) => (['persistent', 'clean'] as const).map((which) => [backend, which] as const));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < cases.length; k++) {
      const [backend, which] = cases[(k + r) % cases.length]!; // rotate the order so drift in machine load hits all alike
      (samples[`${backend} ${which}`] ??= []).push(await round(benches[backend]!, which, MESSAGES_PER_ROUND));
    }
  }
  const m = (k: string) => median(samples[k]!);
  const rows: Row[] = [];
  for (const which of ['persistent', 'clean'] as const) {
    for (const backend of Object.keys(benches)) {
      const name = `${backend}, ${which === 'persistent' ? 'persistent subscriber' : 'no session (publish only)'}`;
      rows.push({ name, median: m(`${backend} ${which}`), unit: 'msg/s', ...(backend === 'memory' ? {} : { ratio: m(`${backend} ${which}`) / m(`memory ${which}`) }) });
    }
  }
  printTable(`QoS 1 publishes, ${ROUNDS} rounds × ${MESSAGES_PER_ROUND} messages, window ${WINDOW}, interleaved (ratio: to memory)`, rows);
  for (const b of Object.values(benches)) {
    await b.persistent.endAsync(true);
    await b.clean.endAsync(true);
    await b.hub.close();
  }
}

/** Milliseconds from startHub() to a running hub on `file`. */
async function startTime(file: string): Promise<number> {
  const t = process.hrtime.bigint();
  const hub = await startHub({ dataFile: file });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await hub.close();
  return ms;
}

async function restart(dir: string): Promise<void> {
  const empty = path.join(dir, 'empty.db');
  const full = path.join(dir, 'full.db');
  await (await startHub({ dataFile: empty })).close(); // both files get their CA at the first start
  await (await startHub({ dataFile: full })).close();
  const db = new Database(full);
  const backend = sqliteBackend(db);
  const now = Date.now();
  backend.batch(() => {
    for (let s = 0; s < SESSIONS; s++) {
      const clientId = `BENCHPRODU${String(s).padStart(4, '0')}`;
      backend.saveSession(clientId, now);
      backend.putSubscriptions(clientId, [{ topic: `BENCHPRODU/${s}/data`, qos: 1 }]);
      for (let i = 0; i < STORED; i++) {
        backend.addMessage(clientId, { brokerId: 'bench', brokerCounter: s * STORED + i, topic: `BENCHPRODU/${s}/data`, payload: Buffer.alloc(200, i), storedAt: now, messageId: i % 2 ? i + 1 : undefined });
      }
    }
  });
  db.close();
  const base: number[] = [];
  const loaded: number[] = [];
  for (let r = 0; r < RESTARTS; r++) {
    base.push(await startTime(empty));
    loaded.push(await startTime(full));
  }
  printTable(`hub start on a data file, ${RESTARTS} starts each`, [
    { name: 'no stored sessions (baseline)', median: median(base), unit: 'ms' },
    { name: `${SESSIONS} sessions × ${STORED} messages`, median: median(loaded), unit: 'ms', ratio: median(loaded) / median(base) },
  ]);
}

const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-bench-durable-'));
const missing = redisMissing();
if (missing) console.log(`(Redis left out: ${missing})`);
const redis = missing ? undefined : await startRedis();
try {
  await throughput(dir, redis);
  await restart(dir);
} finally {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}
