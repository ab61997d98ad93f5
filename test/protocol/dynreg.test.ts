// Appendix C vector C2 and the legacy C SDK formats, held against both readings: the harness's (src/protocol) and the hub's.
import { describe, expect, it } from 'vitest';
import { encryptRegisterPayload, legacySignatureValid } from '../../hub/services/register/payload.js';
import { decryptRegisterPayload, LEGACY_LOG_HEADER, legacyLogBody, legacyRegisterSignature } from '../../src/protocol/http-sign.js';

// protocol.md §8.5 / Appendix C2: the doc's example answer, decrypted and verified by the author of protocol.md
const C2 = {
  productSecret: 'hzvf5LF9S0isvBhDSauWMaIk',
  payload: 's6FB3a1BA/YYbcmSE12XpeDVmQNDcf1QgVD141RRbmmAnFwQfp1ECAu5O016mCOvYlJJ6V59yM4OqQSiWphfTg==',
  plaintext: '{"encryptionType":2,"psk":"lDZ6Uqt+I9E0wW7rvDUs7Q=="}',
};

describe('appendix C2', () => {
  it('the harness decrypts the doc payload to the plaintext and 11 zero bytes', () => {
    const p = decryptRegisterPayload(C2.payload, C2.productSecret, 53);
    expect(p.plaintext).toBe(C2.plaintext);
    expect([...p.padding]).toEqual(new Array(11).fill(0));
  });

  it('the hub encrypts the plaintext to exactly the doc payload', () => {
    expect(encryptRegisterPayload(C2.plaintext, C2.productSecret, new Set())).toEqual({ Len: 53, Payload: C2.payload });
  });

  it('a plaintext of whole blocks gets one block of zeros, so the C SDK finds its end', () => {
    const plaintext = JSON.stringify({ encryptionType: 2, psk: 'x'.repeat(64 - 29) });
    expect(plaintext.length).toBe(64);
    const r = encryptRegisterPayload(plaintext, C2.productSecret, new Set());
    const p = decryptRegisterPayload(r.Payload, C2.productSecret, r.Len);
    expect([p.plaintext, p.padding.length, [...p.padding].every((b) => b === 0)]).toEqual([plaintext, 16, true]);
  });
});

describe('legacy C SDK bodies', () => {
  it('the /register/dev signature is Base64 of the 40-character hex HMAC-SHA1, and the hub agrees', () => {
    const input = { productSecret: C2.productSecret, productId: 'ASJ1234GX0', deviceName: 'xyz', nonce: 5456, timestamp: 1700000000 };
    const signature = legacyRegisterSignature(input);
    expect(Buffer.from(signature, 'base64').toString('latin1')).toMatch(/^[0-9a-f]{40}$/);
    expect(legacySignatureValid({ ...input, signature }, new Set())).toBe(true);
    expect(legacySignatureValid({ ...input, nonce: 5457, signature }, new Set())).toBe(false);
  });

  it('the report-log header is 112 characters: signature, P###, #-padded product id and device name, 10-digit timestamp', () => {
    const body = legacyLogBody({ key: 'lDZ6Uqt+I9E0wW7rvDUs7Q==', productId: 'ABCDEFGHIJ', deviceName: 'dev01', timestamp: 0, entries: ['ERR|t|f.c|g(1): x'] });
    expect(body.slice(LEGACY_LOG_HEADER.signature, LEGACY_LOG_HEADER.total)).toBe(`P###ABCDEFGHIJdev01${'#'.repeat(43)}0000000000`);
    expect(body.slice(LEGACY_LOG_HEADER.total)).toBe('ERR|t|f.c|g(1): x\n\f');
    expect(body.slice(0, 40)).toMatch(/^[0-9a-f]{40}$/);
  });
});
