// UpdateDeviceAvailableState: enables or disables one device; disabling closes its connection.

import type { Action } from '../context.js';
import { DEVICE_NAME, PRODUCT_ID, reqInt, reqString } from '../params.js';
import { requireDevice } from '../views.js';

export const UpdateDeviceAvailableState: Action = {
  params: ['ProductId', 'DeviceName', 'EnableState'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const state = reqInt(p, 'EnableState', { oneOf: [0, 1], expected: '1 (enable) or 0 (disable)' }) as 0 | 1;
    requireDevice(ctx.registry, productId, deviceName);
    ctx.registry.setEnableState(productId, [deviceName], state);
    if (state === 0) ctx.sessions.disconnect(productId, deviceName, 'device disabled');
    return {};
  },
};
