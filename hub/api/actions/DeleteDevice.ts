// DeleteDevice: removes a device and closes its connection if it is online.

import type { Action } from '../context.js';
import { DEVICE_NAME, optString, PRODUCT_ID, reqString } from '../params.js';
import { requireDevice } from '../views.js';

export const DeleteDevice: Action = {
  params: ['ProductId', 'DeviceName', 'Skey'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    optString(p, 'Skey');
    requireDevice(ctx.registry, productId, deviceName);
    ctx.registry.deleteDevice(productId, deviceName);
    ctx.sessions.disconnect(productId, deviceName, 'device deleted');
    return {};
  },
};
