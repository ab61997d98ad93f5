// Verifies X-TC-Signature for one device (protocol.md §8.2); each algorithm is a SignatureMethod, so RSA-SHA256 for certificate devices plugs in beside HMAC.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Device, Registry } from '../../registry/index.js';

export interface SignatureCheck {
  device: Device;
  /** The string to sign, built with the received X-TC-Algorithm value verbatim. */
  stringToSign: string;
  /** The X-TC-Signature header as received (Base64). */
  signature: string;
  /** The hub's registry, for methods that need more than the device row (RSA: the device's registered certificate). */
  registry?: Registry;
}

/** One signing algorithm; `verify` answers false for a device it cannot apply to (e.g. HMAC for a certificate device). */
export interface SignatureMethod {
  verify(check: SignatureCheck): boolean;
}

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HMAC keyed with the PSK's ASCII text, NOT its Base64-decoded bytes: both official SDKs do so (protocol.md §8.2). */
function hmacMethod(hash: 'sha256' | 'sha1'): SignatureMethod {
  return {
    verify({ device, stringToSign, signature }) {
      if (!device.psk) return false; // certificate devices have no PSK
      const expected = createHmac(hash, Buffer.from(device.psk, 'utf8')).update(stringToSign).digest('base64');
      return equalText(expected, signature);
    },
  };
}

/**
 * Methods by lowercased X-TC-Algorithm (the received value is signed verbatim, dispatch is case-insensitive:
 * protocol.md §8.2 RECOMMENDATION; HTTP-004). Certificate devices add 'rsa-sha256' / 'rsa_sha256' with
 * `addSignatureMethod` (HTTP-006).
 */
const METHODS = new Map<string, SignatureMethod>([
  ['hmacsha256', hmacMethod('sha256')],
  ['hmacsha1', hmacMethod('sha1')], // HTTP-005: the doc lists it, no SDK uses it
]);

export function addSignatureMethod(algorithm: string, method: SignatureMethod): void {
  const key = algorithm.toLowerCase();
  if (METHODS.has(key)) throw new Error(`gateway signature method ${algorithm} is already registered`);
  METHODS.set(key, method);
}

export function signatureMethod(algorithm: string): SignatureMethod | undefined {
  return METHODS.get(algorithm.toLowerCase());
}

export function supportedAlgorithms(): string[] {
  return [...METHODS.keys()];
}
