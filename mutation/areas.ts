// Which hub files each mutation area mutates, and which conformance suites must kill those mutants.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Area {
  /** What the area's hub code does. */
  what: string;
  /** Stryker `mutate` patterns, relative to the project root (globs, or `file:from-to` line ranges). */
  mutate: string[];
  /** The conformance suite files whose tests judge that code. */
  suites: string[];
}

/**
 * The area map. A suite is listed where its requirements are implemented by the area's files (limits
 * and topic length are enforced in acl/, so the limits suite also judges acl/). Files in no area are
 * listed in UNMAPPED with the reason; `mutation/run.ts --list` checks that every hub file is in one of the two.
 */
export const AREAS = {
  auth: {
    what: 'MQTT login: username/password parsing, HMAC, CONNECT checks, sessions',
    mutate: ['hub/auth/**/*.ts'],
    // sessions.ts also answers "is this device online" for the cloud API (DescribeDevice's Online)
    suites: ['suites/auth.test.ts', 'suites/websocket.test.ts', 'suites/mqtt-core/login.test.ts', 'suites/resources.test.ts', 'suites/cloud-api-resources.test.ts'],
  },
  acl: {
    what: 'topic classes, PUBLISH and SUBSCRIBE decisions, the SUBSCRIBE/UNSUBSCRIBE gate',
    mutate: ['hub/acl/**/*.ts'],
    suites: ['suites/acl.test.ts', 'suites/wildcards.test.ts', 'suites/mqtt-core/wildcards.test.ts', 'suites/limits.test.ts', 'suites/resources.test.ts'],
  },
  limits: {
    what: 'hub/limits.ts and every line elsewhere in hub/ that enforces one of its limits',
    mutate: ['hub/limits.ts'], // + the lines limitLines() finds
    suites: ['suites/limits.test.ts'], // + the suites of the areas those lines are in
  },
  bounds: {
    what: 'resource bounds: packet sizes judged from the fixed header, connections per address and in total, the CONNECT deadline, cloud API rates',
    mutate: ['hub/bounds/**/*.ts'],
    suites: ['suites/resources.test.ts', 'suites/limits.test.ts', 'suites/cloud-api-rates.test.ts', 'suites/websocket.test.ts'],
  },
  qos: {
    what: 'persistent sessions, stored messages, the QoS 1 outbox, the test clock action',
    mutate: ['hub/qos/**/*.ts'],
    suites: ['suites/qos-sessions.test.ts', 'suites/qos-clock.test.ts', 'suites/mqtt-core/qos.test.ts', 'suites/mqtt-core/sessions.test.ts'],
  },
  shadow: {
    what: 'device shadow over $shadow and the cloud API',
    mutate: ['hub/services/shadow/**/*.ts'],
    suites: ['suites/shadow.test.ts'],
  },
  ota: {
    what: 'firmware upgrades: $ota topics, firmware server, cloud actions',
    mutate: ['hub/services/ota/**/*.ts'],
    suites: ['suites/ota.test.ts'],
  },
  config: {
    what: 'remote configuration over $config',
    mutate: ['hub/services/config/**/*.ts'],
    suites: ['suites/config.test.ts'],
  },
  log: {
    what: '$log levels, /device/reportlog, ListSDKLog',
    mutate: ['hub/services/log/**/*.ts'],
    suites: ['suites/log.test.ts'],
  },
  gateway: {
    what: 'gateway bindings, $gateway/operation, acting for online sub-devices',
    mutate: ['hub/services/gateway/**/*.ts', 'hub/acl/proxy.ts'],
    suites: ['suites/gateway.test.ts'],
  },
  ntp: {
    what: '$sys time requests',
    mutate: ['hub/services/ntp/**/*.ts'],
    suites: ['suites/ntp.test.ts'],
  },
  broadcast: {
    what: 'PublishBroadcastMessage',
    mutate: ['hub/services/broadcast/**/*.ts'],
    suites: ['suites/broadcast.test.ts'],
  },
  rrpc: {
    what: 'PublishRRPCMessage and the device answers',
    mutate: ['hub/services/rrpc/**/*.ts'],
    suites: ['suites/rrpc.test.ts'],
  },
  coap: {
    what: 'CoAP device access: auth tokens, publishes through the MQTT ACL and publish path, message-id dedupe, per-peer bounds, the DTLS relay\'s key lookup',
    mutate: ['hub/coap/**/*.ts'],
    suites: ['suites/coap.test.ts', 'suites/coaps.test.ts', 'suites/coap-clock.test.ts'],
  },
  'http-gateway': {
    what: 'the device HTTP gateway: X-TC-* request checks (shared with reportlog), signatures, publishing',
    mutate: ['hub/services/http-gateway/**/*.ts', 'hub/services/body.ts'],
    suites: ['suites/http-gateway.test.ts', 'suites/log.test.ts', 'suites/tls.test.ts', 'suites/dynamic-registration.test.ts', 'suites/https-endpoints.test.ts'],
  },
  registration: {
    what: 'dynamic registration: /device/register, the legacy /register/dev, UpdateProductDynamicRegister, the encrypted answer',
    mutate: ['hub/services/register/**/*.ts'],
    suites: ['suites/dynamic-registration.test.ts', 'suites/https-endpoints.test.ts'],
  },
  tls: {
    what: 'CA and certificates, TLS listeners, TLS-PSK, certificate logins, customer CAs, RSA on the HTTP gateway',
    mutate: ['hub/tls/**/*.ts'],
    suites: ['suites/tls.test.ts', 'suites/https-endpoints.test.ts', 'suites/dynamic-registration.test.ts'],
  },
  'cloud-api': {
    what: 'the cloud API server, TC3 signatures, parameters, the registry actions, PublishMessage',
    mutate: ['hub/api/**/*.ts', 'hub/registry/**/*.ts', 'hub/services/publish/**/*.ts'],
    suites: ['suites/cloud-api.test.ts', 'suites/cloud-api-signing.test.ts', 'suites/cloud-api-resources.test.ts', 'suites/cloud-api-quota.test.ts', 'suites/cloud-api-rates.test.ts', 'suites/cloud-sdk.test.ts', 'suites/qos-sessions.test.ts', 'suites/qos-clock.test.ts', 'suites/auth.test.ts'],
  },
  rules: {
    what: 'the rules engine: SQL, evaluation, republish and forward actions, cloud actions',
    mutate: ['hub/services/rules/**/*.ts'],
    suites: ['suites/rules.test.ts'],
  },
  core: {
    what: 'start-up and wiring: startHub, the broker and its listeners, the hub clock, the service context',
    mutate: [
      'hub/index.ts', 'hub/broker.ts', 'hub/write-batch.ts', 'hub/clock.ts', 'hub/services/context.ts', 'hub/services/index.ts',
      'hub/services/reach.ts', 'hub/services/sequence.ts',
    ],
    suites: ['suites/**/*.test.ts'],
  },
} as const satisfies Record<string, Area>;

