// Standalone entry of the reference hub (`hubcheck hub`): parses flags and HUB_* variables, starts the hub, stops on SIGINT/SIGTERM.

import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describeFaults, startHub, type HubOptions } from './index.js';
import { startCluster, type WorkerReady } from './cluster/primary.js';
import { isFaultName } from './faults.js';
import { checkProductId, checkServerName, hostsFileLines, isIpAddress } from './tls/names.js';
import { checkFirmwareBaseUrl, namesPort } from './services/ota/url.js';

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the hub should stop; defaults to the first SIGINT or SIGTERM. */
  stopSignal?: Promise<unknown>;
}

class UsageError extends Error {}

const USAGE = `usage: hubcheck hub [options]
  --host HOST          listen address (default 127.0.0.1; env HUB_HOST)
  --mqtt-port N        MQTT over TCP (default 1883; env HUB_MQTT_PORT)
  --ws-port N          MQTT over WebSocket at /mqtt (default 8080; env HUB_WS_PORT)
  --tls-port N         MQTT over TLS: signed logins, TLS-PSK, certificate devices (default 8883; env HUB_TLS_PORT)
  --wss-port N         MQTT over secure WebSocket at /mqtt (default 8443; env HUB_WSS_PORT)
  --ca-cert FILE       CA certificate (PEM) that issues the server and device certificates (default: created at
  --ca-key FILE        first start and kept with --data); both or neither (env HUB_CA_CERT, HUB_CA_KEY)
  --ca-file FILE       write the CA certificate clients must trust to FILE (also served at GET <api>/hub/ca.pem)
  --https-port N       the device HTTP endpoints (gateway, log upload, firmware) over HTTPS (default: a free port;
                       443 for the official SDKs; env HUB_HTTPS_PORT)
  --coap-port N        CoAP over UDP as the C SDK speaks it (default: a free port; 5683 conventionally; env HUB_COAP_PORT)
  --coaps-port N       CoAP over DTLS-PSK through the relay built by hub/coap/dtls/build.sh (default: a free port when
                       it is built; 5684 for the C SDK; env HUB_COAPS_PORT)
  --tls-hostname NAME  one more name for the server certificate, e.g. hub.example.com or *.example.com; repeatable
                       (env HUB_TLS_HOSTNAMES, comma-separated). The Tencent device domains are always named
  --print-hosts PID    print the hosts-file lines that send the official SDKs of product PID to this hub, and exit;
                       repeatable (the address is --host, or 127.0.0.1); see docs/official-sdks.md
  --api-port N         cloud API over HTTP (default 8081; env HUB_API_PORT)
  --firmware-port N    also serve firmware downloads, and nothing else, on this port (e.g. 80, so that firmware URLs
                       need no port, as the C SDK requires; env HUB_FIRMWARE_PORT)
  --firmware-base-url URL
                       where firmware URLs start, e.g. http://fw.example.com behind a proxy on port 80 (default: the
                       --firmware-port listener, else the cloud API; env HUB_FIRMWARE_BASE_URL)
  --data FILE          SQLite file for the registry and the persistent sessions, which then survive a restart
                       (default: in memory; env HUB_DATA)
  --redis URL          keep the persistent sessions in Redis instead, e.g. redis://127.0.0.1:6379/0 (the registry
                       stays in --data; env HUB_REDIS)
  --workers N          run N hub processes on the same ports, sharing the registry (--data, or a temporary file),
                       and the sessions and message routing (--redis, required); one Redis database per cluster
                       (default 1; env HUB_WORKERS)
  --cluster-worker NAME
                       run this one process as a worker of a cluster of separately started hubs (e.g. containers)
                       sharing --data (a file on a volume all of them mount) and --redis; NAME must be unique and
                       stable across restarts of the same worker, e.g. the container's hostname (env HUB_CLUSTER_WORKER)
  --secret-id ID       cloud API SecretId (default: generated; env HUB_SECRET_ID)
  --secret-key KEY     cloud API SecretKey (default: generated; env HUB_SECRET_KEY)
  --fault NAME         break one behaviour on purpose; repeatable (env HUB_FAULTS, comma-separated)
  --rrpc-timeout MS    how long PublishRRPCMessage waits for the device (default 10000; env HUB_RRPC_TIMEOUT)
  --import-devices CSV bulk-import devices (productId,deviceName,psk rows) into the --data file before starting
  --target-file FILE   write a hubcheck target descriptor for this hub (for hubcheck run --target FILE)
  --test-clock         serve the test-only cloud action AdvanceTestClock (for hubcheck's 24 h tests)
  --offline-pace MS    interval between stored messages resent after a reconnect (default 500)
  --max-connections N  open MQTT connections in total; more are closed unread (default 50000; env HUB_MAX_CONNECTIONS)
  --max-connections-per-address N
                       open MQTT connections from one source address (default 1000; raise it for load tests from one
                       address; env HUB_MAX_CONNECTIONS_PER_ADDRESS)
  --connect-deadline MS
                       a socket's whole CONNECT must arrive within MS of opening (default 5000; env HUB_CONNECT_DEADLINE)
  --max-subscriptions N
                       subscriptions one device may hold (default 1000; env HUB_MAX_SUBSCRIPTIONS)
  --api-rate ACTION=N  cloud API requests per second for ACTION; repeatable, and the rates given replace the defaults
                       (CreateDevice=100, CreateProduct=20, PublishRRPCMessage=20, PublishMessage=300); --api-rate none
                       limits no action (env HUB_API_RATES, comma-separated)
  --verbose            log every refusal and connection
faults:
${describeFaults()}`;

