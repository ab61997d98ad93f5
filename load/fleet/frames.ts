/**
 * The few MQTT 3.1.1 packets a fleet session sends and reads, encoded and framed here: an idle session holds no parser,
 * and nothing loads mqtt-packet, whose first use builds a cache of 65,536 Buffers (6 MiB, 0.8 KiB per session at 8,000).
 */

export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** Bytes of a remaining-length field. */
function lengthBytes(remaining: number): number {
  return remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
}

/** Allocates a packet and writes its fixed header; returns the buffer and the offset after the header. */
function packet(first: number, remaining: number): [Buffer, number] {
  const buf = Buffer.allocUnsafe(1 + lengthBytes(remaining) + remaining);
  buf[0] = first;
  let o = 1;
  let r = remaining;
  do { let b = r % 128; r = Math.floor(r / 128); if (r > 0) b |= 0x80; buf[o++] = b; } while (r > 0);
  return [buf, o];
}

function writeString(buf: Buffer, o: number, bytes: Buffer): number {
  buf.writeUInt16BE(bytes.length, o);
  bytes.copy(buf, o + 2);
  return o + 2 + bytes.length;
}

export function connectPacket(clientId: string, username: string, password: string, keepalive: number): Buffer {
  const id = Buffer.from(clientId);
  const user = Buffer.from(username);
  const pass = Buffer.from(password);
  const [buf, at] = packet(0x10, 10 + 2 + id.length + 2 + user.length + 2 + pass.length);
  let o = writeString(buf, at, Buffer.from('MQTT'));
  buf[o++] = 4; // protocol level 3.1.1
  buf[o++] = 0x80 | 0x40 | 0x02; // username, password, clean session
  buf.writeUInt16BE(keepalive, o); o += 2;
  o = writeString(buf, o, id);
  o = writeString(buf, o, user);
  writeString(buf, o, pass);
  return buf;
}

export function subscribePacket(messageId: number, topics: readonly { topic: string; qos: 0 | 1 }[]): Buffer {
  const filters = topics.map((t) => Buffer.from(t.topic));
  const [buf, at] = packet(0x82, 2 + filters.reduce((n, f) => n + 3 + f.length, 0));
  buf.writeUInt16BE(messageId, at);
  let o = at + 2;
  filters.forEach((f, i) => { o = writeString(buf, o, f); buf[o++] = topics[i]!.qos; });
  return buf;
}

export function publishPacket(topic: string, payload: Buffer | string, qos: 0 | 1, messageId: number): Buffer {
  const t = Buffer.from(topic);
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const [buf, at] = packet(0x30 | (qos << 1), 2 + t.length + (qos ? 2 : 0) + body.length);
  let o = writeString(buf, at, t);
  if (qos) { buf.writeUInt16BE(messageId, o); o += 2; }
  body.copy(buf, o);
  return buf;
}

/** A QoS 0/1 PUBLISH built straight into one buffer (the hot path of telemetry): ASCII payload `head` padded with 'x' to `size` bytes. */
export function publishFrame(topic: string, qos: 0 | 1, messageId: number, head: string, size: number): Buffer {
  const tlen = Buffer.byteLength(topic);
  const plen = Math.max(size, head.length);
  const remaining = 2 + tlen + (qos ? 2 : 0) + plen;
  const lenBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : 3;
  const buf = Buffer.allocUnsafe(1 + lenBytes + remaining);
  buf[0] = 0x30 | (qos << 1);
  let o = 1;
  let r = remaining;
  do { let b = r % 128; r = Math.floor(r / 128); if (r > 0) b |= 0x80; buf[o++] = b; } while (r > 0);
  buf.writeUInt16BE(tlen, o); o += 2;
  o += buf.write(topic, o, 'utf8');
  if (qos) { buf.writeUInt16BE(messageId, o); o += 2; }
  o += buf.write(head, o, 'latin1');
  buf.fill(0x78, o);
  return buf;
}

export function pubackPacket(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

/** A decoded incoming packet: only what the engine reads. */
export type Incoming =
  | { type: 'connack'; returnCode: number }
  | { type: 'suback'; messageId: number; granted: number[] }
  | { type: 'puback'; messageId: number }
  | { type: 'publish'; topic: string; payload: Buffer; qos: number; messageId: number }
  | { type: 'pingresp' }
  | { type: 'other'; code: number };

/**
 * Splits a byte stream into whole MQTT packets. Returns the unconsumed tail (a partial packet) or null.
 * Throws on a malformed remaining length.
 */
export function splitFrames(buf: Buffer, onPacket: (p: Incoming) => void): Buffer | null {
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 2) break;
    let len = 0;
    let mul = 1;
    let i = off + 1;
    let complete = false;
    for (let n = 0; n < 4; n++, i++) {
      if (i >= buf.length) break;
      const b = buf[i]!;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) { complete = true; i++; break; }
      if (n === 3) throw new Error('malformed remaining length');
    }
    if (!complete || buf.length - i < len) break;
    onPacket(decodeFrame(buf[off]!, buf.subarray(i, i + len)));
    off = i + len;
  }
  return off >= buf.length ? null : Buffer.from(buf.subarray(off)); // copy: do not pin the whole socket chunk
}

