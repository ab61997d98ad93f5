/** HTTP device gateway request signing with X-TC-* headers (protocol.md §8.2): the harness's reading, independent of the hub's verifier. */
import { createHash, createHmac, createSign, type KeyObject } from 'node:crypto';

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
}

export const sha256Hex = (body: string | Buffer): string => createHash('sha256').update(body).digest('hex');

/** The 8 fields joined by "\n", no trailing newline; the query string is always empty for POST. */
export function gatewayStringToSign(i: GatewayStringInput): string {
  return [i.method ?? 'POST', i.host, i.uri, '', i.algorithm, String(i.timestamp), String(i.nonce), sha256Hex(i.body)].join('\n');
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
