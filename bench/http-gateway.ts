// The HTTP device gateway (POST /device/publish, X-TC-* signature checked on every request) against a plain Node HTTP
// server that reads and parses the same JSON body, under the same autocannon load, rounds interleaved. Target ≥ 0.6×.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHub } from '../hub/index.js';
import { CloudApi } from '../src/client/cloud-api.js';
import { provisionViaApi } from '../load/fleet/credentials.js';
import { buildRequest } from '../load/http/autocannon.js';
import { runChild } from './brokers.js';
import { interleaved, printTable, rowsOf } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = 20;

const hub = await startHub({ apiRates: { CreateDevice: 1_000_000, CreateProduct: 1_000_000 } });
const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
const { devices } = await provisionViaApi(api, 50, 'bench_http');
const host = new URL(hub.endpoints.api).host;
// Signed once here, each with its own nonce; the gateway checks every request's signature (it keeps no nonces).
const requests = Array.from({ length: 500 }, (_, i) => buildRequest('gateway-publish', host, devices[i % devices.length]!, i));

const plain = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let ok = true;
    try { JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { ok = false; }
    res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ Response: { RequestId: 'plain' } }));
  });
});
await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;

const job = (url: string) => ({ url, connections: CONNECTIONS, seconds: SECONDS, requests });
const s = await interleaved(ROUNDS, {
  'plain Node HTTP server (reads, parses JSON)': async () => (await runChild('./http-clients.ts', job(plainUrl))).result,
  'HTTP device gateway (signed publish)': async () => (await runChild('./http-clients.ts', job(hub.endpoints.api))).result,
});
printTable(`HTTP requests/s, autocannon ${CONNECTIONS} connections for ${SECONDS} s, POST /device/publish bodies, ${ROUNDS} rounds interleaved`, rowsOf('req/s', s), { better: 'higher', target: { ratio: 0.6, atLeast: true } });
plain.close();
await hub.close();
