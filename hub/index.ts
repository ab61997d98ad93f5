// The reference hub: startHub() wires the registry, the MQTT policy hooks, the broker listeners and the cloud API.

import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { createAcl } from './acl/index.js';
import { startCoapEndpoint, type CoapEndpoint } from './coap/endpoint.js';
import { relayBuilt, startDtlsRelay, type DtlsRelay } from './coap/dtls/relay.js';
import { createConnectPolicy } from './auth/connect.js';
import { Sessions } from './auth/sessions.js';
import { ACTIONS } from './api/actions/index.js';
import type { Action } from './api/context.js';
import { createApiServer } from './api/server.js';
import { listen, startBroker, type RunningBroker } from './broker.js';
import { FAULTS, parseFaults } from './faults.js';
import { DEFAULT_PACKET_CAPS } from './bounds/packet-gate.js';
import { rateLimitActions } from './bounds/rates.js';
import { sharedTally, type SharedTally } from './bounds/shared-connections.js';
import { redisBuckets } from './bounds/shared-rates.js';
import {
  DEFAULT_API_RATES, DEFAULT_CONNECT_DEADLINE_MS, DEFAULT_DEVICES_PER_PRODUCT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_SUBSCRIPTIONS_PER_DEVICE, DEFAULT_PRODUCTS_PER_ACCOUNT,
} from './limits.js';
import { newApiCredentials } from './registry/ids.js';
import { Registry } from './registry/index.js';
import { TurnWrites } from './registry/turn-writes.js';
import { createClock, type Clock } from './clock.js';
import { advanceTestClockAction } from './qos/clock-action.js';
import { checkPaceMs, createQos, type Qos } from './qos/index.js';
import { clusterBus, soloBus } from './cluster/bus.js';
import { clusterEmitter } from './cluster/mq.js';
import { Presence } from './cluster/presence.js';
import { memoryBackend } from './qos/durable/backend.js';
import { sqliteBackend } from './qos/durable/sqlite.js';
import { createServiceContext } from './services/context.js';
import { SERVICES } from './services/index.js';
import { DEFAULT_RRPC_TIMEOUT_MS } from './services/rrpc/timeout.js';
import { firmwareBaseUrl } from './services/ota/index.js';
import { checkFirmwareBaseUrl } from './services/ota/url.js';
import type { HttpRoute, HubService } from './services/types.js';
import { TlsAuthority } from './tls/authority.js';
import { createHttpsEndpoint } from './tls/https.js';
import { serverNames } from './tls/names.js';
import { serverOptions, verifySecured } from './tls/transport.js';

export { FAULTS } from './faults.js';

