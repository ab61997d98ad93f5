/** Target descriptors: read a YAML/JSON file, check it against schemas/target.schema.json, explain what is wrong. */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { HubcheckError } from '../errors.js';
import type { ResourceBounds } from './resolved.js';

export type Launcher = 'embedded' | 'external' | 'process' | 'container';

/** When a started hub is ready: a line of its output matching `log` (a regular expression), and/or `port` accepting connections. */
export interface ReadySpec { log?: string; port?: number }

/** A device that exists on a hub without a cloud API (provisioning: fixtures). */
export interface FixtureDevice { productId: string; deviceName: string; psk: string }

/** The descriptor as written by a user (schemas/target.schema.json). */
export interface TargetDescriptor {
  name?: string;
  launcher: Launcher;
  profile?: 'tencent-hub' | 'mqtt-core';
  endpoints?: { mqtt?: string; ws?: string; api?: string; http?: string; mqtts?: string; wss?: string; https?: string; coap?: string; coaps?: string };
  /** The CA that verifies the hub's server certificate on mqtts/wss/https: a PEM file path or PEM text. */
  tls?: { ca: string };
  cloudApi?: { secretId: string; secretKey: string; region?: string; signedHost?: string };
  capabilities?: { missing?: string[]; extra?: string[] };
  limits?: { topicBytes?: number; packetBytes?: number; keepaliveMaxSeconds?: number; devicesPerProduct?: number; rrpcTimeoutMs?: number; offlinePaceMs?: number } & ResourceBounds;
  embedded?: { faults?: string[]; devicesPerProduct?: number; maxConnections?: number; workers?: number; redis?: string };
  process?: { command: string; args?: string[]; env?: Record<string, string>; cwd?: string; ready?: ReadySpec; readyTimeoutMs?: number; stopTimeoutMs?: number };
  container?: { image: string; env?: Record<string, string>; command?: string[]; files?: Record<string, string>; network?: 'bridge' | 'host'; ready?: ReadySpec; readyTimeoutMs?: number };
  /** How suites get devices: through the cloud API (default), made up (the hub accepts any), or from `fixtures`. */
  provisioning?: 'cloud-api' | 'any' | 'fixtures';
  fixtures?: { devices: FixtureDevice[] };
  /** Credentials a plain broker accepts (profile mqtt-core); absent: anonymous. */
  plainLogin?: { username: string; password: string };
  /** Measure the hub's real limits before the suites (default true). */
  probe?: boolean;
}

const schema = JSON.parse(readFileSync(new URL('../../schemas/target.schema.json', import.meta.url), 'utf8'));
// strictRequired is off: the external-launcher rule requires fields that are defined one level up.
// verbose: errors carry their schema, whose description says what is expected (see explain).
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, useDefaults: false, verbose: true });
const validate = ajv.compile<TargetDescriptor>(schema);

/** One line per problem: the field, then what is expected there. */
function explain(error: ErrorObject): string {
  const at = error.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
  switch (error.keyword) {
    case 'required': return `${at === '(top level)' ? '' : `${at}.`}${error.params.missingProperty}: missing; it is required`;
    case 'additionalProperties': return `${at === '(top level)' ? '' : `${at}.`}${error.params.additionalProperty}: unknown field; remove it or check its spelling`;
    case 'enum': return `${at}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern': return `${at}: ${error.parentSchema?.description ? `expected ${error.parentSchema.description}` : `must match ${error.params.pattern}`}`;
    default: return `${at}: ${error.message}`;
  }
}

export function parseDescriptor(text: string, origin: string): TargetDescriptor {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new HubcheckError('TARGET_PARSE', `${origin}: not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!validate(data)) {
    const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if').map(explain);
    throw new HubcheckError('TARGET_INVALID', `${origin}: ${[...new Set(problems)].join('; ')}`);
  }
  for (const [field, ready] of [['process.ready.log', data.process?.ready], ['container.ready.log', data.container?.ready]] as const) {
    if (ready?.log === undefined) continue;
    try { new RegExp(ready.log); } catch (e) {
      throw new HubcheckError('TARGET_INVALID', `${origin}: ${field}: not a regular expression (${(e as Error).message}); e.g. "reference hub running"`);
    }
  }
  return data;
}

export function loadDescriptor(path: string): TargetDescriptor {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new HubcheckError('TARGET_NOT_FOUND', `cannot read target descriptor ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseDescriptor(text, path);
}
