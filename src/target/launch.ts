/** Launchers: bring a described target up (embedded) or check it is there (external), and take it down afterwards. */
import net from 'node:net';
import { HubcheckError } from '../errors.js';
import type { TargetDescriptor } from './descriptor.js';
import { effectiveCapabilities } from './capabilities.js';
import { DEFAULT_LIMITS, type ResolvedTarget } from './resolved.js';

export interface LaunchedTarget {
  target: ResolvedTarget;
  stop(): Promise<void>;
}

/**
 * What the reference hub does not implement yet: its embedded target claims the tencent-hub
 * profile without these, so their requirements show as not applicable rather than failed.
 */
export const REFERENCE_HUB_MISSING = [
  'tls', 'tls-psk', 'cert-auth', 'wss', 'offline-queue', 'inflight-window', 'rate-limits', 'test-clock', 'mqtt-subset',
  'persistent-sessions', 'shadow', 'ota', 'remote-config', 'device-log', 'broadcast', 'rrpc', 'ntp', 'http-gateway',
  'dynamic-registration', 'legacy-http', 'cloud-api-v1', 'cloud-publish', 'rules-engine',
];

/** Devices per product in the embedded hub: small enough that the quota test reaches it in a second. */
const EMBEDDED_DEVICE_QUOTA = 200;

export async function launch(d: TargetDescriptor): Promise<LaunchedTarget> {
  return d.launcher === 'embedded' ? launchEmbedded(d) : launchExternal(d);
}

async function launchEmbedded(d: TargetDescriptor): Promise<LaunchedTarget> {
  const { startHub } = await import('../../hub/index.js');
  const devicesPerProduct = d.embedded?.devicesPerProduct ?? EMBEDDED_DEVICE_QUOTA;
  const faults = d.embedded?.faults ?? [];
  let hub;
  try {
    hub = await startHub({ faults, quotas: { devicesPerProduct } });
  } catch (e) {
    throw new HubcheckError('HUB_START', `the embedded reference hub did not start: ${(e as Error).message}`, { cause: e });
  }
  return {
    target: {
      name: d.name ?? (faults.length ? `reference hub (faults: ${faults.join(', ')})` : 'reference hub (embedded)'),
      launcher: 'embedded',
      profile: d.profile ?? 'tencent-hub',
      endpoints: hub.endpoints,
      cloudApi: { ...hub.credentials, region: 'ap-guangzhou' },
      capabilities: effectiveCapabilities(d.profile ?? 'tencent-hub', {
        missing: [...new Set([...REFERENCE_HUB_MISSING, ...(d.capabilities?.missing ?? [])])],
        extra: d.capabilities?.extra,
      }, 'embedded target'),
      limits: { ...DEFAULT_LIMITS, ...d.limits, devicesPerProduct },
      faults,
    },
    stop: () => hub.close(),
  };
}

async function launchExternal(d: TargetDescriptor): Promise<LaunchedTarget> {
  // The schema guarantees these for external targets.
  const endpoints = d.endpoints as { mqtt: string; ws?: string; api: string };
  const cloudApi = d.cloudApi!;
  await Promise.all([reachable('endpoints.mqtt', endpoints.mqtt), reachable('endpoints.api', endpoints.api)]);
  return {
    target: {
      name: d.name ?? `external hub at ${endpoints.mqtt}`,
      launcher: 'external',
      profile: d.profile ?? 'tencent-hub',
      endpoints,
      cloudApi: { region: 'ap-guangzhou', ...cloudApi },
      capabilities: effectiveCapabilities(d.profile ?? 'tencent-hub', d.capabilities, 'target'),
      limits: { ...DEFAULT_LIMITS, ...d.limits },
      faults: [],
    },
    stop: async () => {},
  };
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
