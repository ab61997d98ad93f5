// Parsing and verifying the MQTT login of a key device: username fields, password token and HMAC (access-rules §1, protocol.md §1.3–§1.4).

import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignMethod = 'hmacsha256' | 'hmacsha1';

export interface UsernameFields {
  clientIdField: string;
  sdkappid: string;
  connid: string;
  expiry: bigint;
}

export interface PasswordFields {
  hex: string;
  method: SignMethod;
}

const INT64_MAX = 9223372036854775807n;

/** ClientId = productId (10 × [A-Z0-9]) + deviceName ([a-zA-Z0-9:_-]{1,48}). */
export const CLIENT_ID_RE = /^([A-Z0-9]{10})([a-zA-Z0-9:_-]{1,48})$/;

/** Checks a fault switch may skip (`connid-unchecked`, `accept-expiry-over-64-bits`); all on by default. */
export interface UsernameChecks {
  connid?: boolean;
  expiryWithin64Bits?: boolean;
}

/** Splits `${clientId};${sdkappid};${connid};${expiry}`; null when it has not exactly 4 well-formed fields. */
export function parseUsername(username: string, checks: UsernameChecks = {}): UsernameFields | null {
  const parts = username.split(';');
  if (parts.length !== 4) return null;
  const [clientIdField, sdkappid, connid, expiry] = parts as [string, string, string, string];
  if (!/^\d{1,16}$/.test(sdkappid)) return null; // any decimal string: the signature binds it
  if (checks.connid !== false && !/^[A-Za-z0-9]{1,32}$/.test(connid)) return null; // AUTH-016
  if (checks.expiryWithin64Bits === false) {
    if (!/^\d{1,1000}$/.test(expiry)) return null;
    return { clientIdField, sdkappid, connid, expiry: BigInt(expiry) };
  }
  if (!/^\d{1,32}$/.test(expiry)) return null;
  const value = BigInt(expiry); // AUTH expiry is a 64-bit integer: LONG_MAX and millisecond values are valid
  if (value > INT64_MAX) return null; // AUTH-018: beyond 64 bits is malformed, not "far future"
  return { clientIdField, sdkappid, connid, expiry: value };
}

/** Splits `${hex};${method}`: 64 hex digits with hmacsha256, 40 with hmacsha1 (lowercase method names). */
export function parsePassword(password: string): PasswordFields | null {
  const m = /^([0-9a-fA-F]+);(hmacsha256|hmacsha1)$/.exec(password);
  if (!m) return null;
  const hex = m[1]!;
  const method = m[2] as SignMethod;
  if (hex.length !== (method === 'hmacsha256' ? 64 : 40)) return null;
  return { hex, method };
}

/** The HMAC key of a login: the PSK's Base64 decoded (protocol.md §1.4 step 1, AUTH-017), not its text. */
export function pskKey(psk: string): Buffer {
  return Buffer.from(psk, 'base64');
}

/** The documented token: lowercase hex of HMAC-method(base64-decode(psk), username); `key` replaces the key (faults only). */
export function loginToken(psk: string, username: string, method: SignMethod, key: Buffer = pskKey(psk)): string {
  const algorithm = method === 'hmacsha256' ? 'sha256' : 'sha1';
  return createHmac(algorithm, key).update(username, 'utf8').digest('hex');
}

/** Constant-time, case-insensitive comparison of the sent hex token with the expected one. */
export function verifyToken(psk: string, username: string, sent: PasswordFields, key: Buffer = pskKey(psk)): boolean {
  const expected = Buffer.from(loginToken(psk, username, sent.method, key), 'latin1');
  const actual = Buffer.from(sent.hex.toLowerCase(), 'latin1');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
