// OTA firmware upgrade: $ota/report handling, the firmware download route and the firmware cloud actions.

import type { HubService, ServiceContext } from '../types.js';
import { engines, OTA_ACTIONS } from './actions.js';
import { OtaEngine } from './engine.js';
import { firmwareRoute, serveFirmware } from './http.js';

const route = firmwareRoute((ctx: ServiceContext) => engines.get(ctx.registry));

export const otaService: HubService = {
  name: 'ota',
  actions: OTA_ACTIONS,
  http: { '/firmware/': route },
  async start(ctx) {
    const engine = new OtaEngine(ctx);
    engines.set(ctx.registry, engine);
    ctx.onDevicePublish('$ota/report/+/+', (m) => engine.handle(m));
    if (ctx.settings.firmwareListen) engine.listenerUrl = await serveFirmware(ctx, ctx.settings.firmwareListen, route);
  },
};

/** The base firmware URLs of this hub start with (for its startup log and target descriptor), or undefined without OTA. */
export function firmwareBaseUrl(ctx: ServiceContext): string | undefined {
  return engines.get(ctx.registry)?.baseUrl();
}
