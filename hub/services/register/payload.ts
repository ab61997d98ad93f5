// The encrypted answer of dynamic registration, exactly as the official SDKs decrypt it (protocol.md §8.5, Appendix C vector C2).

import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import type { Faults } from '../../faults.js';

const BLOCK = 16;

/**
 * Payload = Base64(AES-128-CBC(plaintext)), key = the first 16 characters of the ProductSecret (ASCII), IV = 16 × ASCII '0',
 * zero padding (no PKCS#7): the C SDK (`_parse_devinfo`) and the Java SDK (`AES/CBC/NoPadding`, then the first Len bytes)
 * decrypt raw blocks and the Python SDK strips trailing NULs. A plaintext of whole blocks still gets one block of zeros:
 * the C SDK reads the plaintext as a C string and decrypts one block past the data, so it needs a NUL after the JSON.
 * Len = the plaintext's length in bytes (HTTP-019).
 */
export function encryptRegisterPayload(plaintext: string, productSecret: string, faults: Faults): { Len: number; Payload: string } {
  const data = Buffer.from(plaintext, 'utf8');
  const padded = Buffer.alloc((Math.floor(data.length / BLOCK) + 1) * BLOCK); // zeros
  data.copy(padded);
  let input = padded;
  if (faults.has('dynreg-pkcs7-padding')) {
    const n = BLOCK - (data.length % BLOCK);
    input = Buffer.concat([data, Buffer.alloc(n, n)]);
  }
  const key = Buffer.from(productSecret.slice(0, BLOCK), 'latin1');
  // fault: an IV of 16 zero bytes instead of 16 ASCII '0' characters
  const iv = faults.has('dynreg-wrong-iv') ? Buffer.alloc(BLOCK) : Buffer.from('0'.repeat(BLOCK), 'latin1');
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  cipher.setAutoPadding(false);
  return { Len: data.length, Payload: Buffer.concat([cipher.update(input), cipher.final()]).toString('base64') };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface LegacySignatureInput { productSecret: string; deviceName: string; nonce: number; productId: string; timestamp: number; signature: string }

/**
 * The legacy C SDK's /register/dev signature (`_cal_dynreg_sign`): Base64 of the lowercase hex HMAC-SHA1 keyed with the
 * ProductSecret text over "deviceName=…&nonce=…&productId=…&timestamp=…" (HTTP-025); upper-case hex is accepted too.
 */
export function legacySignatureValid(i: LegacySignatureInput, faults: Faults): boolean {
  const source = `deviceName=${i.deviceName}&nonce=${i.nonce}&productId=${i.productId}&timestamp=${i.timestamp}`;
  const mac = createHmac('sha1', Buffer.from(i.productSecret, 'utf8')).update(source).digest();
  // fault: Base64 of the raw HMAC bytes, as the X-TC signatures are, instead of Base64 of its hex text
  if (faults.has('dynreg-legacy-raw-signature')) return sameText(mac.toString('base64'), i.signature);
  const hex = mac.toString('hex');
  return [hex, hex.toUpperCase()].some((h) => sameText(Buffer.from(h, 'latin1').toString('base64'), i.signature));
}
