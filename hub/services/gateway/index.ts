// Gateways and sub-devices: the $gateway/operation service, the binding actions, and who may act for whom (hub/acl/proxy.ts).

import type { HubService } from '../types.js';
import { BindDevices, DescribeGatewayBindDevices, UnbindDevices } from './actions.js';
import { answerTakeOffline, handleOperation } from './operation.js';

export { bindingsOf, GATEWAY_PRODUCT_TYPE } from './store.js';

export const gatewayService: HubService = {
  name: 'gateway',
  actions: { BindDevices, UnbindDevices, DescribeGatewayBindDevices },
  start(ctx) {
    if (ctx.bus.clustered) answerTakeOffline(ctx);
    // one request at a time, in arrival order: each answer is published after the state change it reports
    let queue: Promise<void> = Promise.resolve();
    ctx.onDevicePublish('$gateway/operation/+/+', (m) => {
      queue = queue.then(() => handleOperation(ctx, m)).catch((e) => ctx.log(`gateway: request from ${m.productId}/${m.deviceName} failed: ${(e as Error).stack ?? String(e)}`));
    });
  },
};
