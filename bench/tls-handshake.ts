// Benchmark: the reference hub's TLS handshake cost (server CPU per handshake → handshakes per second on one core) for
// server-certificate TLS 1.2/1.3, mutual TLS with a device certificate, and TLS-PSK; plus which versions and suites it accepts.
// The hub runs in a child process so its CPU time is measured apart from the clients'.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import tls from 'node:tls';

const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 400);
const CONCURRENCY = 4;

interface Setup { mqtts: string; ca: string; psk: { identity: string; key: string }; cert: { cert: string; key: string } }

async function serve(): Promise<void> {
  const { startHub } = await import('../hub/index.js');
  const { CloudApi } = await import('../src/client/cloud-api.js');
  const hub = await startHub({});
  const api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
  const k = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: 'bench_tls_key' });
  const kd = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId: k.ProductId, DeviceName: 'psk' });
  const c = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: 'bench_tls_cert', ProductProperties: { EncryptionType: '1' } });
  const cd = await api.call<{ DeviceCert: string; DevicePrivateKey: string }>('CreateDevice', { ProductId: c.ProductId, DeviceName: 'cert' });
  const setup: Setup = {
    mqtts: hub.endpoints.mqtts, ca: hub.tls.caCert,
    psk: { identity: `${k.ProductId}psk`, key: kd.DevicePsk },
    cert: { cert: cd.DeviceCert, key: cd.DevicePrivateKey },
  };
  process.stdout.write(JSON.stringify(setup) + '\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'cpu') process.stdout.write(JSON.stringify(process.cpuUsage()) + '\n');
    if (line === 'stop') break;
  }
  await hub.close();
  process.stdin.destroy();
}

function handshake(url: URL, o: tls.ConnectionOptions): Promise<{ protocol: string | null; cipher: string } | string> {
  return new Promise((resolve) => {
    let s: tls.TLSSocket;
    try {
      s = tls.connect({ host: url.hostname, port: Number(url.port), ...o });
    } catch (e) {
      return resolve((e as NodeJS.ErrnoException).code ?? (e as Error).message); // a suite this OpenSSL cannot offer
    }
    const timer = setTimeout(() => { s.destroy(); resolve('timeout'); }, 5000);
    s.once('secureConnect', () => { clearTimeout(timer); const r = { protocol: s.getProtocol(), cipher: s.getCipher().name }; s.destroy(); resolve(r); });
    s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); resolve(e.code ?? e.message); });
  });
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as unknown;
  const setup = (await next()) as Setup;
  const url = new URL(setup.mqtts);
  const psk = { identity: setup.psk.identity, key: Buffer.from(setup.psk.key, 'base64') };
  const pskOpts = { pskCallback: () => ({ identity: psk.identity, psk: psk.key }), checkServerIdentity: () => undefined, maxVersion: 'TLSv1.2' as const };
  const modes: [string, tls.ConnectionOptions][] = [
    ['server cert, TLS 1.2 (ECDHE-ECDSA P-256)', { ca: setup.ca, maxVersion: 'TLSv1.2' }],
    ['server cert, TLS 1.3', { ca: setup.ca, minVersion: 'TLSv1.3' }],
    ['mutual TLS 1.2, RSA-2048 device cert', { ca: setup.ca, maxVersion: 'TLSv1.2', ...setup.cert }],
    ['mutual TLS 1.3, RSA-2048 device cert', { ca: setup.ca, minVersion: 'TLSv1.3', ...setup.cert }],
    ['TLS-PSK, PSK-AES128-CBC-SHA', { ...pskOpts, ciphers: 'PSK-AES128-CBC-SHA' }],
  ];
  const rows: { name: string; perCore: number; wall: number }[] = [];
  for (const [name, o] of modes) {
    const first = await handshake(url, o);
    if (typeof first === 'string') throw new Error(`${name}: handshake failed: ${first}`);
    child.stdin!.write('cpu\n');
    const before = (await next()) as NodeJS.CpuUsage;
    const started = process.hrtime.bigint();
    let done = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (done < HANDSHAKES) { done++; const r = await handshake(url, o); if (typeof r === 'string') throw new Error(`${name}: ${r}`); }
    }));
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    child.stdin!.write('cpu\n');
    const after = (await next()) as NodeJS.CpuUsage;
    const cpuS = (after.user - before.user + after.system - before.system) / 1e6;
    rows.push({ name: `${name} [${first.protocol} ${first.cipher}]`, perCore: HANDSHAKES / cpuS, wall: HANDSHAKES / wallS });
  }
  // Baseline: the first mode (server-certificate TLS 1.2), measured in the same run.
  console.log(`\nTLS handshakes against the reference hub, ${HANDSHAKES} per mode, ${CONCURRENCY} at a time, no session resumption`);
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(86)} ${r.perCore.toFixed(0).padStart(6)} /s per hub core  ${r.wall.toFixed(0).padStart(6)} /s wall  ${(r.perCore / rows[0]!.perCore).toFixed(2)}× baseline`);
  }

  // Which versions and suites the hub accepts (each offered alone).
  const accepted: string[] = [];
  for (const version of ['TLSv1', 'TLSv1.1', 'TLSv1.2'] as const) {
    for (const cipher of tls.getCiphers().map((c) => c.toUpperCase())) {
      const isPsk = cipher.includes('PSK');
      const r = await handshake(url, { ...(isPsk ? pskOpts : { ca: setup.ca }), minVersion: version, maxVersion: version, ciphers: `${cipher}:@SECLEVEL=0` });
      if (typeof r !== 'string' && r.protocol === version) accepted.push(`${version} ${r.cipher}`);
    }
  }
  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
    const r = await handshake(url, { ca: setup.ca, minVersion: 'TLSv1.3', ciphers: suite });
    if (typeof r !== 'string' && r.cipher === suite) accepted.push(`TLSv1.3 ${suite}`);
  }
  console.log(`\naccepted (version, suite), ${accepted.length}:\n  ${accepted.join('\n  ')}`);
  child.stdin!.end('stop\n');
  await new Promise((r) => child.once('exit', r));
}

if (process.argv.includes('--serve')) await serve();
else await main();