export interface HubOptions {
  host?: string;
  mqttPort?: number;
  wsPort?: number;
  apiPort?: number;
  dataFile?: string;
  /**
   * Keep persistent sessions in Redis (`redis://host:port/db`, `--redis`, env HUB_REDIS) instead of the dataFile or
   * memory; the registry stays in dataFile (give both, or the devices are gone after a restart).
   */
  redisUrl?: string;
  secretId?: string;
  secretKey?: string;
  faults?: string[];
  quotas?: { productsPerAccount?: number; devicesPerProduct?: number };
  now?: () => number;
  log?: (line: string) => void;
  /** How long PublishRRPCMessage waits for the device's answer (default 10 000 ms: seed §1.3.2; see hub/README.md). */
  rrpcTimeoutMs?: number;
  /** Serve the test-only cloud action AdvanceTestClock (the test-clock capability; `--test-clock`). Default false. */
  testClock?: boolean;
  /** Interval between stored QoS 1 messages resent after a reconnect (default 500 ms, protocol.md §1.8); tests set it low. */
  offlinePaceMs?: number;
  /** CoAP over UDP as the C SDK speaks it (hub/coap/; default 0: a free port; the CLI uses 5683); false: not served. */
  coapPort?: number | false;
  /** CoAP over DTLS-PSK (default 0: a free port; the CLI uses 5684), served when the relay is built (hub/coap/dtls/build.sh); false: never. */
  coapsPort?: number | false;
  /** MQTT over TLS (default 0: a free port; the CLI uses 8883) and MQTT over secure WebSocket at /mqtt (CLI 8443). */
  tlsPort?: number;
  wssPort?: number;
  /** The CA (PEM certificate and its private key) that issues the server and device certificates; default: created at first start and kept in the registry. */
  tls?: { caCert: string; caKey: string };
  /** The device HTTP endpoints (gateway, log upload, firmware downloads, registration) over HTTPS (default 0: a free port; 443 for the official SDKs). */
  httpsPort?: number;
  /** More names for the server certificate (`--tls-hostname`), besides the listen host, loopback names and the SDKs' Tencent device domains (hub/tls/names.ts). */
  tlsHostnames?: string[];
  /**
   * Where firmware download URLs (update_firmware, GetCOSURL) start, e.g. http://firmware.example.com behind a proxy
   * on port 80; a default port is left out (OTA-012). Default: the firmware listener's URL, else the cloud API's.
   */
  firmwareBaseUrl?: string;
  /** Also serve firmware downloads, and nothing else, on this port (80 gives URLs without a port) of firmwareHost (default: host). */
  firmwarePort?: number;
  firmwareHost?: string;
  /** Open MQTT connections in total (default 50 000) and from one source address (default 1000); more are closed unread (LIM-014). */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** How long after a socket is accepted its whole CONNECT must have arrived (default 5000 ms, LIM-015). */
  connectDeadlineMs?: number;
  /** Subscriptions one device may hold (default 1000); a SUBSCRIBE past it gets 0x80 for the extra filters (LIM-013). */
  maxSubscriptionsPerDevice?: number;
  /**
   * Cloud API requests per second per SecretId and action (API-035); default DEFAULT_API_RATES in hub/limits.ts
   * (CreateDevice 100, CreateProduct 20, PublishRRPCMessage 20, PublishMessage 300). Actions not named are not limited;
   * `{}` limits none.
   */
  apiRates?: Record<string, number>;
  /**
   * Run as one worker of a hub cluster (hub/cluster/primary.ts starts them): the registry file is shared with the
   * other workers, and messages, persistent sessions and control events go through Redis. Needs dataFile and redisUrl.
   */
  cluster?: {
    workerId: string;
    /** Ports only this worker serves (MQTT over TCP and the cloud API), so a test or an operator can reach one worker. */
    direct?: { mqttPort: number; apiPort: number };
  };
}

export interface RunningHub {
  endpoints: { mqtt: string; ws: string; api: string; mqtts: string; wss: string; https: string; coap?: string; coaps?: string };
  credentials: { secretId: string; secretKey: string };
  /** The CA certificate (PEM) clients trust for mqtts:// and wss://; it also issues platform device certificates. */
  tls: { caCert: string };
  faults: string[];
  /** The hub's clock (advance it to test limits measured in hours). */
  clock: Clock;
  /** Where firmware download URLs start (no port when the firmware server is on the scheme's default port). */
  firmwareBaseUrl: string;
  /** The resource bounds in force (hub/limits.ts defaults, or the options given). */
  bounds: {
    connectPacketBytes: number;
    subscriptionsPerDevice: number;
    connections: number;
    connectionsPerAddress: number;
    connectDeadlineMs: number;
    apiRates: Record<string, number>;
  };
  /** MQTT sockets open now, as the connection bounds count them. */
  readonly openConnections: number;
  close(): Promise<void>;
}

/** Every action and HTTP route the core API and the device services serve; a name served twice is a wiring bug. */
function serviceTables(services: readonly HubService[]): { actions: Record<string, Action>; routes: Record<string, HttpRoute> } {
  const actions: Record<string, Action> = { ...ACTIONS };
  const routes: Record<string, HttpRoute> = {};
  for (const service of services) {
    for (const [name, action] of Object.entries(service.actions ?? {})) {
      if (actions[name]) throw new Error(`service ${service.name}: action ${name} is already served`);
      actions[name] = action;
    }
    for (const [path, route] of Object.entries(service.http ?? {})) {
      if (routes[path]) throw new Error(`service ${service.name}: HTTP route ${path} is already served`);
      routes[path] = route;
    }
  }
  return { actions, routes };
}