function port(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535 (got "${value}")`);
  return Number(value);
}

function millis(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 600_000) throw new UsageError(`${flag} must be a number of milliseconds from 1 to 600000 (got "${value}")`);
  return Number(value);
}

function count(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000_000) throw new UsageError(`${flag} must be a whole number from 1 to 10000000 (got "${value}")`);
  return Number(value);
}

/** `ACTION=N` pairs (or `none`) into a rates table; the pairs given replace the default table. */
function apiRates(flag: string, values: readonly string[]): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const v of values) {
    if (v === 'none') continue;
    const m = /^([A-Z][A-Za-z0-9]{0,63})=(\d+(?:\.\d+)?)$/.exec(v);
    if (!m || Number(m[2]) <= 0) throw new UsageError(`${flag} ${v}: expected ACTION=N with N requests per second above 0, e.g. CreateDevice=100, or none`);
    rates[m[1]!] = Number(m[2]);
  }
  return rates;
}

function serverName(flag: string, value: string): string {
  try {
    return checkServerName(value);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

function productId(flag: string, value: string): string {
  try {
    return checkProductId(value);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

function workerCount(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64) throw new UsageError(`${flag} must be a number of worker processes from 1 to 64 (got "${value}")`);
  return Number(value);
}

function redisUrl(flag: string, value: string): string {
  if (!/^rediss?:\/\/[^\s]+$/.test(value)) throw new UsageError(`${flag} must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0 (got "${value}")`);
  return value;
}

function baseUrl(flag: string, value: string): string {
  try {
    return checkFirmwareBaseUrl(flag, value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Turns argv and HUB_* variables into HubOptions (flags win over the environment). */
function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a PEM file`);
  }
}

