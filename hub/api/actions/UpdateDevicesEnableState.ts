// UpdateDevicesEnableState: enables or disables several devices of one product, all or none.

import type { Action } from '../context.js';
import { deviceNotExist } from '../errors.js';
import { DEVICE_NAME, PRODUCT_ID, reqInt, reqString, reqStringArray } from '../params.js';
import { requireProduct } from '../views.js';

export const UpdateDevicesEnableState: Action = {
  params: ['ProductID', 'DeviceNames', 'Status'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const listed = [...new Set(reqStringArray(p, 'DeviceNames', DEVICE_NAME))];
    // API-020 (fault api-batch-enable-first-only switches only the first device named)
    const names = ctx.hub.faults.has('api-batch-enable-first-only') ? listed.slice(0, 1) : listed;
    const state = reqInt(p, 'Status', { oneOf: [0, 1], expected: '1 (enable) or 0 (disable)' }) as 0 | 1;
    requireProduct(ctx.registry, productId);
    const missing = names.find((dn) => !ctx.registry.getDevice(productId, dn));
    if (missing !== undefined) throw deviceNotExist(productId, missing);
    ctx.registry.setEnableState(productId, names, state);
    if (state === 0) for (const dn of names) ctx.sessions.disconnect(productId, dn, 'device disabled');
    return {};
  },
};
