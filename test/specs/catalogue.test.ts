// The requirement catalogue is consistent, and profiles resolve to the capability sets targets claim.
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, PROFILES, REQUIREMENTS, checkCatalogue, requirementsFor } from '../../specs/requirements/index.js';
import { effectiveCapabilities } from '../../src/target/capabilities.js';

describe('requirement catalogue', () => {
  it('has no consistency problems', () => {
    expect(checkCatalogue()).toEqual([]);
  });

  it('gives every UNCONFIRMED-based requirement a choice', () => {
    const missing = Object.entries(REQUIREMENTS).filter(([, r]) => /UNCONFIRMED|RECOMMENDATION/.test(r.source + r.statement) && !('choice' in r));
    expect(missing.map(([id]) => id)).toEqual([]);
  });

  it('applies to mqtt-core only what a plain broker can offer', () => {
    const ids = requirementsFor(PROFILES['mqtt-core'].capabilities).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(10);
    expect(ids.some((id) => id.startsWith('SHADOW') || id.startsWith('API'))).toBe(false);
  });
});

describe('target capabilities', () => {
  it('subtracts missing and adds extra capabilities', () => {
    const caps = effectiveCapabilities('mqtt-core', { missing: ['persistent-sessions'], extra: ['websocket'] });
    expect(caps).toContain('websocket');
    expect(caps).not.toContain('persistent-sessions');
  });

  it('refuses an unknown capability, naming the field', () => {
    expect(() => effectiveCapabilities('tencent-hub', { missing: ['teleportation'] }, 'hub.yaml')).toThrow(/hub\.yaml: capabilities\.missing: unknown capability "teleportation"/);
  });

  it('refuses contradictory capabilities', () => {
    expect(() => effectiveCapabilities('tencent-hub', { extra: ['plain-login'] })).toThrow(/contradict/);
  });

  it('knows every capability a requirement needs', () => {
    for (const r of Object.values(REQUIREMENTS)) expect(Object.keys(CAPABILITIES)).toContain(r.capability);
  });
});
