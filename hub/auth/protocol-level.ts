// Refuses a CONNECT with an unknown protocol level with CONNACK 0x01 (MQTT 3.1.1 §3.1.2.2), which Aedes' parser would answer by closing silently.

import type { Duplex } from 'node:stream';

/** Protocol levels the hub speaks: 3 (MQIsdp, MQTT 3.1) and 4 (MQTT 3.1.1). */
const LEVELS = new Set([3, 4]);
const CONNACK_UNACCEPTABLE_PROTOCOL = Buffer.from([0x20, 0x02, 0x00, 0x01]);
/** A CONNECT's fixed header, remaining length, protocol name and level fit well within this. */
const PEEK_LIMIT = 16;
/** A connection that sends no CONNECT within this long is closed (Aedes' own connect timeout starts only after the screen). */
const FIRST_BYTES_TIMEOUT_MS = 30_000;

/**
 * The protocol level of a CONNECT at the start of `buf`: a number, `undefined` while more bytes
 * are needed, or `null` when the bytes are not a CONNECT (Aedes then deals with them).
 */
export function connectLevel(buf: Buffer): number | null | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] !== 0x10) return null;
  // The remaining length is 1–4 bytes, the last without the continuation bit.
  let i = 1;
  for (;; i++) {
    if (i > 4) return null; // malformed: Aedes' parser refuses it
    if (i >= buf.length) return undefined;
    if ((buf[i]! & 0x80) === 0) break;
  }
  i++;
  if (i + 2 > buf.length) return undefined;
  const nameLength = buf.readUInt16BE(i);
  if (nameLength > 6) return null;
  const levelAt = i + 2 + nameLength;
  return levelAt < buf.length ? buf[levelAt]! : undefined;
}

/** Reads just far enough into a new connection to see the CONNECT's level; hands good ones on with the bytes put back. */
export function screenProtocolLevel(conn: Duplex, onAccepted: (conn: Duplex) => void): void {
  let seen = Buffer.alloc(0);
  const timer = setTimeout(() => conn.destroy(), FIRST_BYTES_TIMEOUT_MS);
  timer.unref();
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const level = connectLevel(seen);
    if (level === undefined && seen.length < PEEK_LIMIT) return;
    clearTimeout(timer);
    conn.off('data', onData);
    conn.off('close', onClose);
    conn.pause();
    if (typeof level === 'number' && !LEVELS.has(level)) {
      conn.end(CONNACK_UNACCEPTABLE_PROTOCOL);
      return;
    }
    conn.unshift(seen);
    onAccepted(conn);
  };
  const onClose = () => {
    clearTimeout(timer);
    conn.off('data', onData);
  };
  conn.on('data', onData);
  conn.once('close', onClose);
}
