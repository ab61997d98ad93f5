// Benchmark: mqtt.js connect-to-CONNACK round trip against the reference hub vs a bare Aedes broker (the baseline), interleaved.
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { startHub } from '../hub/index.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { median, printTable, type Row } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const CONNECTS_PER_ROUND = Number(process.env.BENCH_CONNECTS ?? 200);

async function connectOnce(url: string, o: mqtt.IClientOptions): Promise<number> {
  const start = process.hrtime.bigint();
  const client = await mqtt.connectAsync(url, { ...o, reconnectPeriod: 0 });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  await client.endAsync(true);
  return elapsed;
}

async function main(): Promise<void> {
  const hub = await startHub({});
  const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
  const { ProductId } = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: 'bench_connect' });
  const { DevicePsk } = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId, DeviceName: 'bench' });
  const login = deviceLogin({ productId: ProductId, deviceName: 'bench', psk: DevicePsk });

  const bare = await Aedes.createBroker();
  const server = net.createServer(bare.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const bareUrl = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

  const samples = { hub: [] as number[], bare: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Interleave the two targets so drift in machine load hits both alike.
    for (const which of round % 2 ? (['bare', 'hub'] as const) : (['hub', 'bare'] as const)) {
      for (let i = 0; i < CONNECTS_PER_ROUND; i++) {
        samples[which].push(which === 'hub' ? await connectOnce(hub.endpoints.mqtt, login) : await connectOnce(bareUrl, { clientId: `bench${i}` }));
      }
    }
  }
  const rows: Row[] = [
    { name: 'bare Aedes (baseline)', median: median(samples.bare), p99: median(samples.bare, 0.99), unit: 'ms' },
    { name: 'reference hub (signed login)', median: median(samples.hub), p99: median(samples.hub, 0.99), unit: 'ms', ratio: median(samples.hub) / median(samples.bare) },
  ];
  printTable(`mqtt.js connect → CONNACK, ${ROUNDS * CONNECTS_PER_ROUND} connects each, interleaved`, rows);
  server.close();
  await bare.close();
  await hub.close();
}

await main();
