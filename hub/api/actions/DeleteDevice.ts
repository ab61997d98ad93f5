// DeleteDevice: removes a device and closes its connection if it is online.

import type { Action } from '../context.js';
import { DEVICE_NAME, optString, PRODUCT_ID, reqString } from '../params.js';
import { requireDevice } from '../views.js';
import { ApiError } from '../errors.js';
import { bindingsOf } from '../../services/gateway/store.js';

export const DeleteDevice: Action = {
  params: ['ProductId', 'DeviceName', 'Skey'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    optString(p, 'Skey');
    requireDevice(ctx.registry, productId, deviceName);
    // GW-020: bindings first (DeleteDevice error list: DeviceHasAlreadyBindGateway, GatewayHasBindedDevices)
    const bindings = bindingsOf(ctx.registry);
    const gateway = bindings.gatewayOf(productId, deviceName);
    if (gateway) throw new ApiError('UnauthorizedOperation.DeviceHasAlreadyBindGateway', `device ${productId}/${deviceName} is bound to gateway ${gateway.productId}/${gateway.deviceName}; UnbindDevices first`);
    if (bindings.count({ productId, deviceName }) > 0) throw new ApiError('UnauthorizedOperation.GatewayHasBindedDevices', `gateway ${productId}/${deviceName} still has bound sub-devices; UnbindDevices first`);
    ctx.registry.deleteDevice(productId, deviceName);
    ctx.sessions.disconnect(productId, deviceName, 'device deleted');
    return {};
  },
};