export type AreaName = keyof typeof AREAS;

/** Hub files no area mutates, with the reason. */
export const UNMAPPED: Record<string, string> = {
  'hub/faults.ts': 'the fault switches: what each breaks is judged by `hubcheck selftest`, not by the suites against a working hub',
  'hub/main.ts': 'the command line of the standalone hub (flags, printing, signals); the suites start the hub in code',
  'hub/services/types.ts': 'types only: nothing to mutate',
  // mutation runs start one embedded hub process, where none of the cluster's code runs; test/hub/cluster*.test.ts
  // and the whole suite against a 2-worker cluster (test/hub/cluster-run.test.ts) are what judge it
  'hub/cluster/bus.ts': 'runs only in a hub cluster (--workers): questions and notices between workers',
  'hub/cluster/mq.ts': 'runs only in a hub cluster: message routing through mqemitter-redis',
  'hub/cluster/mqemitter-redis.d.ts': 'types only: nothing to mutate',
  'hub/cluster/presence.ts': 'runs only in a hub cluster: which worker holds which device',
  'hub/cluster/primary.ts': 'runs only in a hub cluster: the primary process that forks and restarts workers',
  'hub/free-port.ts': 'picks ports for hubs started by a cluster primary or a launcher, never inside a running hub; test/hub/cluster-ports.test.ts judges it',
  'hub/cluster/worker.ts': 'runs only in a hub cluster: a worker process start-up',
};

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);

