// Topic and packet size limits at, below and above each bound, and the QoS ceiling (seed §1.1.4, protocol.md §1.1, §11).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { payloadForPacket } from '../src/protocol/topics.js';
import { req, reqProperty } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { selfLoop } from './support/wire.js';

// Custom class `+` (privilege 3) lets the device publish and subscribe topics of any length under its prefix.
const product = useProduct('lim', { devices: ['d1'], policies: [{ name: '+', privilege: 3 }] });

describe('topic length', () => {
  reqProperty(['LIM-001'], 'PUBLISH topics around the 64-byte limit are delivered iff within it',
    [fc.integer({ min: -6, max: 6 }), fc.constantFrom('a', 'é')],
    async (h, delta, filler) => {
      const creds = product.device('d1');
      const base = `${creds.productId}/${creds.deviceName}/`;
      const limit = h.target.limits.topicBytes;
      // Multi-byte characters check that the limit counts UTF-8 bytes, not characters.
      let last = filler.repeat(Math.max(1, Math.floor((limit + delta - Buffer.byteLength(base)) / Buffer.byteLength(filler))));
      while (Buffer.byteLength(base + last) < limit + delta) last += 'a';
      const topic = base + last;
      const within = Buffer.byteLength(topic) <= limit;
      const device = await h.device(creds);
      expect(await device.subscribe(`${base}+`, 1)).toBe(1);
      const sent = device.publishTracked(topic, 'len');
      await selfLoop(device, `${base}sync`);
      expect(sent.acked(), `PUBACK for a ${Buffer.byteLength(topic)}-byte topic`).toBe(within);
      expect(device.received(topic).length > 0, `delivery of a ${Buffer.byteLength(topic)}-byte topic`).toBe(within);
    }, { numRuns: 26 });

  req(['LIM-002'], 'a SUBSCRIBE filter over 64 bytes gets 0x80, one of 64 bytes is granted', async (h) => {
    const creds = product.device('d1');
    const base = `${creds.productId}/${creds.deviceName}/`;
    const limit = h.target.limits.topicBytes;
    const device = await h.device(creds);
    expect(await device.subscribe(base + 'a'.repeat(limit - base.length), 1)).toBe(1);
    expect(await device.subscribe(base + 'a'.repeat(limit - base.length + 1), 1)).toBe(0x80);
  });
});

describe('packet size', () => {
  reqProperty(['LIM-003'], 'PUBLISH packets around 16 KB are delivered iff within the limit',
    [fc.oneof(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -4000, max: 40_000 })), fc.constantFrom<0 | 1>(0, 1)],
    async (h, delta, qos) => {
      const creds = product.device('d1');
      const topic = `${creds.productId}/${creds.deviceName}/big`;
      const size = h.target.limits.packetBytes + delta;
      let payloadBytes: number;
      try { payloadBytes = payloadForPacket(topic, size, qos); } catch { return; } // no packet has exactly this size
      const device = await h.device(creds);
      expect(await device.subscribe(topic, 1)).toBe(1);
      expect(await device.subscribe(`${creds.productId}/${creds.deviceName}/sync`, 1)).toBe(1);
      const payload = Buffer.alloc(payloadBytes, 0x61);
      const sent = qos === 1 ? device.publishTracked(topic, payload) : (await device.publish(topic, payload, 0), undefined);
      await selfLoop(device, `${creds.productId}/${creds.deviceName}/sync`);
      const within = size <= h.target.limits.packetBytes;
      if (sent) expect(sent.acked(), `PUBACK for a ${size}-byte PUBLISH`).toBe(within);
      expect(device.received(topic).some((m) => m.payload.length === payloadBytes), `delivery of a ${size}-byte PUBLISH`).toBe(within);
      expect(device.isOpen).toBe(true);
    }, { numRuns: 30 });
});

describe('QoS ceiling', () => {
  req(['LIM-004'], 'a SUBSCRIBE requesting QoS 2 is granted at most QoS 1', async (h) => {
    const creds = product.device('d1');
    const device = await h.device(creds);
    const granted = await device.subscribe(`${creds.productId}/${creds.deviceName}/q2`, 2);
    expect([0, 1]).toContain(granted);
  });
});
