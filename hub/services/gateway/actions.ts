// Cloud actions for gateways: BindDevices, UnbindDevices, DescribeGatewayBindDevices (iotcloud 2018-06-14).

import type { Action, ActionContext } from '../../api/context.js';
import { ApiError, deviceNotExist, invalid } from '../../api/errors.js';
import { DEVICE_NAME, optInt, optString, PRODUCT_ID, reqString, reqStringArray, type Params } from '../../api/params.js';
import { requireDevice, requireProduct } from '../../api/views.js';
import { MAX_SUBDEVICES_PER_GATEWAY } from '../../limits.js';
import { notifyChange, takeOfflineEverywhere } from './operation.js';
import { bindingsOf, GATEWAY_PRODUCT_TYPE, type Device } from './store.js';

/** The gateway a request names: its product must exist and be a gateway product (GW-003), its device must exist. */
function gatewayOf(ctx: ActionContext, p: Params): Device {
  const productId = reqString(p, 'GatewayProductId', PRODUCT_ID);
  const deviceName = reqString(p, 'GatewayDeviceName', DEVICE_NAME);
  const product = requireProduct(ctx.registry, productId);
  if (product.properties.ProductType !== GATEWAY_PRODUCT_TYPE) {
    throw new ApiError('InvalidParameterValue.ProductIsNotGateway', `product ${productId} is not a gateway product (ProductType ${product.properties.ProductType}; gateways are ProductType 5)`);
  }
  requireDevice(ctx.registry, productId, deviceName);
  return { productId, deviceName };
}

/** The sub-devices a request names: one product, existing devices, no duplicates. */
function subDevicesOf(ctx: ActionContext, p: Params): Device[] {
  const productId = reqString(p, 'ProductId', PRODUCT_ID);
  const names = reqStringArray(p, 'DeviceNames', DEVICE_NAME);
  optString(p, 'Skey');
  if (names.length > MAX_SUBDEVICES_PER_GATEWAY) throw invalid('DeviceNames', `at most ${MAX_SUBDEVICES_PER_GATEWAY} device names`, `${names.length} names`);
  const product = requireProduct(ctx.registry, productId);
  if (product.properties.ProductType === GATEWAY_PRODUCT_TYPE) {
    throw new ApiError('InvalidParameterValue', `ProductId ${productId} is a gateway product; sub-devices must be devices of an ordinary product`);
  }
  const unique = [...new Set(names)];
  for (const name of unique) if (!ctx.registry.getDevice(productId, name)) throw deviceNotExist(productId, name);
  return unique.map((deviceName) => ({ productId, deviceName }));
}

const notify = (ctx: ActionContext, gateway: Device, status: 0 | 1, subs: Device[]) =>
  notifyChange(ctx.hub, gateway, status, subs).catch((e) => ctx.log(`gateway: change notice to ${gateway.productId}/${gateway.deviceName} failed: ${String(e)}`));

export const BindDevices: Action = {
  params: ['GatewayProductId', 'GatewayDeviceName', 'ProductId', 'DeviceNames', 'Skey'],
  async run(ctx, p) {
    const gateway = gatewayOf(ctx, p);
    const subs = subDevicesOf(ctx, p);
    const store = bindingsOf(ctx.registry);
    const fresh: Device[] = [];
    for (const d of subs) {
      const bound = store.gatewayOf(d.productId, d.deviceName);
      if (bound && (bound.productId !== gateway.productId || bound.deviceName !== gateway.deviceName)) {
        throw new ApiError('UnauthorizedOperation.DeviceHasAlreadyBindGateway', `device ${d.productId}/${d.deviceName} is already bound to gateway ${bound.productId}/${bound.deviceName}; unbind it there first`);
      }
      if (ctx.registry.getDevice(d.productId, d.deviceName)!.enableState === 0) {
        throw new ApiError('UnauthorizedOperation.DeviceIsNotEnabled', `device ${d.productId}/${d.deviceName} is disabled; enable it before binding`);
      }
      if (!bound) fresh.push(d); // binding again to the same gateway changes nothing
    }
    // GW-004 (the fault lets any number in)
    const total = store.count(gateway) + fresh.length;
    if (total > MAX_SUBDEVICES_PER_GATEWAY && !ctx.hub.faults.has('gateway-no-bind-limit')) {
      throw new ApiError('FailedOperation.BindDeviceOverLimit', `gateway ${gateway.productId}/${gateway.deviceName} would have ${total} sub-devices; at most ${MAX_SUBDEVICES_PER_GATEWAY} are allowed`);
    }
    store.bind(gateway, fresh, ctx.nowSeconds());
    await notify(ctx, gateway, 1, fresh); // GW-011
    return {};
  },
};

export const UnbindDevices: Action = {
  params: ['GatewayProductId', 'GatewayDeviceName', 'ProductId', 'DeviceNames', 'Skey'],
  async run(ctx, p) {
    const gateway = gatewayOf(ctx, p);
    const subs = subDevicesOf(ctx, p);
    const store = bindingsOf(ctx.registry);
    const removed = subs.filter((d) => store.unbind(gateway, d)); // devices not bound to this gateway are left alone
    await takeOfflineEverywhere(ctx.hub, removed); // GW-014
    await notify(ctx, gateway, 0, removed); // GW-011
    return {};
  },
};

export const DescribeGatewayBindDevices: Action = {
  params: ['GatewayProductId', 'GatewayDeviceName', 'ProductId', 'Offset', 'Limit'],
  run(ctx, p) {
    const gateway = gatewayOf(ctx, p);
    const productId = optString(p, 'ProductId', PRODUCT_ID);
    const offset = optInt(p, 'Offset', { min: 0 }) ?? 0;
    const limit = optInt(p, 'Limit', { min: 1, max: 250 }) ?? 10;
    const product = productId === undefined ? undefined : requireProduct(ctx.registry, productId);
    const { total, devices } = bindingsOf(ctx.registry).list(gateway, productId, offset, limit);
    return { TotalCount: total, Devices: devices.map((d) => ({ ProductId: d.productId, DeviceName: d.deviceName })), ProductName: product?.productName ?? '' };
  },
};
