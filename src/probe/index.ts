/** `hubcheck probe` and the probe phase of `hubcheck run`: provision a device, measure, compare with the claims, clean up. */
import type { Finding, ProbeResult } from '../report/model.js';
import { createNamespace } from '../target/provisioning.js';
import type { ResolvedTarget } from '../target/resolved.js';
import { findingsFor } from './compare.js';
import { measure } from './measure.js';

export { findingsFor } from './compare.js';

export interface ProbeOutcome { probe: ProbeResult; findings: Finding[] }

export async function probeTarget(target: ResolvedTarget, log?: (line: string) => void): Promise<ProbeOutcome> {
  // Custom class `+` (privilege 3, publish and subscribe) lets the device use topics of any length under its prefix.
  const ns = await createNamespace(target, 'probe', { devices: ['main', 'observer'], policies: [{ name: '+', privilege: 3 }] });
  try {
    const probe = await measure(target, { main: ns.devices.get('main')!, observer: ns.devices.get('observer')! }, log);
    return { probe, findings: findingsFor(target, probe) };
  } finally {
    await ns.cleanup();
  }
}
