/** The requirement catalogue: every normative statement hubcheck tests, by id, with capabilities, profiles and self checks. */
import { acl } from './acl.js';
import { auth } from './auth.js';
import { broadcast } from './broadcast.js';
import { CAPABILITIES, type Capability, EXCLUSIVE_CAPABILITIES } from './capabilities.js';
import { cloudApi } from './cloud-api.js';
import { coap } from './coap.js';
import { config } from './config.js';
import { gateway } from './gateway.js';
import { httpGateway } from './http-gateway.js';
import { limits } from './limits.js';
import { log } from './log.js';
import { ntp } from './ntp.js';
import { ota } from './ota.js';
import { qosSessions } from './qos-sessions.js';
import { rrpc } from './rrpc.js';
import { rules } from './rules.js';
import { shadow } from './shadow.js';
import { tls } from './tls.js';
import { LEVELS, type Requirement } from './types.js';
import { websocket } from './websocket.js';
import { wildcards } from './wildcards.js';

export type { Capability, Level, Requirement, Tag } from './types.js';
export { CAPABILITIES, EXCLUSIVE_CAPABILITIES, LEVELS };

/** Area name by id prefix, as reports group them. */
const AREA_BY_PREFIX = {
  AUTH: 'auth', TLS: 'tls', WS: 'websocket', ACL: 'acl', WILD: 'wildcards', QOS: 'qos-sessions', LIM: 'limits',
  SHADOW: 'shadow', OTA: 'ota', CFG: 'config', LOG: 'log', BCAST: 'broadcast', RRPC: 'rrpc', NTP: 'ntp',
  HTTP: 'http-gateway', API: 'cloud-api', RULE: 'rules', GW: 'gateway', COAP: 'coap',
} as const;
export type AreaPrefix = keyof typeof AREA_BY_PREFIX;
export type AreaName = (typeof AREA_BY_PREFIX)[AreaPrefix];
export const AREAS: Readonly<Record<string, AreaName>> = AREA_BY_PREFIX;

/** Each area's records, in report order; the prefix of every id must map to the area it is filed under. */
const BY_AREA = {
  auth, tls, websocket, acl, wildcards, 'qos-sessions': qosSessions, limits, shadow, ota, config, log, broadcast, rrpc, ntp,
  'http-gateway': httpGateway, 'cloud-api': cloudApi, rules, gateway, coap,
} as const satisfies Record<AreaName, Record<string, Requirement>>;

export const REQUIREMENTS = {
  ...auth, ...tls, ...websocket, ...acl, ...wildcards, ...qosSessions, ...limits, ...shadow, ...ota, ...config, ...log,
  ...broadcast, ...rrpc, ...ntp, ...httpGateway, ...cloudApi, ...rules, ...gateway, ...coap,
} as const satisfies Record<string, Requirement>;
export type ReqId = keyof typeof REQUIREMENTS;

export function areaOf(id: string): string {
  return AREAS[id.split('-')[0] ?? ''] ?? 'other';
}

export function isReqId(id: string): id is ReqId {
  return Object.hasOwn(REQUIREMENTS, id);
}

const ALL_CAPABILITIES = Object.keys(CAPABILITIES) as Capability[];
/** Capabilities only a plain broker offers: they contradict IoT Hub's signed login and wildcard rules. */
const PLAIN_BROKER_ONLY: readonly Capability[] = ['plain-login', 'mqtt-wildcards'];

export interface Profile {
  description: string;
  capabilities: readonly Capability[];
}

/** Named capability sets a target can claim instead of listing capabilities one by one. */
export const PROFILES = {
  'tencent-hub': {
    description: 'a hub implementing the whole Tencent Cloud IoT Hub device protocol and the iotcloud 2018-06-14 API as hubcheck reads them: every capability except the plain-broker ones that contradict signed login and IoT Hub wildcards',
    capabilities: ALL_CAPABILITIES.filter((c) => !PLAIN_BROKER_ONLY.includes(c)),
  },
  'mqtt-core': {
    description: 'a plain MQTT 3.1.1 broker: login without signatures, QoS 0/1, MQTT wildcard semantics, no system topics',
    capabilities: ['mqtt-tcp', 'plain-login', 'mqtt-wildcards', 'persistent-sessions'],
  },
} as const satisfies Record<string, Profile>;
export type ProfileName = keyof typeof PROFILES;

