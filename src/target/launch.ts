/** Launchers: bring a described target up (embedded, process, container) or check it is there (external), and take it down afterwards. */
import { randomInt } from 'node:crypto';
import net from 'node:net';
import { HubcheckError } from '../errors.js';
import { loadDescriptor, type TargetDescriptor } from './descriptor.js';
import { effectiveCapabilities } from './capabilities.js';
import { resolveDescribed, type Endpoints } from './described.js';
import { DEFAULT_LIMITS, type ResolvedTarget } from './resolved.js';
import { EMBEDDED_API_RATES, EMBEDDED_CONNECT_DEADLINE_MS, EMBEDDED_CONNECTIONS_PER_ADDRESS, EMBEDDED_SUBSCRIPTIONS_PER_DEVICE, REFERENCE_HUB_BOUND_LIMITS } from './embedded-bounds.js';
import { dockerDescriptor, isDockerShortcut } from './shortcut.js';
import type { HubIdentity } from './identity.js';
import { VERSION } from '../runner/paths.js';

export interface LaunchedTarget {
  target: ResolvedTarget;
  stop(): Promise<void>;
  /** Hubs hubcheck started: resolves with a reason if the hub stops on its own before stop() (never otherwise). */
  exited?: Promise<string>;
  /** Hubs hubcheck started: the latest lines of the hub's output (stdout, and stderr marked [stderr]). */
  output?(lines?: number): string[];
  /** What is known about the hub (certify records it); a launcher that knows nothing more leaves it to launch(). */
  identity?: HubIdentity;
}

/**
 * What the reference hub does not implement yet: its embedded target claims the tencent-hub
 * profile without these, so their requirements show as not applicable rather than failed.
 */
export const REFERENCE_HUB_MISSING = [
  'rate-limits', // device connect and message rates; the cloud API's rates are api-rate-limits, which it offers
];

/** Devices per product in the embedded hub: small enough that the quota test reaches it in a second. */
const EMBEDDED_DEVICE_QUOTA = 200;
/** RRPC timeout of the embedded hub: short, so the timeout tests take a second, not ten (the hub's own default is 10 s). */
const EMBEDDED_RRPC_TIMEOUT_MS = 1000;
/** Offline-queue pacing of the embedded hub: short, so model-based runs with reconnects stay fast (the hub's own default is 500 ms). */
const EMBEDDED_OFFLINE_PACE_MS = 20;

/** `--target`: a descriptor file, docker:IMAGE[:TAG] (the reference hub's image), or nothing (the embedded hub). */
export async function descriptorFor(target: string | TargetDescriptor | undefined): Promise<TargetDescriptor> {
  if (target === undefined) return { launcher: 'embedded' };
  if (typeof target !== 'string') return target;
  // the image runs as an unprivileged user: it cannot serve firmware on port 80 (OTA-012)
  return isDockerShortcut(target) ? dockerDescriptor(target, [...REFERENCE_HUB_MISSING, 'firmware-default-port']) : loadDescriptor(target);
}

/** `long` (--long): the embedded hub keeps its own default timeouts, so the tests that wait for them wait for the real ones. */
export async function launch(d: TargetDescriptor, o: { long?: boolean } = {}): Promise<LaunchedTarget> {
  const launched = await launchBy(d, o.long ?? false);
  launched.identity ??= { name: launched.target.name, launcher: launched.target.launcher };
  return launched;
}

async function launchBy(d: TargetDescriptor, long: boolean): Promise<LaunchedTarget> {
  switch (d.launcher) {
    case 'embedded': return launchEmbedded(d, long);
    case 'process': return (await import('./process.js')).launchProcess(d);
    case 'container': return (await import('./container.js')).launchContainer(d);
    default: return launchExternal(d);
  }
}

/**
 * A loopback address of the embedded hub's own on which this process may listen on port 80, for firmware URLs without a
 * port (OTA-012): 127.x.y.z with x > 0, so runs in parallel (and anything on 127.0.0.1:80) do not collide. Linux routes
 * all of 127/8 to the loopback interface; elsewhere, or without the right to listen on 80, there is none.
 */
async function firmwareLoopback(): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const host = `127.${1 + randomInt(254)}.${randomInt(256)}.${1 + randomInt(254)}`;
    const code = await new Promise<string | undefined>((resolve) => {
      const server = net.createServer();
      server.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'ERROR'));
      server.listen(80, host, () => server.close(() => resolve(undefined)));
    });
    if (code === undefined) return host;
    if (code !== 'EADDRINUSE') return undefined; // EACCES: not allowed to listen on 80
  }
  return undefined;
}

