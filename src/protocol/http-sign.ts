/**
 * HTTP device gateway request signing with X-TC-* headers (protocol.md §8.2), the dynamic-registration payload
 * (§8.5) and the legacy C SDK bodies (/register/dev, /cgi-bin/report-log): the harness's reading, independent of the hub.
 */
import { createDecipheriv, createHash, createHmac, createSign, type KeyObject } from 'node:crypto';

/** Algorithms as the SDKs spell them in X-TC-Algorithm; the value is signed verbatim, so "HmacSha256" is also usable. */
export type GatewayAlgorithm = 'hmacsha256' | 'hmacsha1' | 'rsa-sha256' | (string & {});

export interface GatewayStringInput {
  method?: string;       // "POST"
  host: string;          // the request host WITHOUT its port (HTTP-013)
  uri: string;           // "/device/publish"
  algorithm: string;     // the X-TC-Algorithm value, verbatim
  timestamp: number | string;
  nonce: number | string;
  body: string | Buffer; // the raw body bytes as sent
  /**
   * The hash of HashedCanonicalRequest: SHA-256 as the doc says (default), or SHA-1, which the C SDK
   * (`qcloud_iot_http.c`, X-TC-Algorithm hmacsha1) uses on /device/register and /device/reportlog.
   */
  bodyHash?: 'sha256' | 'sha1';
}

export const sha256Hex = (body: string | Buffer): string => createHash('sha256').update(body).digest('hex');

/** The 8 fields joined by "\n", no trailing newline; the query string is always empty for POST. */
export function gatewayStringToSign(i: GatewayStringInput): string {
  const hashed = createHash(i.bodyHash ?? 'sha256').update(i.body).digest('hex');
  return [i.method ?? 'POST', i.host, i.uri, '', i.algorithm, String(i.timestamp), String(i.nonce), hashed].join('\n');
}

export interface GatewaySignInput extends GatewayStringInput {
  /**
   * Key devices: the PSK (for /device/publish, /device/reportlog) or the ProductSecret (/device/register), used as its
   * ASCII text, not Base64-decoded (both official SDKs do so; HTTP-003). Certificate devices: the private key.
   */
  secret: string | KeyObject;
}

export interface GatewaySignature {
  stringToSign: string;
  signature: string;
  /** The four X-TC-* headers to send. */
  headers: Record<'X-TC-Algorithm' | 'X-TC-Timestamp' | 'X-TC-Nonce' | 'X-TC-Signature', string>;
}

/** Chooses the primitive from the algorithm name case-insensitively, as protocol.md §8.2 recommends. */
function primitive(algorithm: string): 'sha256' | 'sha1' | 'rsa-sha256' {
  const a = algorithm.toLowerCase();
  if (a === 'hmacsha256') return 'sha256';
  if (a === 'hmacsha1') return 'sha1';
  if (a === 'rsa-sha256' || a === 'rsa_sha256') return 'rsa-sha256';
  throw new Error(`unknown gateway algorithm ${JSON.stringify(algorithm)}: use hmacsha256, hmacsha1 or rsa-sha256`);
}

export function signGatewayRequest(i: GatewaySignInput): GatewaySignature {
  const stringToSign = gatewayStringToSign(i);
  const p = primitive(i.algorithm);
  let signature: string;
  if (p === 'rsa-sha256') {
    if (typeof i.secret === 'string' && !i.secret.includes('PRIVATE KEY')) throw new Error('rsa-sha256 needs a private key (PEM or KeyObject)');
    signature = createSign('RSA-SHA256').update(stringToSign).sign(i.secret, 'base64');
  } else {
    if (typeof i.secret !== 'string') throw new Error(`${i.algorithm} needs the PSK or ProductSecret text`);
    signature = createHmac(p, Buffer.from(i.secret, 'utf8')).update(stringToSign).digest('base64');
  }
  return {
    stringToSign,
    signature,
    headers: {
      'X-TC-Algorithm': i.algorithm,
      'X-TC-Timestamp': String(i.timestamp),
      'X-TC-Nonce': String(i.nonce),
      'X-TC-Signature': signature,
    },
  };
}

// ---- dynamic registration (protocol.md §8.5, Appendix C vector C2; SDK code: C dynreg.c, Python dynregDevice, Java TXMqttDynreg)

/** The hosts the official SDKs put in the string to sign for /device/register whatever URL they post to (Python, Java, C). */
export const OFFICIAL_GATEWAY_HOSTS = ['ap-guangzhou.gateway.tencentdevices.com', 'gateway.tencentdevices.com'] as const;

export interface RegisterPayload {
  /** All decrypted bytes, padding included (a multiple of 16). */
  bytes: Buffer;
  /** The plaintext the answer's Len announces (the Java SDK keeps exactly these bytes). */
  plaintext: string;
  /** The bytes after Len: zero padding, so all 0x00. */
  padding: Buffer;
}

