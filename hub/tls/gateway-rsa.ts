// RSA-SHA256 signatures of certificate devices on the HTTP gateway (protocol.md §8.2, HTTP-006): Base64 PKCS#1 v1.5 over the
// string to sign, verified with the public key of the certificate the hub issued to the device.

import { createVerify } from 'node:crypto';
import { addSignatureMethod, type SignatureMethod } from '../services/http-gateway/signature.js';
import { authorityOf } from './authority.js';

const rsaSha256: SignatureMethod = {
  verify({ device, stringToSign, signature, registry }) {
    if (device.psk !== null || !registry) return false; // key devices sign with HMAC
    // Only platform-issued certificates are known to the hub; a customer-CA device's certificate is never registered.
    const cert = authorityOf(registry)?.registeredCert(device.productId, device.deviceName);
    if (!cert) return false;
    try {
      return createVerify('RSA-SHA256').update(stringToSign).verify(cert, signature, 'base64');
    } catch {
      return false; // not an RSA certificate, or a malformed signature
    }
  },
};

// Both spellings the SDKs and docs use (protocol.md §8.2 RECOMMENDATION); registered once per process.
addSignatureMethod('rsa-sha256', rsaSha256);
addSignatureMethod('rsa_sha256', rsaSha256);
