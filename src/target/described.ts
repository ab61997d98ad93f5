/** Turns a descriptor for a hub hubcheck did not build (external, process, container) into the target the suites see. */
import { readFileSync } from 'node:fs';
import { HubcheckError } from '../errors.js';
import type { TargetDescriptor } from './descriptor.js';
import { effectiveCapabilities } from './capabilities.js';
import { DEFAULT_LIMITS, type ResolvedTarget } from './resolved.js';

export type Endpoints = { mqtt: string; ws?: string; api?: string; http?: string; mqtts?: string; wss?: string; https?: string; coap?: string; coaps?: string };

/** tls.ca as PEM: given inline, or read from the file it names. */
export function resolveCa(ca: string, origin = 'target'): string {
  if (ca.includes('-----BEGIN CERTIFICATE-----')) return ca;
  try {
    const pem = readFileSync(ca, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no -----BEGIN CERTIFICATE----- block');
    return pem;
  } catch (e) {
    throw new HubcheckError('TARGET_INVALID', `${origin}: tls.ca: cannot read a PEM certificate from ${ca} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a PEM file path or the PEM text`);
  }
}

/** True when the descriptor gives a cloud API the suites can provision through. */
export function hasCloudApi(d: TargetDescriptor, endpoints: Endpoints): boolean {
  return (d.provisioning ?? 'cloud-api') === 'cloud-api' && Boolean(endpoints.api && d.cloudApi);
}

export function resolveDescribed(d: TargetDescriptor, launcher: ResolvedTarget['launcher'], endpoints: Endpoints, defaultName: string, origin = 'target'): ResolvedTarget {
  const profile = d.profile ?? 'tencent-hub';
  const withApi = hasCloudApi(d, endpoints);
  let capabilities = effectiveCapabilities(profile, d.capabilities, origin);
  // Without an API nothing can be managed through it: its requirements are not applicable, not failed.
  if (!withApi) capabilities = capabilities.filter((c) => c !== 'cloud-api');
  return {
    name: d.name ?? defaultName,
    launcher,
    profile,
    // The API endpoint is empty when the hub has none (provisioning any or fixtures); h.api() then explains.
    endpoints: { ...endpoints, api: withApi ? endpoints.api! : '' },
    cloudApi: withApi ? { region: 'ap-guangzhou', ...d.cloudApi! } : { secretId: '', secretKey: '', region: 'ap-guangzhou' },
    capabilities,
    limits: { ...DEFAULT_LIMITS, ...d.limits },
    faults: [],
    provisioning: withApi ? 'cloud-api' : d.provisioning ?? 'any',
    ...(d.fixtures ? { fixtures: d.fixtures.devices } : {}),
    ...(d.plainLogin ? { plainLogin: d.plainLogin } : {}),
    ...(d.tls ? { tls: { ca: resolveCa(d.tls.ca, origin) } } : {}),
    claimedLimits: Object.keys(d.limits ?? {}),
  };
}