async function launchEmbedded(d: TargetDescriptor, long: boolean): Promise<LaunchedTarget> {
  const { startHub } = await import('../../hub/index.js');
  const firmwareHost = await firmwareLoopback();
  const devicesPerProduct = d.embedded?.devicesPerProduct ?? EMBEDDED_DEVICE_QUOTA;
  const faults = d.embedded?.faults ?? [];
  const rrpcTimeoutMs = d.limits?.rrpcTimeoutMs ?? (long ? DEFAULT_LIMITS.rrpcTimeoutMs : EMBEDDED_RRPC_TIMEOUT_MS);
  const offlinePaceMs = d.limits?.offlinePaceMs ?? (long ? DEFAULT_LIMITS.offlinePaceMs : EMBEDDED_OFFLINE_PACE_MS);
  const bounds = {
    subscriptionsPerDevice: d.limits?.subscriptionsPerDevice ?? EMBEDDED_SUBSCRIPTIONS_PER_DEVICE,
    connectionsPerAddress: d.limits?.connectionsPerAddress ?? EMBEDDED_CONNECTIONS_PER_ADDRESS,
    connectDeadlineMs: d.limits?.connectDeadlineMs ?? EMBEDDED_CONNECT_DEADLINE_MS,
    apiRates: d.limits?.apiRates ?? EMBEDDED_API_RATES,
  };
  const options = {
    faults, quotas: { devicesPerProduct }, rrpcTimeoutMs, testClock: true, offlinePaceMs,
    maxSubscriptionsPerDevice: bounds.subscriptionsPerDevice, maxConnectionsPerAddress: bounds.connectionsPerAddress,
    connectDeadlineMs: bounds.connectDeadlineMs, apiRates: bounds.apiRates,
    ...(d.embedded?.maxConnections !== undefined ? { maxConnections: d.embedded.maxConnections } : {}),
    ...(firmwareHost ? { firmwarePort: 80, firmwareHost } : {}),
  };
  const workers = d.embedded?.workers ?? 1;
  let hub: { endpoints: { mqtt: string; ws: string; api: string; mqtts: string; wss: string; https: string; coap?: string; coaps?: string }; tls: { caCert: string }; credentials: { secretId: string; secretKey: string }; close(): Promise<void> };
  try {
    if (workers > 1) {
      // A cluster of hub processes sharing the Redis at embedded.redis (hub/cluster/); the bounds are per worker.
      const { startCluster } = await import('../../hub/cluster/primary.js');
      const cluster = await startCluster({ workers, options: { ...options, redisUrl: d.embedded!.redis! }, log: () => {} });
      hub = { ...cluster.ready, close: () => cluster.stop() };
    } else {
      const { startHub } = await import('../../hub/index.js');
      hub = await startHub(options);
    }
  } catch (e) {
    throw new HubcheckError('HUB_START', `the embedded reference hub did not start: ${(e as Error).message}`, { cause: e });
  }
  const connectPacketBytes = REFERENCE_HUB_BOUND_LIMITS.connectPacketBytes;
  return {
    target: {
      name: d.name ?? (faults.length ? `reference hub (faults: ${faults.join(', ')})` : workers > 1 ? `reference hub (${workers} workers)` : 'reference hub (embedded)'),
      launcher: 'embedded',
      profile: d.profile ?? 'tencent-hub',
      endpoints: { ...hub.endpoints, http: hub.endpoints.api }, // the gateway shares the API port
      tls: { ca: hub.tls.caCert },
      cloudApi: { ...hub.credentials, region: 'ap-guangzhou' },
      capabilities: effectiveCapabilities(d.profile ?? 'tencent-hub', {
        missing: [...new Set([...REFERENCE_HUB_MISSING, ...(firmwareHost ? [] : ['firmware-default-port']), ...(hub.endpoints.coap ? [] : ['coap']), ...(hub.endpoints.coaps ? [] : ['coap-dtls']), ...(d.capabilities?.missing ?? [])])],
        extra: d.capabilities?.extra,
      }, 'embedded target'),
      limits: { ...DEFAULT_LIMITS, ...d.limits, devicesPerProduct, rrpcTimeoutMs, offlinePaceMs, ...bounds, connectPacketBytes },
      faults,
      claimedLimits: Object.keys(d.limits ?? {}),
    },
    stop: () => hub.close(),
    // The reference hub ships inside hubcheck: its version is hubcheck's.
    identity: { name: d.name ?? (faults.length ? `reference hub (faults: ${faults.join(', ')})` : 'reference hub (embedded)'), launcher: 'embedded', version: VERSION },
  };
}

async function launchExternal(d: TargetDescriptor): Promise<LaunchedTarget> {
  // The schema guarantees these for external targets.
  const endpoints = d.endpoints as Endpoints;
  await Promise.all([reachable('endpoints.mqtt', endpoints.mqtt), ...(endpoints.api ? [reachable('endpoints.api', endpoints.api)] : [])]);
  return { target: resolveDescribed(d, 'external', endpoints, `external hub at ${endpoints.mqtt}`), stop: async () => {} };
}

/** Resolves when a TCP connection to the URL's host and port opens within 3 s. */
export function reachable(field: string, url: string, timeoutMs = 3000): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new HubcheckError('TARGET_UNREACHABLE', `${field} ${url} does not answer (${why}); start the hub or correct the endpoint`));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer in ${timeoutMs} ms`));
    socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    socket.once('connect', () => { socket.end(); resolve(); });
  });
}