export function parseHubArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { options: HubOptions; help: boolean; verbose: boolean; workers: number; targetFile?: string; caFile?: string; printHosts?: string[] } {
  const options: HubOptions = {
    host: env['HUB_HOST'] || '127.0.0.1',
    mqttPort: env['HUB_MQTT_PORT'] ? port('HUB_MQTT_PORT', env['HUB_MQTT_PORT']) : 1883,
    wsPort: env['HUB_WS_PORT'] ? port('HUB_WS_PORT', env['HUB_WS_PORT']) : 8080,
    tlsPort: env['HUB_TLS_PORT'] ? port('HUB_TLS_PORT', env['HUB_TLS_PORT']) : 8883,
    wssPort: env['HUB_WSS_PORT'] ? port('HUB_WSS_PORT', env['HUB_WSS_PORT']) : 8443,
    apiPort: env['HUB_API_PORT'] ? port('HUB_API_PORT', env['HUB_API_PORT']) : 8081,
  };
  if (env['HUB_DATA']) options.dataFile = env['HUB_DATA'];
  if (env['HUB_REDIS']) options.redisUrl = redisUrl('HUB_REDIS', env['HUB_REDIS']);
  if (env['HUB_SECRET_ID']) options.secretId = env['HUB_SECRET_ID'];
  if (env['HUB_SECRET_KEY']) options.secretKey = env['HUB_SECRET_KEY'];
  if (env['HUB_RRPC_TIMEOUT']) options.rrpcTimeoutMs = millis('HUB_RRPC_TIMEOUT', env['HUB_RRPC_TIMEOUT']);
  if (env['HUB_MAX_CONNECTIONS']) options.maxConnections = count('HUB_MAX_CONNECTIONS', env['HUB_MAX_CONNECTIONS']);
  if (env['HUB_MAX_CONNECTIONS_PER_ADDRESS']) options.maxConnectionsPerAddress = count('HUB_MAX_CONNECTIONS_PER_ADDRESS', env['HUB_MAX_CONNECTIONS_PER_ADDRESS']);
  if (env['HUB_CONNECT_DEADLINE']) options.connectDeadlineMs = millis('HUB_CONNECT_DEADLINE', env['HUB_CONNECT_DEADLINE']);
  if (env['HUB_MAX_SUBSCRIPTIONS']) options.maxSubscriptionsPerDevice = count('HUB_MAX_SUBSCRIPTIONS', env['HUB_MAX_SUBSCRIPTIONS']);
  if (env['HUB_API_RATES']) options.apiRates = apiRates('HUB_API_RATES', env['HUB_API_RATES'].split(',').map((r) => r.trim()).filter(Boolean));
  const rateFlags: string[] = [];
  if (env['HUB_HTTPS_PORT']) options.httpsPort = port('HUB_HTTPS_PORT', env['HUB_HTTPS_PORT']);
  if (env['HUB_COAP_PORT']) options.coapPort = port('HUB_COAP_PORT', env['HUB_COAP_PORT']);
  if (env['HUB_COAPS_PORT']) options.coapsPort = port('HUB_COAPS_PORT', env['HUB_COAPS_PORT']);
  const tlsHostnames = (env['HUB_TLS_HOSTNAMES'] ?? '').split(',').map((h) => h.trim()).filter(Boolean).map((h) => serverName('HUB_TLS_HOSTNAMES', h));
  const printHosts: string[] = [];
  if (env['HUB_FIRMWARE_PORT']) options.firmwarePort = port('HUB_FIRMWARE_PORT', env['HUB_FIRMWARE_PORT']);
  if (env['HUB_FIRMWARE_BASE_URL']) options.firmwareBaseUrl = baseUrl('HUB_FIRMWARE_BASE_URL', env['HUB_FIRMWARE_BASE_URL']);
  const faults = (env['HUB_FAULTS'] ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  let help = false;
  let verbose = false;
  let workers = env['HUB_WORKERS'] ? workerCount('HUB_WORKERS', env['HUB_WORKERS']) : 1;
  let clusterWorker = env['HUB_CLUSTER_WORKER'] || undefined;
  let targetFile: string | undefined;
  let caFile: string | undefined;
  let caCert = env['HUB_CA_CERT'] ? readPem('HUB_CA_CERT', env['HUB_CA_CERT']) : undefined;
  let caKey = env['HUB_CA_KEY'] ? readPem('HUB_CA_KEY', env['HUB_CA_KEY']) : undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value, e.g. ${flag} ${flag === '--fault' ? 'grant-qos2' : '...'}`);
      i++;
      return next;
    };
    switch (flag) {
      case '--host': options.host = value(); break;
      case '--mqtt-port': options.mqttPort = port(flag, value()); break;
      case '--ws-port': options.wsPort = port(flag, value()); break;
      case '--tls-port': options.tlsPort = port(flag, value()); break;
      case '--wss-port': options.wssPort = port(flag, value()); break;
      case '--ca-cert': caCert = readPem(flag, value()); break;
      case '--ca-key': caKey = readPem(flag, value()); break;
      case '--ca-file': caFile = value(); break;
      case '--https-port': options.httpsPort = port(flag, value()); break;
      case '--coap-port': options.coapPort = port(flag, value()); break;
      case '--coaps-port': options.coapsPort = port(flag, value()); break;
      case '--tls-hostname': tlsHostnames.push(serverName(flag, value())); break;
      case '--print-hosts': printHosts.push(productId(flag, value())); break;
      case '--api-port': options.apiPort = port(flag, value()); break;
      case '--firmware-port': options.firmwarePort = port(flag, value()); break;
      case '--firmware-base-url': options.firmwareBaseUrl = baseUrl(flag, value()); break;
      case '--data': options.dataFile = value(); break;
      case '--redis': options.redisUrl = redisUrl(flag, value()); break;
      case '--secret-id': options.secretId = value(); break;
      case '--secret-key': options.secretKey = value(); break;
      case '--fault': faults.push(value()); break;
      case '--rrpc-timeout': options.rrpcTimeoutMs = millis(flag, value()); break;
      case '--test-clock': options.testClock = true; break;
      case '--offline-pace': { const v = value(); if (!/^\d+$/.test(v) || Number(v) > 60_000) throw new UsageError(`--offline-pace must be a number of milliseconds from 0 to 60000 (got "${v}")`); options.offlinePaceMs = Number(v); break; }
      case '--max-connections': options.maxConnections = count(flag, value()); break;
      case '--max-connections-per-address': options.maxConnectionsPerAddress = count(flag, value()); break;
      case '--connect-deadline': options.connectDeadlineMs = millis(flag, value()); break;
      case '--max-subscriptions': options.maxSubscriptionsPerDevice = count(flag, value()); break;
      case '--api-rate': rateFlags.push(value()); break;
      case '--verbose': verbose = true; break;
      case '--workers': workers = workerCount(flag, value()); break;
      case '--cluster-worker': clusterWorker = value(); break;
      case '--target-file': targetFile = value(); break;
      case '--help': case '-h': help = true; break;
      default: throw new UsageError(`unknown option ${arg}; run with --help to see the options`);
    }
  }
  for (const f of faults) {
    if (!isFaultName(f)) throw new UsageError(`--fault ${f} is not a fault; use one of: ${describeFaults().split('\n').map((l) => l.trim().split(/\s+/)[0]).join(', ')}`);
  }
  if ((options.secretId === undefined) !== (options.secretKey === undefined)) {
    throw new UsageError('--secret-id and --secret-key must be given together (or neither, to generate them)');
  }
  options.faults = faults;
  if (rateFlags.length) options.apiRates = apiRates('--api-rate', rateFlags);
  if ((caCert === undefined) !== (caKey === undefined)) throw new UsageError('--ca-cert and --ca-key must be given together (or neither, to use the hub\'s own CA)');
  if (caCert !== undefined && caKey !== undefined) options.tls = { caCert, caKey };
  if (tlsHostnames.length) options.tlsHostnames = tlsHostnames;
  if (clusterWorker !== undefined) {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(clusterWorker)) throw new UsageError(`--cluster-worker must be 1-64 letters, digits or . _ : - (got "${clusterWorker}"), e.g. the container's hostname`);
    if (workers > 1) throw new UsageError('--cluster-worker and --workers do not go together: --workers starts its own workers; --cluster-worker is one worker started on its own');
    if (options.redisUrl === undefined || !options.dataFile) throw new UsageError(`--cluster-worker ${clusterWorker} needs --redis URL and --data FILE: the workers share sessions and routing through Redis and the registry through one file`);
    options.cluster = { workerId: clusterWorker };
  }
  if (workers > 1 && options.redisUrl === undefined) throw new UsageError(`--workers ${workers} needs --redis URL: the workers share persistent sessions and message routing through Redis (e.g. --redis redis://127.0.0.1:6379/0)`);
  return { options, help, verbose, workers, ...(targetFile !== undefined ? { targetFile } : {}), ...(caFile !== undefined ? { caFile } : {}), ...(printHosts.length ? { printHosts } : {}) };
}

