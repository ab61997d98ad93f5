// Benchmarks of the load side, each against its baseline in the same run, interleaved: fleet engine vs one mqtt.js client per device
// (RSS per idle session, client CPU per QoS 1 publish), and the reference hub vs a bare Aedes broker (QoS 1 messages per second).
import { execFile } from 'node:child_process';
import net from 'node:net';
import { Aedes } from 'aedes';
import { startHub } from '../hub/index.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { provisionViaApi } from '../load/fleet/credentials.js';
import { median, printTable } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const IDLE_SESSIONS = Number(process.env.BENCH_IDLE_SESSIONS ?? 8000);
const PUB_SESSIONS = 50;
const PUB_RATE = Number(process.env.BENCH_PUB_RATE ?? 4000);
const CLIENT = new URL('./load-clients.ts', import.meta.url).pathname;

/** Runs one measurement in a fresh process (so RSS and CPU belong to that client alone). */
function child(mode: string, url: string, n: number, extra = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', CLIENT, mode, url, String(n), extra], { timeout: 120_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${mode}: ${err.message}\n${stderr}`));
      resolve((JSON.parse(stdout.trim().split('\n').pop()!) as { result: number }).result);
    });
  });
}

async function bareAedes(): Promise<{ url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: async () => { server.close(); await broker.close(); } };
}

const KiB = 1024;
const bare = await bareAedes();
const s = { idleLean: [] as number[], idleMqttjs: [] as number[], pubLean: [] as number[], pubMqttjs: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? ['mqttjs', 'lean'] : ['lean', 'mqttjs'];
  for (const who of process.env['BENCH_SKIP_IDLE'] ? [] : order) {
    if (who === 'lean') s.idleLean.push(await child('idle-lean', bare.url, IDLE_SESSIONS));
    else s.idleMqttjs.push(await child('idle-mqttjs', bare.url, IDLE_SESSIONS));
  }
  for (const who of order) {
    if (who === 'lean') s.pubLean.push(await child('pub-lean', bare.url, PUB_SESSIONS, String(PUB_RATE)));
    else s.pubMqttjs.push(await child('pub-mqttjs', bare.url, PUB_SESSIONS, String(PUB_RATE)));
  }
}
const idleL = median(s.idleLean) / KiB;
const idleM = median(s.idleMqttjs) / KiB;
printTable(`RSS per idle TCP session (${IDLE_SESSIONS} sessions, bare Aedes server, ${ROUNDS} rounds interleaved; target ≤ 4 KiB)`, [
  { name: 'mqtt.js, one client per device', median: idleM, unit: 'KiB' },
  { name: 'fleet engine (raw sockets)', median: idleL, unit: 'KiB', ratio: idleL / idleM },
]);
const pubL = median(s.pubLean);
const pubM = median(s.pubMqttjs);
printTable(`client CPU per QoS 1 publish, 256 B, ${PUB_RATE}/s over ${PUB_SESSIONS} sessions, self-subscribed (target ≥ 2.5× publishes per CPU-second)`, [
  { name: 'mqtt.js, one client per device', median: pubM, unit: 'µs' },
  { name: 'fleet engine (raw sockets)', median: pubL, unit: 'µs', ratio: pubL / pubM },
]);
console.log(`  → fleet engine: ${(pubM / pubL).toFixed(2)}× mqtt.js publishes per CPU-second`);

// Reference hub vs bare Aedes: QoS 1 messages delivered per second, same client load.
const hub = await startHub({});
const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
const { devices } = await provisionViaApi(api, 20, 'bench_qos1');
const hubLogins = devices.map((d) => ({ ...deviceLogin(d, { expiry: Math.floor(Date.now() / 1000) + 86_400 }), topic: `${d.productId}/${d.deviceName}/data` }));
const bareLogins = hubLogins.map((l, i) => ({ clientId: `bare${i}`, username: 'u', password: 'p', topic: `bare/${i}/data` }));
const tp = { hub: [] as number[], bare: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  for (const who of round % 2 ? (['bare', 'hub'] as const) : (['hub', 'bare'] as const)) {
    if (who === 'hub') tp.hub.push(await child('qos1-throughput', hub.endpoints.mqtt, 20, JSON.stringify(hubLogins)));
    else tp.bare.push(await child('qos1-throughput', bare.url, 20, JSON.stringify(bareLogins)));
  }
}
const tH = median(tp.hub);
const tB = median(tp.bare);
printTable(`QoS 1 delivered messages per second (20 mqtt.js clients, 10 in flight each, self-subscribed; target hub ≥ 0.7× bare Aedes)`, [
  { name: 'bare Aedes (baseline)', median: tB, unit: 'msg/s' },
  { name: 'reference hub', median: tH, unit: 'msg/s', ratio: tH / tB },
]);
await hub.close();
await bare.close();
