// The firmware server's Range parsing: RFC 7233 single ranges, the C SDK's end-past-the-file form, and what is ignored.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseRange } from '../../hub/services/ota/range.js';

describe('parseRange', () => {
  test.each([
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-99', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=10-', 100, { kind: 'partial', start: 10, end: 99 }],
    ['bytes=10-100', 100, { kind: 'partial', start: 10, end: 99 }], // C SDK: bytes=OFF-file_size
    ['bytes=10-5000', 100, { kind: 'partial', start: 10, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'partial', start: 0, end: 99 }],
    ['BYTES = 5 - 6', 100, { kind: 'partial', start: 5, end: 6 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=100-100', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-0', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }], // several ranges: ignored
    ['items=0-1', 100, { kind: 'full' }],
    ['bytes=9-3', 100, { kind: 'full' }], // invalid: ignored
    ['bytes=-', 100, { kind: 'full' }],
    ['nonsense', 100, { kind: 'full' }],
  ] as const)('%s of %i bytes', (range, size, expected) => {
    expect(parseRange(range, size)).toEqual(expected);
  });

  test('any OFF-END with OFF inside the file gives a non-empty slice inside the file ending at min(END, size-1)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(), fc.nat(), (size, a, b) => {
      const start = a % size;
      const end = start + (b % (size + 5));
      const d = parseRange(`bytes=${start}-${end}`, size);
      expect(d).toEqual({ kind: 'partial', start, end: Math.min(end, size - 1) });
    }));
  });
});
