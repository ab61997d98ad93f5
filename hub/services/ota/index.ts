// OTA firmware upgrade: $ota/report handling, the firmware download route and the firmware cloud actions.

import type { HubService, ServiceContext } from '../types.js';
import { engines, OTA_ACTIONS } from './actions.js';
import { OtaEngine } from './engine.js';
import { firmwareRoute } from './http.js';

export const otaService: HubService = {
  name: 'ota',
  actions: OTA_ACTIONS,
  http: { '/firmware/': firmwareRoute((ctx: ServiceContext) => engines.get(ctx.registry)) },
  start(ctx) {
    const engine = new OtaEngine(ctx);
    engines.set(ctx.registry, engine);
    ctx.onDevicePublish('$ota/report/+/+', (m) => engine.handle(m));
  },
};
