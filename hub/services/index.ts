// Every device service the hub runs, in start order. Each is one module under hub/services/.

import type { HubService } from './types.js';

export const SERVICES: readonly HubService[] = [];
