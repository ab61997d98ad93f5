// DescribeDevices: a page of a product's devices, filtered by name substring and EnableState.

import type { Action } from '../context.js';
import { optInt, optString, PAGE, PRODUCT_ID, reqInt, reqString } from '../params.js';
import { firmwareVersionOf } from '../../services/ota/versions.js';
import { deviceView, requireProduct } from '../views.js';

export const DescribeDevices: Action = {
  params: ['ProductId', 'Offset', 'Limit', 'FirmwareVersion', 'DeviceName', 'EnableState'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    // API-018 (fault api-paging-ignores-offset always answers the first page)
    const offset = ctx.hub.faults.has('api-paging-ignores-offset') ? (reqInt(p, 'Offset', PAGE.offset), 0) : reqInt(p, 'Offset', PAGE.offset);
    const limit = reqInt(p, 'Limit', PAGE.limit);
    const firmware = optString(p, 'FirmwareVersion');
    const deviceName = optString(p, 'DeviceName', { maxLength: 48, expected: 'a device name (substring) of at most 48 characters' });
    const enableState = optInt(p, 'EnableState', { oneOf: [0, 1] });
    // API-024 (fault api-unknown-product-empty-list answers an empty page for an unknown product)
    if (ctx.hub.faults.has('api-unknown-product-empty-list') && !ctx.registry.getProduct(productId)) return { TotalCount: 0, Devices: [] };
    requireProduct(ctx.registry, productId);
    const version = (d: { deviceName: string }) => firmwareVersionOf(ctx.registry, productId, d.deviceName);
    if (firmware !== undefined) {
      // OTA-003: the version each device last reported; "None-FirmwareVersion" selects devices that never reported one
      const wanted = firmware === 'None-FirmwareVersion' ? '' : firmware;
      const all = ctx.registry.listDevices(productId, { deviceName, enableState }, 0, Number.MAX_SAFE_INTEGER).devices.filter((d) => version(d) === wanted);
      return { TotalCount: all.length, Devices: all.slice(offset, offset + limit).map((d) => deviceView(d, ctx.sessions, version(d))) };
    }
    const { total, devices } = ctx.registry.listDevices(productId, { deviceName, enableState }, offset, limit);
    return { TotalCount: total, Devices: devices.map((d) => deviceView(d, ctx.sessions, version(d))) };
  },
};
