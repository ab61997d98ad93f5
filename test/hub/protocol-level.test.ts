// The CONNECT screen finds the protocol level in partial and malformed input without consuming what Aedes must read.
import { describe, expect, it } from 'vitest';
import { connectLevel } from '../../hub/auth/protocol-level.js';

describe('connectLevel', () => {
  const mqtt311 = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c]);
  const mqtt31 = Buffer.from([0x10, 0x0e, 0x00, 0x06, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70, 0x03, 0x02, 0x00, 0x3c]);

  it('reads levels 4 and 3', () => {
    expect(connectLevel(mqtt311)).toBe(4);
    expect(connectLevel(mqtt31)).toBe(3);
  });

  it('asks for more bytes while the level has not arrived', () => {
    for (let n = 0; n < 8; n++) expect(connectLevel(mqtt311.subarray(0, n))).toBeUndefined();
  });

  it('leaves non-CONNECT and malformed input to the broker', () => {
    expect(connectLevel(Buffer.from('GET / HTTP/1.1'))).toBeNull();
    expect(connectLevel(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toBeNull();
    expect(connectLevel(Buffer.from([0x10, 0x0c, 0x00, 0x40]))).toBeNull();
  });

  it('reports an unknown level', () => {
    const v5 = Buffer.from(mqtt311);
    v5[8] = 5;
    expect(connectLevel(v5)).toBe(5);
  });
});
