// Algebraic properties of the topic model: intersection and covering agree with matching on every topic.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { covers, intersect, isValidMqttFilter, matches, payloadForPacket, publishPacketBytes } from '../../src/protocol/index.js';

const level = fc.constantFrom('a', 'b', 'c');
const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
const filterLevel = fc.constantFrom('a', 'b', '+');
const filter = fc
  .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([l, hash]) => (hash ? [...l, '#'] : l).join('/'));
const classPattern = fc.array(filterLevel, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));

describe('topic model', () => {
  test.prop([filter, classPattern, topic])('t matches F ∩ C iff it matches F and C', (f, c, t) => {
    const i = intersect(f, c);
    expect(i === null ? false : matches(i, t)).toBe(matches(f, t) && matches(c, t));
  });

  test.prop([filter, filter, topic])('F covers S implies every topic S matches, F matches', (f, s, t) => {
    fc.pre(covers(f, s) && matches(s, t));
    expect(matches(f, t)).toBe(true);
  });

  test.prop([filter])('generated filters are valid MQTT filters', (f) => {
    expect(isValidMqttFilter(f)).toBe(true);
  });

  it('rejects malformed filters', () => {
    for (const f of ['', 'a/#/b', 'a/b#', 'a+/b', '#/a', 'a/\u0000']) expect(isValidMqttFilter(f)).toBe(false);
  });

  it('does not match $ topics with a leading wildcard', () => {
    expect(matches('#', '$shadow/x')).toBe(false);
    expect(matches('+/x', '$sys/x')).toBe(false);
    expect(matches('$sys/#', '$sys/x')).toBe(true);
  });

  test.prop([fc.integer({ min: 10, max: 20000 }), fc.constantFrom(0, 1)])('payloadForPacket inverts publishPacketBytes', (size, qos) => {
    const t = 'ABCDEFGHIJ/dev/event';
    let payload: number | undefined;
    try { payload = payloadForPacket(t, size, qos); } catch { /* sizes straddling a length-byte boundary have no exact payload */ }
    if (payload !== undefined) expect(publishPacketBytes(t, payload, qos)).toBe(size);
  });
});