/**
 * Decrypts a registration Payload as the SDKs do: Base64, AES-128-CBC with key = the first 16 characters of the
 * ProductSecret (ASCII), IV = 16 × ASCII "0", no padding removal (the C and Java SDKs decrypt raw blocks).
 * Throws when the ciphertext is not whole blocks or `len` exceeds it.
 */
export function decryptRegisterPayload(payload: string, productSecret: string, len: number): RegisterPayload {
  if (productSecret.length < 16) throw new Error(`a ProductSecret needs at least 16 characters for the AES key (got ${productSecret.length})`);
  const cipherText = Buffer.from(payload, 'base64');
  if (cipherText.length === 0 || cipherText.length % 16 !== 0) throw new Error(`the Payload is ${cipherText.length} bytes, not whole AES blocks`);
  const decipher = createDecipheriv('aes-128-cbc', Buffer.from(productSecret.slice(0, 16), 'latin1'), Buffer.from('0'.repeat(16), 'latin1'));
  decipher.setAutoPadding(false);
  const bytes = Buffer.concat([decipher.update(cipherText), decipher.final()]);
  if (!Number.isInteger(len) || len < 1 || len > bytes.length) throw new Error(`Len ${len} does not fit the ${bytes.length} decrypted bytes`);
  return { bytes, plaintext: bytes.subarray(0, len).toString('utf8'), padding: bytes.subarray(len) };
}

export interface LegacyRegisterInput { productSecret: string; productId: string; deviceName: string; nonce: number; timestamp: number }

/**
 * The legacy C SDK's /register/dev signature (`_cal_dynreg_sign`): Base64 of the 40-character lowercase hex
 * HMAC-SHA1 keyed with the ProductSecret text over "deviceName=…&nonce=…&productId=…&timestamp=…".
 */
export function legacyRegisterSignature(i: LegacyRegisterInput): string {
  const source = `deviceName=${i.deviceName}&nonce=${i.nonce}&productId=${i.productId}&timestamp=${i.timestamp}`;
  const hex = createHmac('sha1', Buffer.from(i.productSecret, 'utf8')).update(source).digest('hex');
  return Buffer.from(hex, 'latin1').toString('base64');
}

/** The body the legacy C SDK posts to /register/dev (its `para_format`, fields in this order, numbers bare). */
export function legacyRegisterBody(i: LegacyRegisterInput & { signature?: string }): string {
  const signature = i.signature ?? legacyRegisterSignature(i);
  return `{"deviceName":"${i.deviceName}","nonce":${i.nonce},"productId":"${i.productId}","timestamp":${i.timestamp},"signature":"${signature}"}`;
}

// ---- legacy log upload (protocol.md §6.3; C SDK log_upload.c, Java TXMqttLogImpl)

/** Sizes of the fixed header: signature 40, control 4, product id 10, device name 48, timestamp 10 = 112. */
export const LEGACY_LOG_HEADER = { signature: 40, control: 4, productId: 10, deviceName: 48, timestamp: 10, total: 112 } as const;
/** The C SDK separates entries with "\n\f" (it replaces each entry's "\r\n"). */
export const LEGACY_LOG_DELIMITER = '\n\f';

export interface LegacyLogInput {
  /** The signing key text: a key device's PSK (Base64 text), of which the first 24 characters are used. */
  key: string;
  productId: string;
  deviceName: string;
  /** Unix seconds, written as 10 digits ("%010ld"); the C SDK sends 0 when it has no hub time. */
  timestamp: number;
  /** Log entries, e.g. "ERR|2024-01-01 00:00:00|file.c|func(1): text"; each gets the delimiter appended. */
  entries: readonly string[];
  /** 'P' key device (default), 'C' certificate device. */
  control?: string;
  /** Padding of the product id and device name fields: '#' as both SDKs fill them (default). */
  pad?: string;
}

/**
 * A legacy /cgi-bin/report-log body: [40-char lowercase hex HMAC-SHA1 over everything after it, keyed with the
 * first ≤ 24 characters of the key][control byte + "###"][product id][device name][10-digit timestamp][entries].
 */
export function legacyLogBody(i: LegacyLogInput): string {
  const pad = i.pad ?? '#';
  const H = LEGACY_LOG_HEADER;
  const field = (v: string, n: number) => (v.length > n ? v.slice(0, n) : v + pad.repeat(n - v.length));
  const afterSignature = (i.control ?? 'P') + '###' + field(i.productId, H.productId) + field(i.deviceName, H.deviceName)
    + String(i.timestamp).padStart(H.timestamp, '0') + i.entries.map((e) => e + LEGACY_LOG_DELIMITER).join('');
  return legacyLogSignature(i.key, afterSignature) + afterSignature;
}

/** The 40 hex characters that open a legacy log body, over the bytes after them. */
export function legacyLogSignature(key: string, afterSignature: string): string {
  return createHmac('sha1', Buffer.from(key.slice(0, 24), 'utf8')).update(afterSignature, 'utf8').digest('hex');
}
