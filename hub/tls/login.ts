// The CONNECT check for connections whose TLS layer proved an identity (TLS-PSK or a client certificate): the password is not used.

import { CLIENT_ID_RE } from '../auth/credentials.js';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';
import { authorityOf } from './authority.js';
import type { TransportIdentity } from './transport.js';

export type TransportVerdict = { returnCode: 2 | 4 | 5; reason: string } | { productId: string; deviceName: string };

/** `usernameClientId` is the username's first field (already checked to be a 4-field username). */
export function transportLogin(t: TransportIdentity, clientId: string, usernameClientId: string, registry: Registry, faults: Faults): TransportVerdict {
  const id = CLIENT_ID_RE.exec(clientId);
  if (clientId !== usernameClientId || !id) {
    return { returnCode: 2, reason: 'clientId differs from the username or is not productId+deviceName' };
  }
  const productId = id[1]!;
  const deviceName = id[2]!;
  const product = registry.getProduct(productId);
  const device = product && registry.getDevice(productId, deviceName);
  if (!product || !device) return { returnCode: 4, reason: 'unknown product or device' };
  if (t.kind === 'psk') {
    // TLS-007: the PSK proved one device; the CONNECT must be that device's.
    if (t.identity !== clientId) return { returnCode: 5, reason: `TLS-PSK identity ${t.identity} is not the CONNECT ClientId` };
  } else {
    if (product.properties.EncryptionType !== '1') return { returnCode: 5, reason: 'a client certificate was presented for a key (PSK) product' };
    // TLS-010: the certificate must name the device (CN) and, when the hub issued it, be the one registered for the device.
    if (!faults.has('tls-ignore-cn') && t.commonName !== clientId) {
      return { returnCode: 5, reason: `certificate CN ${JSON.stringify(t.commonName)} is not the ClientId` };
    }
    if (t.ca?.platform && authorityOf(registry)?.registeredFingerprint(productId, deviceName) !== t.fingerprint) {
      return { returnCode: 5, reason: 'certificate is not the one issued to this device (reissued, or the device was deleted and created again)' };
    }
  }
  if (device.enableState === 0) return { returnCode: 5, reason: 'device is disabled' };
  if (product.forbidden) return { returnCode: 5, reason: 'product is forbidden' };
  return { productId, deviceName };
}
