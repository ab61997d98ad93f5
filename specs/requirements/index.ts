/** The requirement catalogue: every normative statement hubcheck tests, by id. */
import { acl } from './acl.js';
import { auth } from './auth.js';
import { cloudApi } from './cloud-api.js';
import { limits } from './limits.js';
import type { Requirement } from './types.js';
import { websocket } from './websocket.js';
import { wildcards } from './wildcards.js';

export type { Capability, Level, Requirement } from './types.js';

export const REQUIREMENTS = { ...auth, ...websocket, ...acl, ...wildcards, ...limits, ...cloudApi } as const satisfies Record<string, Requirement>;
export type ReqId = keyof typeof REQUIREMENTS;

/** Area names by id prefix, as reports group them. */
export const AREAS: Record<string, string> = {
  AUTH: 'auth', WS: 'websocket', ACL: 'acl', WILD: 'wildcards', LIM: 'limits', API: 'cloud-api',
};

export function areaOf(id: string): string {
  return AREAS[id.split('-')[0] ?? ''] ?? 'other';
}

export function isReqId(id: string): id is ReqId {
  return Object.hasOwn(REQUIREMENTS, id);
}