function checkPort(name: string, value: number | undefined, fallback: number): number {
  const port = value ?? fallback;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be an integer from 0 to 65535 (got ${String(value)})`);
  return port;
}

function checkTimeout(name: string, value: number | undefined, fallback: number): number {
  const ms = value ?? fallback;
  if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) throw new Error(`${name} must be an integer number of milliseconds from 1 to 600000 (got ${String(value)})`);
  return ms;
}

function checkCount(name: string, value: number | undefined, fallback: number, max = 10_000_000): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be an integer from 1 to ${max} (got ${String(value)})`);
  return n;
}

function checkRates(value: Record<string, number> | undefined): Record<string, number> {
  const rates = value ?? DEFAULT_API_RATES;
  if (typeof rates !== 'object' || rates === null || Array.isArray(rates)) throw new Error('apiRates must be an object of action names to requests per second, e.g. { CreateDevice: 100 }');
  for (const [action, rate] of Object.entries(rates)) {
    if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(action)) throw new Error(`apiRates: ${JSON.stringify(action)} is not an action name (e.g. CreateDevice)`);
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0 || rate > 1_000_000) throw new Error(`apiRates.${action} must be a number of requests per second above 0 and at most 1000000 (got ${String(rate)})`);
  }
  return { ...rates };
}

function checkQuota(name: string, value: number | undefined, fallback: number): number {
  const q = value ?? fallback;
  if (!Number.isInteger(q) || q < 0) throw new Error(`quotas.${name} must be a non-negative integer (got ${String(value)})`);
  return q;
}

/** Registry meta key of the retention clock's test offset (ms), see createClock. */
const CLOCK_OFFSET_KEY = 'clock-offset-ms';

/** The registry (and session) file; one that is not an SQLite database, or cannot be opened, is refused by name. */
function openRegistry(dataFile: string | undefined, shared: boolean): Registry {
  if (dataFile === undefined) return new Registry(':memory:');
  if (dataFile === '' || dataFile === ':memory:') throw new Error(`dataFile must name a file (got ${JSON.stringify(dataFile)}); leave it out for an in-memory hub`);
  const folder = dirname(resolve(dataFile));
  if (!existsSync(folder)) throw new Error(`--data ${dataFile}: its folder ${folder} does not exist; create it, or give a path in an existing folder`);
  try {
    return new Registry(dataFile, shared);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new Error(`--data ${dataFile}: it is not an SQLite database the hub wrote (corrupt, or another kind of file) [${code}]; move it away to start with an empty file, or restore it from a backup`);
    }
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
      throw new Error(`--data ${dataFile}: it cannot be opened for reading and writing [${code}]; check the permissions of the file and of its folder`);
    }
    throw new Error(`--data ${dataFile}: cannot open it: ${(e as Error).message}${code ? ` [${code}]` : ''}`);
  }
}

/** Credentials: given ones win; a file-backed hub otherwise keeps the ones it generated the first time. */
function apiCredentials(registry: Registry, options: HubOptions): { secretId: string; secretKey: string } {
  if ((options.secretId === undefined) !== (options.secretKey === undefined)) {
    throw new Error('secretId and secretKey must be given together');
  }
  if (options.secretId !== undefined && options.secretKey !== undefined) {
    if (!options.secretId || !options.secretKey) throw new Error('secretId and secretKey must not be empty');
    return { secretId: options.secretId, secretKey: options.secretKey };
  }
  const stored = registry.getMeta('api-credentials');
  if (stored) return JSON.parse(stored) as { secretId: string; secretKey: string };
  const fresh = newApiCredentials();
  registry.setMeta('api-credentials', JSON.stringify(fresh));
  return fresh;
}

