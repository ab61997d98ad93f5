// Topic and packet size limits at, below and above each bound, and the QoS ceiling (seed §1.1.4, protocol.md §1.1, §11).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { payloadForPacket, publishPacketBytes } from '../src/protocol/topics.js';
import { req, reqProperty } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

// Custom class `+` (privilege 3) lets the device publish and subscribe topics of any length under its prefix.
const product = useProduct('lim', { devices: ['d1', 'd5', 'd6', 'd7', 'd8'], policies: [{ name: '+', privilege: 3 }] });

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

  req(['LIM-002'], 'a SUBSCRIBE filter over 64 bytes gets 0x80, one of 64 bytes is granted and delivers', async (h) => {
    const creds = product.device('d1');
    const base = `${creds.productId}/${creds.deviceName}/`;
    const limit = h.target.limits.topicBytes;
    const device = await h.device(creds);
    const atLimit = base + 'a'.repeat(limit - base.length);
    expect(await device.subscribe(atLimit, 1)).toBe(1);
    expect(await device.subscribe(base + 'a'.repeat(limit - base.length + 1), 1)).toBe(0x80);
    // a granted SUBACK is not enough: the subscription must be in place (no other subscription matches this topic)
    await device.publish(atLimit, 'at-limit', 1);
    const got = await device.waitFor((m) => m.topic === atLimit && m.payload.toString() === 'at-limit', ROUND_TRIP_LIMIT_MS);
    expect(got, `delivery on the granted ${Buffer.byteLength(atLimit)}-byte filter`).toBeDefined();
  });
});

describe('topic length in bytes', () => {
  // Mostly multi-byte characters (2, 3 and 4 UTF-8 bytes; 😀 is also two UTF-16 units), padded with 'a' to an exact
  // byte length around the limit: the character count stays at or under the limit while the bytes cross it.
  const MULTI = ['é', 'ß', '€', '中', '😀', '𝄞'];
  reqProperty(['LIM-005'], 'topic names and filters with multi-byte characters are judged by their UTF-8 byte length',
    [fc.integer({ min: -8, max: 12 }), fc.array(fc.constantFrom(...MULTI), { minLength: 1, maxLength: 6 }), fc.constantFrom<'publish' | 'subscribe'>('publish', 'subscribe')],
    async (h, delta, pattern, action) => {
      const creds = product.device('d5');
      const base = `${creds.productId}/${creds.deviceName}/`;
      const limit = h.target.limits.topicBytes;
      const target = limit + delta;
      let last = '';
      for (let i = 0; Buffer.byteLength(base + last + pattern[i % pattern.length]!) <= target && i < 200; i++) last += pattern[i % pattern.length]!;
      while (Buffer.byteLength(base + last) < target) last += 'a';
      const topic = base + last;
      const bytes = Buffer.byteLength(topic);
      const within = bytes <= limit;
      const what = `${[...topic].length} characters, ${bytes} bytes`;
      expect([...topic].length, 'the characters stay within the limit').toBeLessThanOrEqual(limit);
      const device = await h.device(creds);
      if (action === 'subscribe') {
        expect(await device.subscribe(topic, 1), `SUBACK for a filter of ${what}`).toBe(within ? 1 : 0x80);
        return;
      }
      expect(await device.subscribe(`${base}+`, 1)).toBe(1);
      const sent = device.publishTracked(topic, 'bytes');
      await selfLoop(device, `${base}sync`);
      expect(sent.acked(), `PUBACK for a topic of ${what}`).toBe(within);
      expect(device.received(topic).length > 0, `delivery of a topic of ${what}`).toBe(within);
    }, { numRuns: 30 });
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
      await selfLoop(device, `${creds.productId}/${creds.deviceName}/sync`, qos);
      const within = size <= h.target.limits.packetBytes;
      if (sent) expect(sent.acked(), `PUBACK for a ${size}-byte PUBLISH`).toBe(within);
      expect(device.received(topic).some((m) => m.payload.length === payloadBytes), `delivery of a ${size}-byte PUBLISH`).toBe(within);
      expect(device.isOpen).toBe(true);
    }, { numRuns: 30 });
});

