// The probe measures the reference hub's real limits, agrees with its claims, and finds the contradiction a fault introduces.
import { describe, expect, test } from 'vitest';
import { probeTarget } from '../../src/probe/index.js';
import { largestAccepted } from '../../src/probe/search.js';
import { launch } from '../../src/target/launch.js';

async function probeEmbedded(faults: string[], limits = {}) {
  const launched = await launch({ launcher: 'embedded', embedded: { faults }, limits });
  try { return await probeTarget(launched.target); } finally { await launched.stop(); }
}

describe('probe', () => {
  test('the reference hub keeps every claim: no findings', async () => {
    const { probe, findings } = await probeEmbedded([]);
    expect(probe.topicBytes).toMatchObject({ max: 64, capped: false });
    expect(probe.packetBytes).toMatchObject({ max: 16384, capped: false });
    expect(probe.keepaliveMaxSeconds).toMatchObject({ max: 900, capped: false });
    expect(probe.grantedQosForQos2).toBe(1);
    expect(probe.coapPayloadBytes).toMatchObject({ max: 1024, capped: false, attempts: 2 });
    expect(findings).toEqual([]);
  }, 60_000);

  test('coap-no-payload-limit contradicts the 1 KB CoAP payload limit', async () => {
    const { probe, findings } = await probeEmbedded(['coap-no-payload-limit']);
    expect(probe.coapPayloadBytes?.max).toBeGreaterThan(1024);
    expect(findings.map((f) => f.id)).toEqual(['coap-payload-bytes']);
    expect(findings[0]!.claim).toMatch(/CoAP publish payloads up to 1024 bytes \(capability coap\)/);
  }, 60_000);

  test('accept-oversize-topic contradicts the claimed 64-byte topic limit', async () => {
    const { probe, findings } = await probeEmbedded(['accept-oversize-topic'], { topicBytes: 64 });
    expect(probe.topicBytes?.max).toBeGreaterThan(64);
    expect(findings.map((f) => f.id)).toContain('topic-bytes');
    expect(findings.find((f) => f.id === 'topic-bytes')!.claim).toMatch(/up to 64 bytes \(limits\.topicBytes\)/);
  }, 60_000);

  test('grant-qos2 contradicts the qos-max-1 capability', async () => {
    const { findings } = await probeEmbedded(['grant-qos2']);
    expect(findings.map((f) => f.id)).toEqual(['qos2-granted']);
  }, 60_000);

  test('the bound search needs two attempts when a claim holds and stays logarithmic otherwise', async () => {
    expect(await largestAccepted(1, 65535, async (n) => n <= 64, 64)).toEqual({ max: 64, capped: false, attempts: 2 });
    const far = await largestAccepted(1, 65535, async (n) => n <= 1000, 64);
    expect(far.max).toBe(1000);
    expect(far.attempts).toBeLessThanOrEqual(20);
    expect(await largestAccepted(1, 100, async () => true, 64)).toMatchObject({ max: 100, capped: true });
    expect(await largestAccepted(5, 100, async () => false)).toMatchObject({ max: null });
  });
});