export function isArea(name: string): name is AreaName {
  return Object.hasOwn(AREAS, name);
}

/** Every .ts file under hub/, relative to the project root, sorted. */
export function hubFiles(root = ROOT): string[] {
  return (readdirSync(path.join(root, 'hub'), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.posix.join('hub', f.split(path.sep).join('/')))
    .sort();
}

/** Whether a file matches a `mutate` glob of the map (`**` any depth, `*` within one level). */
export function matchesGlob(file: string, glob: string): boolean {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '(?:.*/)?');
  return new RegExp(`^${re}$`).test(file);
}

function filesOf(area: Area, files: readonly string[]): string[] {
  return files.filter((f) => area.mutate.some((g) => !g.includes(':') && matchesGlob(f, g)));
}

/**
 * The lines outside hub/limits.ts that use one of its constants (imports excepted), as Stryker
 * line ranges: computed from the tree, so the limits area follows the code as it moves.
 */
export function limitLines(root = ROOT): string[] {
  const names = [...readFileSync(path.join(root, 'hub/limits.ts'), 'utf8').matchAll(/^export const ([A-Z0-9_]+)/gm)].map((m) => m[1]!);
  const use = new RegExp(`\\b(?:${names.join('|')})\\b`);
  const ranges: string[] = [];
  for (const file of hubFiles(root)) {
    if (file === 'hub/limits.ts') continue;
    const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
    let inImport = false; // an import statement may span lines; it ends with its `from '…'`
    lines.forEach((line, i) => {
      if (/^import\b/.test(line)) inImport = true;
      if (inImport) {
        if (/\bfrom\s+['"]|;\s*$/.test(line)) inImport = false;
        return;
      }
      if (use.test(line) && !/^\s*(?:\/\/|\*|\/\*)/.test(line)) ranges.push(`${file}:${i + 1}-${i + 1}`);
    });
  }
  return ranges;
}

/** What one run of an area mutates and runs: the map entry, with the limits area's lines and suites filled in. */
export function resolveArea(name: AreaName, root = ROOT): { mutate: string[]; suites: string[] } {
  const area: Area = AREAS[name];
  if (name !== 'limits') return { mutate: [...area.mutate], suites: [...area.suites] };
  const lines = limitLines(root);
  const files = hubFiles(root);
  const suites = new Set<string>(area.suites);
  for (const range of lines) {
    const file = range.slice(0, range.indexOf(':'));
    for (const [other, a] of Object.entries(AREAS) as [AreaName, Area][]) {
      if (other === 'limits' || other === 'core') continue; // core's suites are all of them: its lines (default quotas) are judged as core
      if (filesOf(a, files).includes(file)) a.suites.forEach((s) => suites.add(s));
    }
  }
  return { mutate: [...area.mutate, ...lines], suites: [...suites] };
}

/** Every suite file (`suites/**\/*.test.ts`), relative to the project root, sorted. */
export function suiteFiles(root = ROOT): string[] {
  return (readdirSync(path.join(root, 'suites'), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.posix.join('suites', f.split(path.sep).join('/')))
    .sort();
}

/**
 * Hub files in no area and not explained in UNMAPPED, UNMAPPED entries that an area does mutate or that no
 * longer exist, and suite files no area names (core's "all suites" aside): after a merge, what to place.
 */
export function mapGaps(root = ROOT): { unmapped: string[]; stale: string[]; suitesInNoArea: string[] } {
  const files = hubFiles(root);
  const mapped = new Set(Object.values(AREAS as Record<string, Area>).flatMap((a) => filesOf(a, files)));
  const named = new Set(Object.values(AREAS as Record<string, Area>).flatMap((a) => a.suites.filter((s) => !s.includes('*'))));
  return {
    unmapped: files.filter((f) => !mapped.has(f) && !Object.hasOwn(UNMAPPED, f)),
    stale: Object.keys(UNMAPPED).filter((f) => mapped.has(f) || !files.includes(f)),
    suitesInNoArea: suiteFiles(root).filter((f) => !named.has(f)),
  };
}
