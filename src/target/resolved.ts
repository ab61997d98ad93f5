/** The target as the suites see it: plain, serialisable data handed to every test file through vitest's provide/inject. */
import { KEEPALIVE_MAX_S, MAX_DEVICES_PER_PRODUCT, MAX_PACKET_BYTES, MAX_TOPIC_BYTES } from '../protocol/limits.js';
import type { ProfileName } from '../../specs/requirements/index.js';
import type { Launcher } from './descriptor.js';

export interface ResolvedTarget {
  name: string;
  launcher: Launcher;
  profile: ProfileName;
  endpoints: { mqtt: string; ws?: string; api: string };
  cloudApi: { secretId: string; secretKey: string; region: string; signedHost?: string };
  /** Every capability the target offers (profile − missing + extra): a requirement applies iff its capability is here. */
  capabilities: string[];
  limits: { topicBytes: number; packetBytes: number; keepaliveMaxSeconds: number; devicesPerProduct: number };
  /** Faults switched on in an embedded reference hub (selftest). */
  faults: string[];
}

export const DEFAULT_LIMITS: ResolvedTarget['limits'] = {
  topicBytes: MAX_TOPIC_BYTES,
  packetBytes: MAX_PACKET_BYTES,
  keepaliveMaxSeconds: KEEPALIVE_MAX_S,
  devicesPerProduct: MAX_DEVICES_PER_PRODUCT,
};
