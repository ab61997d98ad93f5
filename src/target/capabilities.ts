/** The capability set a target offers: its profile's, less what it lists as missing, plus what it lists as extra. */
import { CAPABILITIES, EXCLUSIVE_CAPABILITIES, PROFILES, type ProfileName } from '../../specs/requirements/index.js';
import { HubcheckError } from '../errors.js';

export function effectiveCapabilities(profile: ProfileName, claims: { missing?: string[]; extra?: string[] } = {}, origin = 'target'): string[] {
  for (const [field, names] of [['capabilities.missing', claims.missing ?? []], ['capabilities.extra', claims.extra ?? []]] as const) {
    for (const name of names) {
      if (!Object.hasOwn(CAPABILITIES, name)) {
        throw new HubcheckError('TARGET_INVALID', `${origin}: ${field}: unknown capability ${JSON.stringify(name)}; known: ${Object.keys(CAPABILITIES).join(', ')}`);
      }
    }
  }
  const set = new Set<string>(PROFILES[profile].capabilities);
  for (const m of claims.missing ?? []) set.delete(m);
  for (const e of claims.extra ?? []) set.add(e);
  for (const [a, b] of EXCLUSIVE_CAPABILITIES) {
    if (set.has(a) && set.has(b)) throw new HubcheckError('TARGET_INVALID', `${origin}: capabilities ${a} and ${b} contradict each other; list one of them under capabilities.missing`);
  }
  return [...set].sort();
}
