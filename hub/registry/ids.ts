// Random identifiers and secrets: ProductId, device PSK and cloud API credentials.

import { randomBytes, randomInt } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A ProductId: 10 characters [A-Z0-9], like the samples (`ABCDE12345`, `UTY5QRLMQY`). */
export function newProductId(): string {
  return randomString(UPPER_ALNUM, 10);
}

/** A device PSK: base64 of 16 random bytes (what the console issues). */
export function newDevicePsk(): string {
  return randomBytes(16).toString('base64');
}

/** Cloud API credentials shaped like Tencent's: `AKID` + 32 characters, and a 32-character key. */
export function newApiCredentials(): { secretId: string; secretKey: string } {
  return { secretId: 'AKID' + randomString(ALNUM, 32), secretKey: randomString(ALNUM, 32) };
}
