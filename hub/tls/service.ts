// The TLS service: the CA certificate for download (GET /hub/ca.pem), customer CA registration (extension actions named
// after the 2021-04-08 API: CreatePrivateCA, DescribePrivateCAs, DeletePrivateCA), and DescribeDeviceClientKey.

import type { Action } from '../api/context.js';
import { ApiError } from '../api/errors.js';
import { DEVICE_NAME, optString, PRODUCT_ID, reqString } from '../api/params.js';
import { requireDevice, requireProduct } from '../api/views.js';
import type { Registry } from '../registry/index.js';
import type { HubService } from '../services/types.js';
import { authorityOf, MAX_PRIVATE_CAS, type TlsAuthority } from './authority.js';
import './gateway-rsa.js'; // registers RSA-SHA256 on the HTTP gateway

/** CA names: up to 32 of letters, digits, _ - @ ( ) (S-CERT allows Chinese too; this hub keeps to ASCII). */
const CA_NAME = { pattern: /^[A-Za-z0-9_\-@()]{1,32}$/, expected: '1–32 characters of letters, digits, _ - @ ( )' };

function authority(registry: Registry): TlsAuthority {
  const a = authorityOf(registry);
  if (!a) throw new ApiError('InternalError', 'this hub has no certificate authority');
  return a;
}

const CreatePrivateCA: Action = {
  params: ['CertName', 'CertText', 'VerifyCertText'],
  run(ctx, p) {
    const name = reqString(p, 'CertName', CA_NAME);
    const text = reqString(p, 'CertText', { maxLength: 16384, expected: 'a PEM CA certificate of at most 16384 characters' });
    // The real service checks possession with a verification certificate (CN = a console code); this hub accepts without it.
    optString(p, 'VerifyCertText');
    const a = authority(ctx.registry);
    const names = a.privateCaNames();
    if (names.includes(name)) throw new ApiError('InvalidParameterValue.CACertNameRepeat', `a CA named ${name} is already registered`);
    if (names.length >= MAX_PRIVATE_CAS) throw new ApiError('LimitExceeded.CAAlreadyBindProduct', `the account already has ${MAX_PRIVATE_CAS} CA certificates, the limit`);
    try {
      a.addPrivateCa(name, text);
    } catch (err) {
      throw new ApiError('InvalidParameterValue.CACertInvalid', (err as Error).message);
    }
    return {};
  },
};

const DescribePrivateCAs: Action = {
  params: [],
  run(ctx) {
    return { CAs: authority(ctx.registry).privateCaNames().map((CertName) => ({ CertName })) };
  },
};

const DeletePrivateCA: Action = {
  params: ['CertName'],
  run(ctx, p) {
    const name = reqString(p, 'CertName', CA_NAME);
    if (!authority(ctx.registry).deletePrivateCa(name)) throw new ApiError('ResourceNotFound.CACertNotExist', `no CA named ${name} is registered`);
    return {};
  },
};

/** The private key of a certificate device, once after CreateDevice (protocol.md §1.5, Appendix A; TLS-013). */
const DescribeDeviceClientKey: Action = {
  params: ['ProductId', 'DeviceName'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    requireDevice(ctx.registry, productId, deviceName);
    if (requireProduct(ctx.registry, productId).properties.EncryptionType !== '1') {
      throw new ApiError('UnsupportedOperation.WrongProductAuthType', `product ${productId} uses keys (PSK), not certificates; its devices have no client key`);
    }
    const key = authority(ctx.registry).takeDeviceKey(productId, deviceName);
    if (key === undefined) throw new ApiError('UnsupportedOperation.ClientCertAlreadyGot', `the private key of ${deviceName} was already fetched; it is given out once`);
    return { ClientKey: key };
  },
};

export const tlsService: HubService = {
  name: 'tls',
  actions: { CreatePrivateCA, DescribePrivateCAs, DeletePrivateCA, DescribeDeviceClientKey },
  http: {
    '/hub/ca.pem': (req, res, ctx) => {
      req.resume();
      const a = authorityOf(ctx.registry);
      if (req.method !== 'GET' || !a) {
        res.writeHead(req.method !== 'GET' ? 405 : 404, { 'content-type': 'text/plain' });
        return res.end(req.method !== 'GET' ? 'use GET\n' : 'no CA\n');
      }
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(a.ca.cert);
    },
  },
};
