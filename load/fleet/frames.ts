/** The few MQTT packets a fleet session sends and reads: generated with mqtt-packet, read with a tiny framer so an idle session holds no parser. */
import mqttPacket from 'mqtt-packet';

export const PINGREQ = Buffer.from([0xc0, 0x00]);
export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export function connectPacket(clientId: string, username: string, password: string, keepalive: number): Buffer {
  return mqttPacket.generate({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive, username, password: Buffer.from(password),
  });
}

export function subscribePacket(messageId: number, topics: readonly { topic: string; qos: 0 | 1 }[]): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: topics.map((t) => ({ topic: t.topic, qos: t.qos })) });
}

export function publishPacket(topic: string, payload: Buffer | string, qos: 0 | 1, messageId: number): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic, payload, qos, dup: false, retain: false, ...(qos ? { messageId } : {}) } as mqttPacket.IPublishPacket);
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

function decodeFrame(first: number, body: Buffer): Incoming {
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