export async function startHub(options: HubOptions = {}): Promise<RunningHub> {
  const faults = parseFaults(options.faults);
  const host = options.host ?? '127.0.0.1';
  const mqttPort = checkPort('mqttPort', options.mqttPort, 0);
  const wsPort = checkPort('wsPort', options.wsPort, 0);
  const apiPort = checkPort('apiPort', options.apiPort, 0);
  const tlsPort = checkPort('tlsPort', options.tlsPort, 0);
  const wssPort = checkPort('wssPort', options.wssPort, 0);
  const httpsPort = checkPort('httpsPort', options.httpsPort, 0);
  const coapPort = options.coapPort === false ? undefined : checkPort('coapPort', options.coapPort, 0);
  // the relay reaches the CoAP port over 127.0.0.1, so DTLS is served where the hub listens on it (or on every IPv4 address)
  const relayCanReach = host === '127.0.0.1' || host === '0.0.0.0';
  const coapsPort = coapPort === undefined || options.coapsPort === false || !relayBuilt() || !relayCanReach ? undefined : checkPort('coapsPort', options.coapsPort, 0);
  const quotas = {
    productsPerAccount: checkQuota('productsPerAccount', options.quotas?.productsPerAccount, DEFAULT_PRODUCTS_PER_ACCOUNT),
    devicesPerProduct: checkQuota('devicesPerProduct', options.quotas?.devicesPerProduct, DEFAULT_DEVICES_PER_PRODUCT),
  };
  const settings = {
    rrpcTimeoutMs: checkTimeout('rrpcTimeoutMs', options.rrpcTimeoutMs, DEFAULT_RRPC_TIMEOUT_MS),
    devicesPerProduct: quotas.devicesPerProduct,
    ...(options.firmwareBaseUrl !== undefined ? { firmwareBaseUrl: checkFirmwareBaseUrl('firmwareBaseUrl', options.firmwareBaseUrl) } : {}),
    ...(options.firmwarePort !== undefined ? { firmwareListen: { host: options.firmwareHost ?? host, port: checkPort('firmwarePort', options.firmwarePort, 0) } } : {}),
  };
  const bounds = {
    packets: DEFAULT_PACKET_CAPS,
    connections: {
      maxConnections: checkCount('maxConnections', options.maxConnections, DEFAULT_MAX_CONNECTIONS),
      maxConnectionsPerAddress: checkCount('maxConnectionsPerAddress', options.maxConnectionsPerAddress, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
      connectDeadlineMs: checkTimeout('connectDeadlineMs', options.connectDeadlineMs, DEFAULT_CONNECT_DEADLINE_MS),
    },
  };
  const maxSubscriptions = checkCount('maxSubscriptionsPerDevice', options.maxSubscriptionsPerDevice, DEFAULT_MAX_SUBSCRIPTIONS_PER_DEVICE);
  const apiRates = checkRates(options.apiRates);
  checkPaceMs(options.offlinePaceMs); // before any connection to a session backend is opened
  const clustered = options.cluster !== undefined;
  if (clustered && (!options.dataFile || options.redisUrl === undefined)) throw new Error('a cluster worker needs dataFile (the shared registry) and redisUrl (sessions and routing)');
  const registry = openRegistry(options.dataFile, clustered);
  // The retention clock's test offset is kept with --data: stored sessions and messages carry times on that clock,
  // so a restart must not move it back (an advanced 25 h would otherwise be undone and expired sessions revived).
  const savedOffset = Number(registry.getMeta(CLOCK_OFFSET_KEY) ?? 0);
  const clock = createClock(options.now ?? Date.now, {
    offsetMs: Number.isFinite(savedOffset) && savedOffset > 0 ? savedOffset : 0,
    ...(options.dataFile ? { onAdvance: (offsetMs: number) => registry.setMeta(CLOCK_OFFSET_KEY, String(offsetMs)) } : {}),
    // the workers of a cluster share one clock: an advance through any of them holds on all at once
    ...(clustered ? { readOffset: () => Number(registry.getMeta(CLOCK_OFFSET_KEY) ?? 0) || 0 } : {}),
  });
  const nowMs = () => clock.wall(); // login expiry, API timestamps, certificates: the clients' time (hub/clock.ts)
  const nowSeconds = () => Math.floor(nowMs() / 1000);
  const tables = serviceTables(SERVICES);
  if (options.testClock) tables.actions['AdvanceTestClock'] = advanceTestClockAction(clock);
  const started: HubService[] = [];
  const log = options.log ?? (() => {});
  let broker: RunningBroker | undefined;
  let api: Server | undefined;
  let qos: Qos | undefined;
  let https: Server | undefined;
  let coap: CoapEndpoint | undefined;
  let dtls: DtlsRelay | undefined;
  let mq: Awaited<ReturnType<typeof clusterEmitter>> | undefined;
  let directApi: Server | undefined;
  let tally: SharedTally | undefined;
  try {
    // Persistent sessions live in Redis with --redis, else in the --data file (hub/qos/durable/), else in memory as before.
    // In a cluster they are shared by the workers in Redis (hub/qos/durable/shared.ts).
    const shared = options.cluster ? await (await import('./qos/durable/shared.js')).openShared(options.redisUrl!, options.cluster.workerId, log) : undefined;
    const backend = shared ? memoryBackend
      : options.redisUrl !== undefined ? await (await import('./qos/durable/redis.js')).redisBackend(options.redisUrl, log)
      : options.dataFile ? sqliteBackend(registry.db) : memoryBackend;
    const presence = options.cluster ? new Presence(registry.db, options.cluster.workerId) : undefined;
    const writes = new TurnWrites(registry.db, log);
    const sessions = new Sessions(registry, nowSeconds, log, writes, presence);
    const peers = { loggedIn: (c: import('aedes').Client) => sessions.get(c) !== undefined, othersOf: (c: import('aedes').Client) => sessions.othersOf(c) };
    qos = createQos({ clock, faults, log, backend, ...(shared ? { shared: { sessions: shared, peers } } : {}), ...(options.offlinePaceMs !== undefined ? { paceMs: options.offlinePaceMs } : {}) });
    const credentials = apiCredentials(registry, options);
    mq = options.cluster ? await clusterEmitter(options.redisUrl!) : undefined;
    // LIM-014: a cluster's connections are counted across its workers, in Redis
    tally = mq && options.cluster ? sharedTally(mq.pubConn, options.cluster.workerId) : undefined;
    await tally?.clear();
    const connectionBounds = { ...bounds.connections, ...(tally ? { tally } : {}) };
    const acl = createAcl({ registry, sessions, faults, log, maxSubscriptions });
    let attach: ((client: import('aedes').Client) => void) | undefined;
    // TLS-019..TLS-021: the SDKs' device domains too, so clients that check the server name accept the hub given its CA.
    const certHosts = serverNames(host, options.tlsHostnames ?? [], !faults.has('tls-server-names-missing'));
    const given = options.tls && { cert: options.tls.caCert, key: options.tls.caKey };
    const authority = await TlsAuthority.open(registry, given, certHosts, nowMs());
    const tlsDeps = { authority, registry, faults, nowMs, log };
    broker = await startBroker({
      secure: { tlsPort, wssPort, tlsOptions: serverOptions(tlsDeps, true), wssOptions: serverOptions(tlsDeps, false), verify: (s) => verifySecured(s, tlsDeps) },
      host,
      mqttPort,
      ...(options.cluster?.direct ? { directMqttPort: options.cluster.direct.mqttPort } : {}),
      wsPort,
      hooks: { ...createConnectPolicy({ registry, sessions, faults, nowMs, log }), ...acl.hooks, ...(mq ? { mq } : {}) },
      faults,
      bounds: { ...bounds, connections: connectionBounds },
      install: (b) => {
        attach = acl.install(b);
        return qos!.install(b); // persistent sessions, offline queue, in-flight window (hub/qos/)
      },
      attach: (client) => {
        attach!(client);
        qos!.attach(client);
      },
      log,
    });
    const bus = options.cluster ? clusterBus(broker.broker, options.cluster.workerId, log) : soloBus();
    sessions.joinCluster(bus);
    const hub = createServiceContext({ broker: broker.broker, registry, sessions, faults, clock, settings, bus, log });
    for (const service of SERVICES) {
      await service.start?.(hub);
      started.push(service);
    }
    if (coapPort !== undefined) coap = await startCoapEndpoint({ ctx: hub, host, port: coapPort, faults, log });
    if (coap && coapsPort !== undefined) dtls = await startDtlsRelay({ host, port: coapsPort, coap, registry, log });
    api = createApiServer({ ctx: { registry, sessions, quotas, nowSeconds, log, hub }, credentials, routes: tables.routes, actions: rateLimitActions(tables.actions, apiRates, faults, ...(mq ? [redisBuckets(mq.pubConn, log)] : [])) });
    const boundApiPort = await listen(api, apiPort, host, 'the cloud API');
    if (options.cluster?.direct) {
      // the same handler on a port of this worker's own (closed with the API server's connections at close)
      const own = createHttpServer((req, res) => api!.emit('request', req, res));
      directApi = own;
      await listen(own, options.cluster.direct.apiPort, host, "this worker's own cloud API port");
    }
    https = createHttpsEndpoint({ plain: api, tlsOptions: serverOptions(tlsDeps, false), faults, log });
    const boundHttpsPort = await listen(https, httpsPort, host, 'the device HTTP endpoints over HTTPS');
    const url = (scheme: string, port: number, path = '') => `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
    const endpoints = {
      mqtt: url('mqtt', broker.mqttPort),
      ws: url('ws', broker.wsPort, '/mqtt'),
      api: url('http', boundApiPort),
      mqtts: url('mqtts', broker.tlsPort!),
      wss: url('wss', broker.wssPort!, '/mqtt'),
      https: url('https', boundHttpsPort),
      ...(coap ? { coap: url('coap', coap.port) } : {}),
      ...(dtls ? { coaps: url('coaps', dtls.port) } : {}),
    };
    hub.apiUrl = endpoints.api;
    const firmware = firmwareBaseUrl(hub) ?? endpoints.api;
    log(`hub: MQTT ${endpoints.mqtt}, TLS ${endpoints.mqtts}, WebSocket ${endpoints.ws}, WSS ${endpoints.wss}, API ${endpoints.api}, HTTPS ${endpoints.https}${coap ? `, CoAP ${url('coap', coap.port)}` : ''}${dtls ? `, CoAP/DTLS ${url('coaps', dtls.port)}` : ''}, firmware ${firmware}; faults: ${[...faults].join(', ') || 'none'}`);

    let closing: Promise<void> | undefined;
    const runningBroker = broker;
    const runningQos = qos;
    const apiServer = api;
    const httpsServer = https;
    const sharedCounts = tally;
    const turnWrites = writes;
    const coapEndpoint = coap;
    const dtlsRelay = dtls;
    return {
      endpoints,
      credentials,
      tls: { caCert: authority.ca.cert },
      faults: [...faults],
      clock,
      firmwareBaseUrl: firmware,
      bounds: {
        connectPacketBytes: bounds.packets.connectBytes,
        subscriptionsPerDevice: maxSubscriptions,
        connections: bounds.connections.maxConnections,
        connectionsPerAddress: bounds.connections.maxConnectionsPerAddress,
        connectDeadlineMs: bounds.connections.connectDeadlineMs,
        apiRates: { ...apiRates },
      },
      get openConnections() {
        return runningBroker.openConnections;
      },
      close() {
        closing ??= (async () => {
          const apiClosed = new Promise<void>((resolve) => apiServer.close(() => resolve()));
          apiServer.closeAllConnections();
          directApi?.closeAllConnections();
          directApi?.close();
          const httpsClosed = new Promise<void>((resolve) => httpsServer.close(() => resolve()));
          httpsServer.closeAllConnections();
          await dtlsRelay?.close();
          await coapEndpoint?.close();
          for (const service of started.reverse()) await service.close?.();
          // the counts go while Redis is still connected (the broker closes the connection); closes counted after are no-ops
          await sharedCounts?.clear().catch((e: Error) => log(`mqtt: cannot clear this worker's connection counts: ${e.message}`));
          await runningBroker.close();
          await runningQos.close();
          await apiClosed;
          await httpsClosed;
          turnWrites.close(); // the offline marks of the connections closed just now
          presence?.clear();
          registry.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await dtls?.close();
    await coap?.close();
    for (const service of started.reverse()) await service.close?.();
    if (api?.listening) {
      api.closeAllConnections();
      api.close();
    }
    if (https?.listening) {
      https.closeAllConnections();
      https.close();
    }
    if (directApi?.listening) {
      directApi.closeAllConnections();
      directApi.close();
    }
    await broker?.close();
    if (!broker && mq) await new Promise<void>((resolve) => mq!.close(() => resolve())); // Aedes closes its emitter
    await qos?.close();
    registry.close();
    throw err;
  }
}

/** For `--help` texts: the fault names with their one-line descriptions. */
export function describeFaults(): string {
  return Object.entries(FAULTS)
    .map(([name, what]) => `  ${name.padEnd(28)} ${what}`)
    .join('\n');
}
