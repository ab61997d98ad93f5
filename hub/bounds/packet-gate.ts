// Packet sizes judged from the fixed header, before the body is read: MQTT's remaining length comes first, so a
// client that declares an oversized packet is refused (or its PUBLISH skipped) without the hub buffering it.
//
// Why here: Aedes hands every byte to mqtt-packet's parser, which buffers a packet whole before emitting it, and
// neither takes a size cap for MQTT 3.1.1. The gate wraps the parser's parse() on each connection and forwards only
// the bytes of packets within their caps.

import type { Client } from 'aedes';
import type { Faults } from '../faults.js';
import { MAX_CONNECT_PACKET_BYTES, MAX_PUBLISH_PACKET_BYTES, MAX_SKIPPED_PUBLISH_BYTES } from '../limits.js';

const CONNECT = 1;
const PUBLISH = 3;

export interface PacketCaps {
  connectBytes: number;
  packetBytes: number;
  skippedPublishBytes: number;
}

export const DEFAULT_PACKET_CAPS: PacketCaps = {
  connectBytes: MAX_CONNECT_PACKET_BYTES,
  packetBytes: MAX_PUBLISH_PACKET_BYTES,
  skippedPublishBytes: MAX_SKIPPED_PUBLISH_BYTES,
};

/** What the gate does with the packet whose fixed header it has just read. */
export type Verdict = 'forward' | 'skip' | { close: string };

/** The rule, apart from the byte plumbing: `total` counts the fixed header too. */
export function judgePacket(type: number, total: number, caps: PacketCaps, faults: Faults): Verdict {
  if (faults.has('no-packet-cap')) return 'forward'; // the fault: every packet is buffered whole, whatever it declares
  if (type === CONNECT) {
    return total > caps.connectBytes ? { close: `CONNECT declares ${total} bytes, over ${caps.connectBytes}` } : 'forward'; // LIM-016
  }
  if (total <= caps.packetBytes) return 'forward';
  if (type === PUBLISH && total <= caps.skippedPublishBytes && !faults.has('close-on-oversize-publish')) return 'skip'; // LIM-003, LIM-006
  return { close: `${type === PUBLISH ? 'PUBLISH' : `packet type ${type}`} declares ${total} bytes, over ${type === PUBLISH && !faults.has('close-on-oversize-publish') ? caps.skippedPublishBytes : caps.packetBytes}` };
}

interface ParserInternals {
  parse(buf: Buffer): number;
}

export interface PacketGateOptions {
  caps: PacketCaps;
  faults: Faults;
  log: (line: string) => void;
  /** Called once, when the last byte of the connection's first packet (its CONNECT) has been handed to the parser. */
  onConnectRead?: () => void;
}

/**
 * Wraps the client's parser: a small state machine over the byte stream that holds at most a fixed header (5 bytes)
 * of its own, forwards packets within their caps, drops the body of a skipped PUBLISH as it arrives, and closes the
 * connection for the rest. Throws when Aedes' internals are not as expected, so an upgrade fails at start.
 */
export function attachPacketGate(client: Client, o: PacketGateOptions): void {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser.parse !== 'function') throw new Error('aedes: client._parser.parse is missing; the packet gate cannot wrap it');
  const parse = parser.parse.bind(parser);
  let header: number[] = [];
  let left = 0; // body bytes of the current packet still to come
  let skipping = false;
  let first = true;
  let closed = false;

  const close = (reason: string) => {
    closed = true;
    o.log(`mqtt: closing a connection from ${remote(client)}: ${reason}`);
    client.conn.destroy();
  };
  const packetDone = () => {
    if (first) {
      first = false;
      o.onConnectRead?.();
    }
  };

  parser.parse = (buf: Buffer): number => {
    if (closed) return 0;
    const out: Buffer[] = [];
    let carry = header.length ? Buffer.from(header) : undefined; // an earlier chunk's bytes of a header, not forwarded yet
    let headerCarried = carry !== undefined; // the header being read began in an earlier chunk
    let seg = 0; // where the bytes still to forward begin in buf
    let headerAt = 0; // where the header being read began in buf
    const flush = (end: number) => {
      if (carry) out.push(carry);
      carry = undefined;
      if (end > seg) out.push(buf.subarray(seg, end));
      seg = end;
    };
    const refuse = () => {
      // the packet's own header bytes go nowhere; everything before it is still handled
      if (headerCarried) carry = undefined;
      else flush(headerAt);
      headerCarried = false;
    };
    const deliver = () => (out.length ? parse(out.length === 1 ? out[0]! : Buffer.concat(out)) : 0);
    let i = 0;
    while (i < buf.length) {
      if (left > 0) {
        const n = Math.min(left, buf.length - i);
        i += n;
        left -= n;
        if (skipping) seg = i; // dropped as it arrives: never buffered
        if (left === 0) {
          if (!skipping) packetDone();
          skipping = false;
        }
        continue;
      }
      if (header.length === 0) headerAt = i;
      header.push(buf[i++]!);
      if (header.length === 1) continue;
      if (header[header.length - 1]! & 0x80) {
        if (header.length < 5) continue;
        refuse();
        deliver();
        close('malformed remaining length');
        return 0;
      }
      let remaining = 0;
      for (let k = header.length - 1; k >= 1; k--) remaining = remaining * 128 + (header[k]! & 0x7f);
      const total = header.length + remaining;
      const verdict = judgePacket(header[0]! >> 4, total, o.caps, o.faults);
      if (verdict === 'forward') {
        headerCarried = false; // its carried bytes stay in `carry`, forwarded first at the next flush
      } else {
        refuse();
        if (typeof verdict === 'object') {
          deliver();
          close(verdict.close);
          return 0;
        }
        o.log(`mqtt: skipping a PUBLISH of ${total} bytes from ${client.id ?? remote(client)} unread (over ${o.caps.packetBytes})`);
        seg = i;
      }
      header = [];
      left = remaining;
      skipping = verdict === 'skip';
      if (left === 0 && !skipping) packetDone();
    }
    if (header.length === 0) flush(buf.length);
    else if (headerCarried) carry = undefined; // still inside the same header: all its bytes wait in `header`
    else flush(headerAt); // an incomplete header at the end waits for the next chunk
    return deliver();
  };
}

function remote(client: Client): string {
  const conn = client.conn as { remoteAddress?: string };
  return (conn.remoteAddress ?? 'a client').replace(/^::ffff:/, '');
}
