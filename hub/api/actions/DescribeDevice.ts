// DescribeDevice: one device's state (note the request spells ProductID).

import type { Action } from '../context.js';
import { DEVICE_NAME, PRODUCT_ID, reqString } from '../params.js';
import { firmwareVersionOf } from '../../services/ota/versions.js';
import { logLevelOf } from '../../services/log/index.js';
import { deviceView, requireDevice } from '../views.js';

export const DescribeDevice: Action = {
  params: ['ProductID', 'DeviceName'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const view = deviceView(requireDevice(ctx.registry, productId, deviceName), ctx.sessions, firmwareVersionOf(ctx.registry, productId, deviceName));
    // API-019 (fault api-online-never-cleared reports a device online once it ever logged in)
    if (ctx.hub.faults.has('api-online-never-cleared')) view.Online = view.LoginTime > 0 ? 1 : 0;
    return { ...view, LogLevel: logLevelOf(ctx.hub, productId, deviceName) }; // LOG-003
  },
};
