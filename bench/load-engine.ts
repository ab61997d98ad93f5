// Benchmarks of the load side, each against its baseline in the same run, rounds interleaved: the fleet engine vs one
// mqtt.js client per device as load generators, against Mosquitto (so the broker's cost is small and the same for both)
// and against bare Aedes: RSS per idle session, and client CPU per QoS 1 publish-and-receive.
//
// How RSS is sampled: each measurement runs in a fresh process started with --expose-gc (and, for idle sessions,
// --max-semi-space-size=1 for both generators, as the engine's worker threads run); it takes a baseline RSS after
// two gc() calls before any session exists, holds the sessions, and samples RSS again after two gc() calls while they
// are all open; the figure is (held − baseline) / sessions. CPU is process.cpuUsage() of that process over the traffic.
import { execFile } from 'node:child_process';
import { startHub } from '../hub/index.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { provisionViaApi } from '../load/fleet/credentials.js';
import { startBareAedes, startMosquitto, type Broker } from './brokers.js';
import { interleaved, printTable, rowsOf } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE_SESSIONS = Number(process.env.BENCH_IDLE_SESSIONS ?? 8000);
const PUB_SESSIONS = 50;
const PUB_RATE = Number(process.env.BENCH_PUB_RATE ?? 4000);
const PUB_SECONDS = Number(process.env.BENCH_PUB_SECONDS ?? 6);
const CLIENT = new URL('./load-clients.ts', import.meta.url).pathname;

/** Runs one measurement in a fresh process (so RSS and CPU belong to that client alone). */
function child(mode: string, url: string, n: number, extra = ''): Promise<number> {
  // Idle sessions: both generators run with a small young generation, as the engine's worker threads do (host.ts), so a
  // fixed 16–32 MiB of young generation grown during the ramp is not counted as 2–4 KiB per session.
  const young = mode.startsWith('idle') ? ['--max-semi-space-size=1'] : [];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', ...young, '--import', 'tsx', CLIENT, mode, url, String(n), extra, String(PUB_SECONDS)], { timeout: 120_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${mode}: ${err.message}\n${stderr}`));
      resolve((JSON.parse(stdout.trim().split('\n').pop()!) as { result: number }).result);
    });
  });
}

const KiB = 1024;
const brokers: [string, Broker][] = [['Mosquitto', await startMosquitto()], ['bare Aedes', await startBareAedes()]];
for (const [broker, b] of brokers) {
  if (!process.env['BENCH_SKIP_IDLE']) {
    const idle = await interleaved(ROUNDS, {
      'mqtt.js, one client per device': async () => (await child('idle-mqttjs', b.url, IDLE_SESSIONS)) / KiB,
      'fleet engine (raw sockets)': async () => (await child('idle-lean', b.url, IDLE_SESSIONS)) / KiB,
    });
    printTable(`RSS per idle TCP session, ${IDLE_SESSIONS} sessions on ${broker}, after gc, delta over a baseline in the same process (${ROUNDS} rounds interleaved; target ≤ 4 KiB)`, rowsOf('KiB', idle), { better: 'lower' });
    const lean = idle['fleet engine (raw sockets)'];
    console.log(`  → fleet engine min ${Math.min(...lean).toFixed(2)} / median ${rowsOf('KiB', idle)[1]!.median.toFixed(2)} / max ${Math.max(...lean).toFixed(2)} KiB: ${Math.max(...lean) <= 4 ? 'met' : 'NOT met'} in every round`);
  }
  const pub = await interleaved(ROUNDS, {
    'mqtt.js, one client per device': () => child('pub-mqttjs', b.url, PUB_SESSIONS, String(PUB_RATE)),
    'fleet engine (raw sockets)': () => child('pub-lean', b.url, PUB_SESSIONS, String(PUB_RATE)),
  });
  const rows = rowsOf('µs', pub);
  printTable(`client CPU per QoS 1 publish-and-receive on ${broker}, 256 B, ${PUB_RATE}/s over ${PUB_SESSIONS} sessions for ${PUB_SECONDS} s, self-subscribed`, rows, { better: 'lower', target: { ratio: 0.4, atLeast: false } });
  console.log(`  → fleet engine: ${(rows[0]!.median / rows[1]!.median).toFixed(2)}× mqtt.js publishes per CPU-second (target ≥ 2.5×)`);
}

// Reference hub vs bare Aedes: QoS 1 messages delivered per second, the same mqtt.js client load (20 clients, self-subscribed).
const hub = await startHub({});
const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
const { devices } = await provisionViaApi(api, 20, 'bench_qos1');
const hubLogins = devices.map((d) => ({ ...deviceLogin(d, { expiry: Math.floor(Date.now() / 1000) + 86_400 }), topic: `${d.productId}/${d.deviceName}/data` }));
const bareLogins = hubLogins.map((_, i) => ({ clientId: `bare${i}`, username: 'u', password: 'p', topic: `bare/${i}/data` }));
const bare = brokers[1]![1];
const tp = await interleaved(ROUNDS, {
  'bare Aedes': () => child('qos1-throughput', bare.url, 20, JSON.stringify(bareLogins)),
  'reference hub': () => child('qos1-throughput', hub.endpoints.mqtt, 20, JSON.stringify(hubLogins)),
});
printTable('QoS 1 delivered messages per second (20 mqtt.js clients, 10 in flight each, self-subscribed)', rowsOf('msg/s', tp), { better: 'higher', target: { ratio: 0.7, atLeast: true } });
await hub.close();
for (const [, b] of brokers) await b.close();
