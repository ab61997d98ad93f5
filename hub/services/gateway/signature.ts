// The bind signature a gateway sends for a sub-device, checked the ways the official SDKs compute it.
//
// text = `${product_id}${device_name};${random};${timestamp}`, HMAC keyed with the sub-device's PSK *as text*
// (its Base64 string's bytes, not the decoded key: C SDK gateway_common.c / gateway_mqtt.c, Python
// gateway.py, Java TXGatewayConnection all pass the secret string). signmethod hmacsha1 or hmacsha256 picks the
// hash. The Python, Java and newer C SDKs send Base64 of the raw digest; C SDK 3.x (gateway_common.c
// subdev_bind_hmac_sha1_cal) sends Base64 of the lower-case hex digest: both are accepted.

import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGN_METHODS = { hmacsha1: 'sha1', hmacsha256: 'sha256' } as const;
export type SignMethod = keyof typeof SIGN_METHODS;

export function isSignMethod(m: unknown): m is SignMethod {
  return typeof m === 'string' && Object.hasOwn(SIGN_METHODS, m);
}

export function bindText(productId: string, deviceName: string, random: number, timestamp: number): string {
  return `${productId}${deviceName};${random};${timestamp}`;
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when `signature` is the Base64 of the raw or of the hex HMAC of the bind text under the PSK text. */
export function bindSignatureMatches(psk: string, method: SignMethod, text: string, signature: string): boolean {
  const digest = createHmac(SIGN_METHODS[method], Buffer.from(psk, 'utf8')).update(text, 'utf8').digest();
  const given = Buffer.from(signature, 'utf8');
  return same(given, Buffer.from(digest.toString('base64'), 'utf8')) || same(given, Buffer.from(Buffer.from(digest.toString('hex'), 'utf8').toString('base64'), 'utf8'));
}