function missingLines(missing: string[]): string[] {
  return missing.length ? ['capabilities:', `  missing: [${missing.join(', ')}]`] : [];
}

/** A target descriptor (YAML) describing this running hub as an external target. */
export function targetDescriptor(hub: { endpoints: { mqtt: string; ws: string; api: string; mqtts?: string; wss?: string; https?: string; coap?: string; coaps?: string }; credentials: { secretId: string; secretKey: string }; faults: string[]; tls?: { caCert: string }; firmwareBaseUrl?: string }): string {
  return [
    `name: ${JSON.stringify(`reference hub${hub.faults.length ? ` (faults: ${hub.faults.join(', ')})` : ''}`)}`,
    'launcher: external',
    'endpoints:',
    `  mqtt: ${hub.endpoints.mqtt}`,
    `  ws: ${hub.endpoints.ws}`,
    `  api: ${hub.endpoints.api}`,
    ...(hub.endpoints.mqtts ? [`  mqtts: ${hub.endpoints.mqtts}`] : []),
    ...(hub.endpoints.wss ? [`  wss: ${hub.endpoints.wss}`] : []),
    ...(hub.endpoints.https ? [`  https: ${hub.endpoints.https}`] : []),
    ...(hub.endpoints.coap ? [`  coap: ${hub.endpoints.coap}`] : []),
    ...(hub.endpoints.coaps ? [`  coaps: ${hub.endpoints.coaps}`] : []),
    ...(hub.tls ? ['tls:', '  ca: |', ...hub.tls.caCert.trimEnd().split('\n').map((l) => `    ${l}`)] : []),
    // OTA-012: firmware URLs naming a port cannot be fetched by the C SDK (serve firmware on 80: --firmware-port 80)
    ...missingLines([
      ...(hub.firmwareBaseUrl !== undefined && namesPort(hub.firmwareBaseUrl) ? ['firmware-default-port'] : []),
      ...(hub.endpoints.coap ? [] : ['coap']),
      ...(hub.endpoints.coaps ? [] : ['coap-dtls']),
    ]),
    'cloudApi:',
    `  secretId: ${JSON.stringify(hub.credentials.secretId)}`,
    `  secretKey: ${JSON.stringify(hub.credentials.secretKey)}`,
    '',
  ].join('\n');
}

