// COAP-012: the hub's reading of the RFC 7252 §3 message format (hub/coap/format.ts) against the suites' own
// (suites/support/coap-format.ts), written separately: both must call the same datagrams malformed. The generator
// builds real messages (options with one- and two-byte extensions, a payload or none) and cuts them anywhere, so the
// corners are reached: an option ending the datagram exactly, an extension cut off, a marker with nothing after it.

import fc from 'fast-check';
import { expect, test } from 'vitest';
import { formatError } from '../../hub/coap/format.js';
import { isWellFormedCoap } from '../../suites/support/coap-format.js';

/** An option's header and value: delta and length each as a nibble or its 13 / 14 extension (RFC 7252 §3.1). */
function option(delta: number, value: Uint8Array): number[] {
  const part = (n: number): [number, number[]] => (n < 13 ? [n, []] : n < 269 ? [13, [n - 13]] : [14, [(n - 269) >> 8, (n - 269) & 0xff]]);
  const [d, dx] = part(delta);
  const [l, lx] = part(value.length);
  return [(d << 4) | l, ...dx, ...lx, ...value];
}

const message = fc.record({
  token: fc.uint8Array({ maxLength: 8 }),
  options: fc.array(fc.record({ delta: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 13, max: 268 }), fc.integer({ min: 269, max: 400 })), value: fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ minLength: 13, maxLength: 40 }), fc.uint8Array({ minLength: 269, maxLength: 300 })) }), { maxLength: 3 }),
  payload: fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 8 })),
  cut: fc.option(fc.nat(), { nil: undefined }),
}).map(({ token, options, payload, cut }) => {
  const bytes = [0x40 | token.length, 0x01, 0x12, 0x34, ...token, ...options.flatMap((o) => option(o.delta, o.value)), ...(payload ? [0xff, ...payload] : [])];
  return Buffer.from(cut === undefined ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
});

test('[COAP-012] the hub and the suites agree on which datagrams are malformed', () => {
  fc.assert(fc.property(fc.oneof(message, fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))), (datagram) => {
    expect(formatError(datagram) === undefined, `${datagram.toString('hex')}: hub says ${formatError(datagram) ?? 'well-formed'}`).toBe(isWellFormedCoap(datagram));
  }), { numRuns: 2000 });
});

test('[COAP-012] the corners, by hand', () => {
  const head = [0x40, 0x01, 0x12, 0x34];
  expect(formatError(Buffer.from([...head, 0xb1, 0x61])), 'an option ending the datagram exactly').toBeUndefined();
  expect(formatError(Buffer.from([...head, 0x1d])), 'a length extension cut off').toBeDefined();
  expect(formatError(Buffer.from([...head, 0xd1, 0x05])), 'a one-byte value cut off after the delta extension').toBeDefined();
  expect(formatError(Buffer.from([...head, 0xff])), 'a payload marker with nothing after it').toBeDefined();
});