export function decodeFrame(first: number, body: Buffer): Incoming {
  const code = first >> 4;
  switch (code) {
    case 2: return { type: 'connack', returnCode: body[1] ?? 255 };
    case 4: return { type: 'puback', messageId: body.readUInt16BE(0) };
    case 9: return { type: 'suback', messageId: body.readUInt16BE(0), granted: [...body.subarray(2)] };
    case 13: return { type: 'pingresp' };
    case 3: {
      const qos = (first >> 1) & 3;
      const tlen = body.readUInt16BE(0);
      const topic = body.toString('utf8', 2, 2 + tlen);
      let p = 2 + tlen;
      let messageId = 0;
      if (qos > 0) { messageId = body.readUInt16BE(p); p += 2; }
      return { type: 'publish', topic, payload: body.subarray(p), qos, messageId };
    }
    default: return { type: 'other', code };
  }
}

/**
 * A QoS 0/1 PUBLISH made once per session and reused for every telemetry message: only the packet identifier and the
 * payload's head (`seq,intendedMs,`) change, patched in place, so the hot path allocates nothing.
 */
export interface PublishTemplate {
  /** `headroom` spare bytes, then the frame: a caller can put other packets (PUBACKs) in front and write once. */
  buf: Buffer;
  /** The frame alone (a view of buf). */
  frame: Buffer;
  headroom: number;
  /** Offset in buf of the packet identifier (QoS 1), or -1. */
  idAt: number;
  /** Offset in buf of the payload. */
  payloadAt: number;
  /** Bytes of the last head written (the rest of the payload is 'x'). */
  headLen: number;
}

export function publishTemplate(topic: string, qos: 0 | 1, size: number, headroom = 0): PublishTemplate {
  const frame = publishFrame(topic, qos, 1, '', size);
  const buf = Buffer.allocUnsafe(headroom + frame.length);
  frame.copy(buf, headroom);
  const payloadAt = buf.length - size;
  return { buf, frame: buf.subarray(headroom), headroom, idAt: qos ? payloadAt - 2 : -1, payloadAt, headLen: 0 };
}

/** A copy of a template (when the socket still holds the old one's bytes). */
export function cloneTemplate(t: PublishTemplate): PublishTemplate {
  const buf = Buffer.from(t.buf);
  return { ...t, buf, frame: buf.subarray(t.headroom) };
}

/** Writes the decimal digits of a non-negative integer at `at`; returns the offset after them. */
function writeDigits(buf: Buffer, at: number, v: number): number {
  const digits = digitsOf(v);
  for (let i = at + digits - 1; i >= at; i--) { buf[i] = 48 + (v % 10); v = Math.floor(v / 10); }
  return at + digits;
}

/** The head's length for a sequence number (what `patchPublish` writes), so callers can check that it fits. */
export function headLength(seq: number, intendedMs: number): number {
  return digitsOf(seq) + digitsOf(Math.floor(intendedMs)) + 6; // ',' '.' 3 decimals ','
}

function digitsOf(v: number): number {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  return digits;
}

/**
 * Patches the template with a packet identifier and the head `${seq},${intendedMs.toFixed(3)},` (the same text
 * publishFrame writes). The caller checks `headLength(...) <= size` first.
 */
export function patchPublish(t: PublishTemplate, messageId: number, seq: number, intendedMs: number): void {
  const b = t.buf;
  if (t.idAt >= 0) { b[t.idAt] = messageId >> 8; b[t.idAt + 1] = messageId & 0xff; }
  const us = Math.round(intendedMs * 1000);
  const ms = Math.floor(us / 1000);
  const frac = us - ms * 1000;
  let o = writeDigits(b, t.payloadAt, seq);
  b[o++] = 44;
  o = writeDigits(b, o, ms);
  b[o++] = 46;
  b[o++] = 48 + Math.floor(frac / 100);
  b[o++] = 48 + (Math.floor(frac / 10) % 10);
  b[o++] = 48 + (frac % 10);
  b[o++] = 44;
  const len = o - t.payloadAt;
  if (len < t.headLen) b.fill(0x78, o, t.payloadAt + t.headLen); // a shorter head than last time: no stale digits
  t.headLen = len;
}

/** What parseHead read (module scratch instead of an object per message). */
export const head = { seq: -1, ms: NaN };

/** Reads `seq,ms[.fff],` from a payload at [from, to): sets head.seq (-1 when absent) and head.ms (NaN when absent). */
export function parseHead(buf: Buffer, from: number, to: number): void {
  let i = from;
  let seq = 0;
  let any = false;
  for (; i < to; i++) {
    const c = buf[i]!;
    if (c === 44) break;
    if (c < 48 || c > 57) { head.seq = -1; head.ms = NaN; return; }
    seq = seq * 10 + (c - 48);
    any = true;
  }
  head.seq = any && i < to ? seq : -1;
  let ms = 0;
  let scale = 0;
  any = false;
  for (i++; i < to; i++) {
    const c = buf[i]!;
    if (c === 44) break;
    if (c === 46 && scale === 0) { scale = 1; continue; }
    if (c < 48 || c > 57) break;
    if (scale) { scale /= 10; ms += (c - 48) * scale; } else ms = ms * 10 + (c - 48);
    any = true;
  }
  head.ms = any ? ms : NaN;
}