function signals(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** What the banner and the target descriptor say about a running hub (one process, or a cluster's first worker). */
type Announced = Parameters<typeof targetDescriptor>[0] & { endpoints: WorkerReady['endpoints']; tls: { caCert: string }; firmwareBaseUrl: string };

/** Runs the hub until stopped; resolves to the process exit code (this function never calls process.exit). */
export async function runHubCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const out = io.stdout ?? ((l: string) => process.stdout.write(l + '\n'));
  const err = io.stderr ?? ((l: string) => process.stderr.write(l + '\n'));
  let parsed: ReturnType<typeof parseHubArgs>;
  // --import-devices FILE: bulk-load devices into the --data file before the hub opens it (hub/registry/bulk.ts).
  const importAt = argv.findIndex((a) => a === '--import-devices' || a.startsWith('--import-devices='));
  const importFile = importAt < 0 ? undefined : argv[importAt]!.includes('=') ? argv[importAt]!.slice(17) : argv[importAt + 1];
  if (importAt >= 0) argv = argv.filter((_, i) => i !== importAt && (argv[importAt]!.includes('=') || i !== importAt + 1));
  try {
    parsed = parseHubArgs(argv, io.env ?? process.env);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`hubcheck hub: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    out(USAGE);
    return 0;
  }
  if (parsed.printHosts) {
    const host = parsed.options.host ?? '127.0.0.1';
    for (const line of hostsFileLines(parsed.printHosts, isIpAddress(host) && host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1')) out(line);
    return 0;
  }
  if (importAt >= 0) {
    if (!importFile || importFile.startsWith('--')) { err('hubcheck hub: --import-devices needs a CSV file (productId,deviceName,psk), e.g. one from hubcheck load --make-fixtures'); return 2; }
    if (!parsed.options.dataFile) { err('hubcheck hub: --import-devices needs --data FILE: the registry file to import into'); return 2; }
    const { importDevices, BulkImportError } = await import('./registry/bulk.js');
    try {
      const r = await importDevices(parsed.options.dataFile, importFile, (n) => out(`  imported ${n} rows...`));
      out(`imported ${r.devices} devices (${r.products} new products, ${r.skipped} already there) into ${parsed.options.dataFile} in ${r.seconds.toFixed(1)} s`);
    } catch (e) {
      if (e instanceof BulkImportError) { err(`hubcheck hub: ${e.message}`); return 2; }
      throw e;
    }
  }
  const stop = io.stopSignal ?? signals();
  let hub: Announced & { close(): Promise<void> };
  if (parsed.workers > 1) {
    try {
      const running = await startCluster({ workers: parsed.workers, options: parsed.options, verbose: parsed.verbose, log: (l) => out(l) });
      void running.failed.then(async (why) => {
        err(`hubcheck hub: ${why}; stopping the cluster`);
        process.exitCode = 1;
        await running.stop();
      });
      hub = { ...running.ready, close: () => running.stop() };
    } catch (e) {
      err(`hubcheck hub: ${(e as Error).message}`);
      return 1;
    }
  } else {
    try {
      hub = await startHub({ ...parsed.options, ...(parsed.verbose ? { log: (l: string) => err(l) } : {}) });
    } catch (e) {
      err(`hubcheck hub: ${(e as Error).message}`);
      return 1;
    }
  }
  out(`reference hub running${parsed.workers > 1 ? ` as ${parsed.workers} workers` : parsed.options.cluster ? ` as cluster worker ${parsed.options.cluster.workerId}` : ''} (faults: ${hub.faults.join(', ') || 'none'})`);
  out(`  MQTT       ${hub.endpoints.mqtt}`);
  out(`  WebSocket  ${hub.endpoints.ws}`);
  out(`  MQTT/TLS   ${hub.endpoints.mqtts}  (server certificate, TLS-PSK, client certificates)`);
  out(`  WSS        ${hub.endpoints.wss}`);
  out(`  HTTPS      ${hub.endpoints.https}  (device HTTP endpoints: /device/publish, /device/reportlog, firmware)`);
  if (hub.endpoints.coap) out(`  CoAP       ${hub.endpoints.coap}  (UDP, the C SDK's CoAP device access)`);
  out(hub.endpoints.coaps ? `  CoAP/DTLS  ${hub.endpoints.coaps}  (DTLS-PSK)` : '  CoAP/DTLS  not served: build the relay with hub/coap/dtls/build.sh');
  out(`  CA cert    ${hub.endpoints.api}/hub/ca.pem${parsed.caFile ? ` (written to ${parsed.caFile})` : ''}`);
  out(`  cloud API  ${hub.endpoints.api}  (iotcloud 2018-06-14, TC3-HMAC-SHA256)`);
  out(`  firmware   ${hub.firmwareBaseUrl}/firmware/...${namesPort(hub.firmwareBaseUrl) ? '  (names a port: the C SDK cannot download from it; see --firmware-port)' : ''}`);
  out(`  SecretId   ${hub.credentials.secretId}`);
  out(`  SecretKey  ${hub.credentials.secretKey}`);
  if (parsed.caFile) {
    try {
      writeFileSync(parsed.caFile, hub.tls.caCert);
    } catch (e) {
      err(`hubcheck hub: cannot write --ca-file ${parsed.caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      await hub.close();
      return 1;
    }
  }
  if (parsed.targetFile) {
    try {
      writeFileSync(parsed.targetFile, targetDescriptor(hub));
      out(`  target descriptor written to ${parsed.targetFile}`);
    } catch (e) {
      err(`hubcheck hub: cannot write --target-file ${parsed.targetFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      await hub.close();
      return 1;
    }
  }
  out('press Ctrl-C to stop');
  await stop;
  await hub.close();
  out('reference hub stopped');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runHubCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`hubcheck hub: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
