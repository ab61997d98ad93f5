// Every device service the hub runs, in start order. Each is one module under hub/services/.

import type { HubService } from './types.js';
import { shadowService } from './shadow/index.js';
import { otaService } from './ota/index.js';
import { configService } from './config/index.js';
import { publishService } from './publish/index.js';
import { rulesService } from './rules/index.js';
import { tlsService } from '../tls/service.js';
import { ntp } from './ntp/index.js';
import { log } from './log/index.js';
import { broadcast } from './broadcast/index.js';
import { rrpc } from './rrpc/index.js';
import { httpGateway } from './http-gateway/index.js';
import { registerService } from './register/index.js';
import { gatewayService } from './gateway/index.js';

export const SERVICES: readonly HubService[] = [tlsService, shadowService, otaService, configService, publishService, rulesService, ntp, log, broadcast, rrpc, httpGateway, registerService, gatewayService];
