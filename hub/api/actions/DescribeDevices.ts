// DescribeDevices: a page of a product's devices, filtered by name substring and EnableState.

import type { Action } from '../context.js';
import { optInt, optString, PAGE, PRODUCT_ID, reqInt, reqString } from '../params.js';
import { deviceView, requireProduct } from '../views.js';

export const DescribeDevices: Action = {
  params: ['ProductId', 'Offset', 'Limit', 'FirmwareVersion', 'DeviceName', 'EnableState'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const offset = reqInt(p, 'Offset', PAGE.offset);
    const limit = reqInt(p, 'Limit', PAGE.limit);
    const firmware = optString(p, 'FirmwareVersion');
    const deviceName = optString(p, 'DeviceName', { maxLength: 48, expected: 'a device name (substring) of at most 48 characters' });
    const enableState = optInt(p, 'EnableState', { oneOf: [0, 1] });
    requireProduct(ctx.registry, productId);
    // no firmware versions are tracked: every device is "None-FirmwareVersion"
    if (firmware !== undefined && firmware !== 'None-FirmwareVersion') return { TotalCount: 0, Devices: [] };
    const { total, devices } = ctx.registry.listDevices(productId, { deviceName, enableState }, offset, limit);
    return { TotalCount: total, Devices: devices.map((d) => deviceView(d, ctx.sessions)) };
  },
};
