// CreateDevice: registers a device and returns its PSK (random 16 bytes, or the caller's DefinedPsk), or for a certificate
// product a device certificate and private key issued by the hub's CA (the key is not kept).

import { MAX_PSK_BYTES } from '../../limits.js';
import type { DeviceTag } from '../../registry/index.js';
import { newDevicePsk } from '../../registry/ids.js';
import { authorityOf } from '../../tls/authority.js';
import type { Action } from '../context.js';
import { ApiError, invalid } from '../errors.js';
import { checkKnown, DEVICE_NAME, optInt, optObject, optString, PRODUCT_ID, reqString, type Params } from '../params.js';
import { requireProduct } from '../views.js';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function tags(attribute: Params | undefined): DeviceTag[] {
  if (!attribute) return [];
  checkKnown('Attribute', attribute, ['Tags']);
  const list = attribute['Tags'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalid('Attribute.Tags', 'an array of {Tag, Type, Value, Name?}', list);
  return list.map((t: unknown, i) => {
    const at = `Attribute.Tags.${i}`;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw invalid(at, 'an object {Tag, Type, Value, Name?}', t);
    const o = t as Params;
    checkKnown(at, o, ['Tag', 'Type', 'Value', 'Name']);
    const scoped = Object.fromEntries(Object.entries(o).map(([k, v]) => [`${at}.${k}`, v]));
    const tag: DeviceTag = {
      Tag: reqString(scoped, `${at}.Tag`, { maxLength: 128 }),
      Type: optInt(scoped, `${at}.Type`, { oneOf: [1, 2] }) ?? 2,
      Value: reqString(scoped, `${at}.Value`, { maxLength: 1024 }),
    };
    const name = optString(scoped, `${at}.Name`, { maxLength: 128 });
    if (name !== undefined) tag.Name = name;
    return tag;
  });
}

export const CreateDevice: Action = {
  params: ['ProductId', 'DeviceName', 'Attribute', 'DefinedPsk', 'Isp', 'Imei', 'LoraDevEui', 'LoraMoteType', 'Skey', 'LoraAppKey'],
  async run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const attributeTags = tags(optObject(p, 'Attribute'));
    const definedPsk = optString(p, 'DefinedPsk');
    optInt(p, 'Isp', { oneOf: [1, 2, 3] });
    optInt(p, 'LoraMoteType');
    for (const name of ['Imei', 'LoraDevEui', 'Skey', 'LoraAppKey']) optString(p, name);

    const product = requireProduct(ctx.registry, productId);
    if (product.forbidden) throw new ApiError('UnauthorizedOperation.ProductIsForbidden', `product ${productId} is forbidden`);
    // API-022 (fault api-encryption-type-ignored gives every product key devices)
    const keyProduct = product.properties.EncryptionType === '2' || ctx.hub.faults.has('api-encryption-type-ignored');
    if (definedPsk !== undefined) {
      if (!keyProduct) {
        throw new ApiError('UnauthorizedOperation.ProductNotSupportPSK', `product ${productId} uses certificates (EncryptionType "1"); DefinedPsk needs a key product`);
      }
      if (definedPsk.length === 0 || !BASE64_RE.test(definedPsk)) {
        throw new ApiError('InvalidParameterValue.DefinedPskNotBase64', 'DefinedPsk must be a base64 string (e.g. 16 random bytes encoded)');
      }
      const bytes = Buffer.from(definedPsk, 'base64').length;
      if (bytes > MAX_PSK_BYTES) throw invalid('DefinedPsk', `base64 of at most ${MAX_PSK_BYTES} bytes`, `${bytes} bytes`);
    }
    if (ctx.registry.getDevice(productId, deviceName)) {
      throw new ApiError('InvalidParameterValue.DeviceAlreadyExist', `device ${deviceName} already exists in product ${productId}`);
    }
    if (ctx.registry.countDevices(productId) >= ctx.quotas.devicesPerProduct) {
      throw new ApiError('LimitExceeded.DeviceExceedLimit', `product ${productId} already has ${ctx.quotas.devicesPerProduct} devices, the quota`);
    }
    // API-023 (fault api-defined-psk-ignored always generates the PSK)
    const psk = keyProduct ? ((ctx.hub.faults.has('api-defined-psk-ignored') ? undefined : definedPsk) ?? newDevicePsk()) : null;
    // TLS-012: certificate products get a certificate (CN = productId+deviceName) whose fingerprint the hub registers
    const authority = authorityOf(ctx.registry);
    if (!keyProduct && !authority) throw new ApiError('InternalError', 'this hub has no certificate authority to issue device certificates');
    const issued = keyProduct ? undefined : await authority!.issueDevice(productId, deviceName, ctx.hub.clock.now());
    if (issued) {
      // issuing awaited: another request may have created the device or reached the quota meanwhile
      if (ctx.registry.getDevice(productId, deviceName)) {
        throw new ApiError('InvalidParameterValue.DeviceAlreadyExist', `device ${deviceName} already exists in product ${productId}`);
      }
      if (ctx.registry.countDevices(productId) >= ctx.quotas.devicesPerProduct) {
        throw new ApiError('LimitExceeded.DeviceExceedLimit', `product ${productId} already has ${ctx.quotas.devicesPerProduct} devices, the quota`);
      }
    }
    ctx.registry.createDevice(productId, deviceName, psk, attributeTags, ctx.nowSeconds());
    if (issued) authority!.registerDevice(productId, deviceName, issued.cert);
    // The real service always answers with the LoRa fields too (empty for other devices); SDKs expect them.
    return { DeviceName: deviceName, DevicePsk: psk ?? '', DeviceCert: issued?.cert ?? '', DevicePrivateKey: issued?.key ?? '', LoraDevEui: '', LoraMoteType: 0 };
  },
};
