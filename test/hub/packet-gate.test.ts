// The packet gate forwards exactly the packets within their caps, however the byte stream is cut into chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attachPacketGate, judgePacket, type PacketCaps } from '../../hub/bounds/packet-gate.js';
import { parseFaults } from '../../hub/faults.js';

const CAPS: PacketCaps = { connectBytes: 64, packetBytes: 100, skippedPublishBytes: 300 };

/**
 * A packet of `type` whose total size (fixed header included) is `total`, or one byte more where no packet has that size
 * (130: a 2-byte header leaves 128, which needs a 3-byte header), filled with `fill` so lost or mixed bytes show.
 */
function packet(type: number, total: number, fill: number): Buffer {
  for (let headerLength = 2; headerLength <= 5; headerLength++) {
    const remaining = total - headerLength;
    const varint: number[] = [];
    let x = remaining;
    do {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) b |= 0x80;
      varint.push(b);
    } while (x > 0);
    if (varint.length + 1 === headerLength) return Buffer.concat([Buffer.from([type << 4, ...varint]), Buffer.alloc(remaining, fill)]);
  }
  return packet(type, total + 1, fill);
}

function gate(faults: string[] = []) {
  const parsed: Buffer[] = [];
  const conn = { destroyed: false, destroy() { this.destroyed = true; } };
  const client = { id: 'c', conn, _parser: { parse: (b: Buffer) => (parsed.push(Buffer.from(b)), 0) } };
  let connectRead = 0;
  attachPacketGate(client as never, { caps: CAPS, faults: parseFaults(faults), log: () => {}, onConnectRead: () => connectRead++ });
  return { feed: (b: Buffer) => client._parser.parse(b), forwarded: () => Buffer.concat(parsed), conn, connectRead: () => connectRead };
}

describe('judgePacket', () => {
  it('applies the CONNECT cap, skips oversized PUBLISH up to the skip cap, closes the rest', () => {
    const none = parseFaults([]);
    expect(judgePacket(1, 64, CAPS, none)).toBe('forward');
    expect(judgePacket(1, 65, CAPS, none)).toHaveProperty('close');
    expect(judgePacket(3, 100, CAPS, none)).toBe('forward');
    expect(judgePacket(3, 101, CAPS, none)).toBe('skip');
    expect(judgePacket(3, 301, CAPS, none)).toHaveProperty('close');
    expect(judgePacket(8, 101, CAPS, none)).toHaveProperty('close');
    expect(judgePacket(1, 10 ** 8, CAPS, parseFaults(['no-packet-cap']))).toBe('forward');
    expect(judgePacket(3, 101, CAPS, parseFaults(['close-on-oversize-publish']))).toHaveProperty('close');
  });
});

describe('attachPacketGate', () => {
  it('forwards the packets within their caps in order, whatever the chunking', () => {
    const sizes = fc.array(fc.record({ type: fc.constantFrom(3, 4, 12), total: fc.integer({ min: 2, max: 300 }) }), { maxLength: 12 });
    fc.assert(fc.property(fc.integer({ min: 2, max: 63 }), sizes, fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }), (connectTotal, rest, cuts) => {
      const packets = [{ type: 1, total: connectTotal }, ...rest].map((p, i) => ({ type: p.type, bytes: packet(p.type, p.total, i) }))
        .filter((p) => p.type === 1 || (p.type === 3 ? p.bytes.length <= CAPS.skippedPublishBytes : p.bytes.length <= CAPS.packetBytes));
      const stream = Buffer.concat(packets.map((p) => p.bytes));
      const expected = Buffer.concat(packets.filter((p) => p.bytes.length <= CAPS.packetBytes || p.type === 1).map((p) => p.bytes));
      const g = gate();
      let at = 0;
      for (let k = 0; at < stream.length; k++) {
        const n = cuts[k % cuts.length]!;
        g.feed(stream.subarray(at, at + n));
        at += n;
      }
      expect(g.conn.destroyed).toBe(false);
      expect(g.forwarded().equals(expected)).toBe(true);
      expect(g.connectRead()).toBe(1);
    }), { numRuns: 300 });
  });

  it('closes on an oversized CONNECT as soon as its header is read, forwarding none of it', () => {
    const g = gate();
    g.feed(Buffer.from([0x10, 0x80, 0x80]));
    expect(g.conn.destroyed).toBe(false);
    g.feed(Buffer.from([0x80, 0x01])); // 2 MiB declared
    expect(g.conn.destroyed).toBe(true);
    expect(g.forwarded().length).toBe(0);
    expect(g.connectRead()).toBe(0);
  });

  it('closes on a PUBLISH over the skip cap, after handing on the packets before it', () => {
    const g = gate();
    g.feed(Buffer.concat([packet(1, 20, 0), packet(3, 50, 1), packet(3, 301, 2).subarray(0, 10)]));
    expect(g.conn.destroyed).toBe(true);
    expect(g.forwarded().equals(Buffer.concat([packet(1, 20, 0), packet(3, 50, 1)]))).toBe(true);
  });

  it('with the fault no-packet-cap, forwards everything', () => {
    const g = gate(['no-packet-cap']);
    const big = packet(1, 5000, 7);
    g.feed(big);
    expect(g.conn.destroyed).toBe(false);
    expect(g.forwarded().equals(big)).toBe(true);
  });
});
