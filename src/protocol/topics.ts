/** Topic grammar and matching: MQTT 3.1.1 semantics plus the hub's stricter rules (specs/access-rules.md §2, §4). */
import { MAX_TOPIC_BYTES } from './limits.js';

export const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A topic name a client may publish to under plain MQTT 3.1.1 (§4.7): non-empty, no wildcards, no NUL. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}

/** A syntactically valid MQTT 3.1.1 filter: `#` only as the whole last level, `+` only as a whole level. */
export function isValidMqttFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * Does `filter` match topic `name` (MQTT 3.1.1 §4.7)? `+` matches one level, `#` the rest
 * (including the parent level), and wildcards at the first level do not match `$` topics.
 */
export function matches(filter: string, name: string): boolean {
  const f = filter.split('/');
  const t = name.split('/');
  if (name.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * The intersection of two filters with `+` levels (and `#` only in `a`): the filter matching
 * exactly the topics both match, or null when none. Used for a wildcard SUBSCRIBE against a
 * topic class (access-rules §4).
 */
export function intersect(a: string, b: string): string | null {
  const x = a.split('/');
  const y = b.split('/');
  const out: string[] = [];
  for (let i = 0; i < x.length; i++) {
    const l = x[i]!;
    if (l === '#') return [...out, ...y.slice(i)].join('/') || null;
    if (i >= y.length) return null;
    const r = y[i]!;
    if (r === '#') return [...out, ...x.slice(i)].join('/');
    if (l === '+') out.push(r);
    else if (r === '+' || r === l) out.push(l);
    else return null;
  }
  return x.length === y.length ? out.join('/') : null;
}

/** Does filter `outer` cover filter `inner`: every topic `inner` matches, `outer` matches too? */
export function covers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    const l = o[i]!;
    if (l === '#') return true;
    if (i >= n.length) return false;
    const r = n[i]!;
    if (r === '#') return false;
    if (l !== '+' && (r === '+' || r !== l)) return false;
  }
  return o.length === n.length;
}

export function withinTopicLimit(topic: string): boolean {
  return byteLength(topic) <= MAX_TOPIC_BYTES;
}

/** Total size in bytes of an encoded MQTT 3.1.1 PUBLISH packet (fixed header included). */
export function publishPacketBytes(topic: string, payloadBytes: number, qos: number): number {
  const remaining = 2 + byteLength(topic) + (qos > 0 ? 2 : 0) + payloadBytes;
  let lengthBytes = 1;
  for (let n = remaining; n > 127; n = Math.floor(n / 128)) lengthBytes++;
  return 1 + lengthBytes + remaining;
}

/** Payload size that makes a PUBLISH packet exactly `packetBytes` long (inverse of publishPacketBytes). */
export function payloadForPacket(topic: string, packetBytes: number, qos: number): number {
  for (let payload = Math.max(0, packetBytes - byteLength(topic) - 9); payload <= packetBytes; payload++) {
    const size = publishPacketBytes(topic, payload, qos);
    if (size === packetBytes) return payload;
    if (size > packetBytes) break;
  }
  throw new Error(`no payload size gives a ${packetBytes}-byte PUBLISH on ${topic}`);
}