describe('after an oversized PUBLISH', () => {
  req(['LIM-006'], 'oversized QoS 1 PUBLISH packets get no PUBACK and the same connection keeps delivering', async (h) => {
    const creds = product.device('d6');
    const base = `${creds.productId}/${creds.deviceName}/`;
    const limit = h.target.limits.packetBytes;
    const device = await h.device(creds);
    expect(await device.subscribe(`${base}+`, 1)).toBe(1);
    // Just over the limit, a remaining length of three bytes, and far over it; then a topic over 64 bytes.
    for (const size of [limit + 1, limit + 4000, 4 * limit]) {
      const topic = `${base}big`;
      const payload = Buffer.alloc(payloadForPacket(topic, size, 1), 0x62);
      expect(publishPacketBytes(topic, payload.length, 1)).toBe(size);
      const sent = device.publishTracked(topic, payload);
      const after = `after-${size}`;
      await device.publish(`${base}ok`, after, 1); // PUBACKed: the hub read past the oversized packet
      expect(await device.waitFor((m) => m.topic === `${base}ok` && m.payload.toString() === after, ROUND_TRIP_LIMIT_MS), `delivery after a ${size}-byte PUBLISH`).toBeDefined();
      expect(sent.acked(), `PUBACK for a ${size}-byte PUBLISH`).toBe(false);
      expect(device.received(topic).length, `delivery of a ${size}-byte PUBLISH`).toBe(0);
      expect(device.isOpen, `open after a ${size}-byte PUBLISH`).toBe(true);
    }
    const long = `${base}${'x'.repeat(h.target.limits.topicBytes)}`;
    const sent = device.publishTracked(long, 'long topic');
    await selfLoop(device, `${base}ok`);
    expect(sent.acked(), 'PUBACK for a topic over the limit').toBe(false);
    expect(device.isOpen).toBe(true);
  });
});

describe('subscriptions', () => {
  req(['LIM-007'], 'a message published 5 s after SUBACK is delivered, one published 5 s after UNSUBACK is not', async (h) => {
    const creds = product.device('d7');
    const base = `${creds.productId}/${creds.deviceName}/`;
    const device = await h.device(creds);
    expect(await device.subscribe(`${base}leaving`, 1)).toBe(1);
    expect(await device.subscribe(`${base}sync`, 1)).toBe(1);
    expect(await device.subscribe(`${base}joining`, 1)).toBe(1);
    await device.unsubscribe(`${base}leaving`);
    // The window the service documents (protocol.md §2.3): both changes must be in force once it has passed.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await device.publish(`${base}joining`, 'joined', 1);
    await device.publish(`${base}leaving`, 'left', 1);
    await selfLoop(device, `${base}sync`);
    expect(device.received(`${base}joining`).map((m) => m.payload.toString()), 'delivered on the new subscription').toEqual(['joined']);
    expect(device.received(`${base}leaving`).length, 'delivered on the removed subscription').toBe(0);
  }, { timeout: 20_000 });

  req(['LIM-008'], 'a device holds 60 subscriptions at once and receives on every one', async (h) => {
    const creds = product.device('d8');
    const base = `${creds.productId}/${creds.deviceName}/`;
    const device = await h.device(creds);
    const topics = Array.from({ length: 60 }, (_, i) => `${base}s${i}`);
    for (const t of topics) expect(await device.subscribe(t, 1), `SUBACK for ${t}`).toBe(1);
    for (const t of topics) await device.publish(t, `to ${t}`, 1);
    const all = () => topics.every((t) => device.received(t).some((m) => m.payload.toString() === `to ${t}`));
    await device.conn.until(all, ROUND_TRIP_LIMIT_MS);
    expect(topics.filter((t) => device.received(t).length === 0), 'subscriptions that received nothing').toEqual([]);
  });
});

describe('QoS ceiling', () => {
  req(['LIM-004'], 'a SUBSCRIBE requesting QoS 2 is granted at most QoS 1', async (h) => {
    const creds = product.device('d1');
    const device = await h.device(creds);
    const granted = await device.subscribe(`${creds.productId}/${creds.deviceName}/q2`, 2);
    expect([0, 1]).toContain(granted);
  });
});