/** The requirements that apply to a target offering these capabilities (a requirement applies iff its capability is offered), in catalogue order. */
export function requirementsFor(capabilities: readonly string[]): (Requirement & { id: ReqId })[] {
  const offered = new Set(capabilities);
  return (Object.entries(REQUIREMENTS) as [ReqId, Requirement][])
    .filter(([, r]) => offered.has(r.capability))
    .map(([id, r]) => ({ id, ...r }));
}

/** Wording that marks a statement as resting on a choice rather than a source. */
const UNCONFIRMED_WORDING = /\bUNCONFIRMED\b|\bRECOMMENDATION\b|\binferred\b|\binference\b|\bundocumented\b/i;

/** Consistency problems in the catalogue, one line each; an empty list means the catalogue is sound. */
export function checkCatalogue(): string[] {
  const problems: string[] = [];
  const titles = new Map<string, string>();
  const used = new Set<string>();
  const prefixOfArea = new Map(Object.entries(AREA_BY_PREFIX).map(([p, a]) => [a as string, p]));
  const text = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

  for (const [area, records] of Object.entries(BY_AREA) as [string, Record<string, Requirement>][]) {
    const prefix = prefixOfArea.get(area);
    if (!prefix) problems.push(`area ${area} has no prefix in AREAS`);
    const numbers: number[] = [];
    for (const [id, r] of Object.entries(records)) {
      const m = /^([A-Z]+)-(\d{3})$/.exec(id);
      if (!m) { problems.push(`${id}: id is not PREFIX-NNN`); continue; }
      if (m[1] !== prefix) problems.push(`${id}: prefix ${m[1]} does not match its area ${area} (${prefix ?? 'none'})`);
      numbers.push(Number(m[2]));
      for (const field of ['title', 'statement', 'source', 'level', 'capability'] as const) {
        if (!text(r[field])) problems.push(`${id}: empty ${field}`);
      }
      if (r.choice !== undefined && !text(r.choice)) problems.push(`${id}: empty choice`);
      if (!(LEVELS as readonly string[]).includes(r.level)) problems.push(`${id}: unknown level ${r.level}`);
      if (!Object.hasOwn(CAPABILITIES, r.capability)) problems.push(`${id}: capability ${r.capability} is not in CAPABILITIES`);
      used.add(r.capability);
      if (text(r.statement) && !r.statement.trimEnd().endsWith('.')) problems.push(`${id}: statement does not end with a full stop`);
      const key = r.title.trim().toLowerCase();
      const twin = titles.get(key);
      if (twin) problems.push(`${id}: duplicate title "${r.title}" (also ${twin})`);
      else titles.set(key, id);
      const looksUnconfirmed = r.tags?.includes('unconfirmed') || UNCONFIRMED_WORDING.test(`${r.statement} ${r.source}`);
      if (looksUnconfirmed && !r.choice) problems.push(`${id}: looks UNCONFIRMED but has no choice`);
      if (r.level === 'DEVIATION' && !r.statement.includes('MQTT 3.1.1')) problems.push(`${id}: a DEVIATION must say what MQTT 3.1.1 would do`);
    }
    numbers.sort((a, b) => a - b).forEach((n, i) => {
      if (n !== i + 1) problems.push(`${prefix ?? area}: ids are not numbered 001… without gaps (expected ${String(i + 1).padStart(3, '0')}, found ${String(n).padStart(3, '0')})`);
    });
  }
  for (const prefix of Object.keys(AREA_BY_PREFIX)) {
    if (!Object.hasOwn(BY_AREA, AREA_BY_PREFIX[prefix as AreaPrefix])) problems.push(`prefix ${prefix} names no area file`);
  }
  for (const c of Object.keys(CAPABILITIES)) if (!used.has(c)) problems.push(`capability ${c} is used by no requirement`);
  for (const [name, p] of Object.entries(PROFILES) as [string, Profile][]) {
    for (const c of p.capabilities) if (!Object.hasOwn(CAPABILITIES, c)) problems.push(`profile ${name}: unknown capability ${c}`);
    for (const [a, b] of EXCLUSIVE_CAPABILITIES) {
      if (p.capabilities.includes(a) && p.capabilities.includes(b)) problems.push(`profile ${name}: ${a} and ${b} exclude each other`);
    }
  }
  return problems;
}
