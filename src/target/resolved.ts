/** The target as the suites see it: plain, serialisable data handed to every test file through vitest's provide/inject. */
import { KEEPALIVE_MAX_S, MAX_DEVICES_PER_PRODUCT, MAX_PACKET_BYTES, MAX_TOPIC_BYTES, RRPC_TIMEOUT_MS } from '../protocol/limits.js';
import type { ProfileName } from '../../specs/requirements/index.js';
import type { FixtureDevice, Launcher } from './descriptor.js';

export interface ResolvedTarget {
  name: string;
  launcher: Launcher;
  profile: ProfileName;
  /** http: the HTTP device gateway (absent: the gateway is served at api, as the reference hub does); https: the device HTTP endpoints over HTTPS. */
  endpoints: { mqtt: string; ws?: string; api: string; http?: string; mqtts?: string; wss?: string; https?: string; coap?: string; coaps?: string };
  /** The PEM CA certificate that verifies the hub's server certificate on mqtts, wss and https (absent: the system CAs). */
  tls?: { ca: string };
  cloudApi: { secretId: string; secretKey: string; region: string; signedHost?: string };
  /** Every capability the target offers (profile − missing + extra): a requirement applies iff its capability is here. */
  capabilities: string[];
  limits: { topicBytes: number; packetBytes: number; keepaliveMaxSeconds: number; devicesPerProduct: number; rrpcTimeoutMs: number; offlinePaceMs: number } & ResourceBounds;
  /** Faults switched on in an embedded reference hub (selftest). */
  faults: string[];
  /** How suites get devices (default cloud-api): made up for a hub that accepts any (any), or the descriptor's fixtures. */
  provisioning?: 'cloud-api' | 'any' | 'fixtures';
  fixtures?: FixtureDevice[];
  /** A plain broker's credentials (profile mqtt-core); absent: anonymous. */
  plainLogin?: { username: string; password: string };
  /** `hubcheck run --long`: tests of limits measured in hours may wait for real when the target has no test clock. */
  long?: boolean;
  /** Where the run writes its reports (replay files of failed model runs go to <reportDir>/replays/). */
  reportDir?: string;
  /** Limit fields the descriptor stated explicitly (the probe holds the target to these, and to those its capabilities imply). */
  claimedLimits?: string[];
}

/**
 * Resource bounds a target declares (limits.*): the service documents no numbers for them, so their tests apply only to a
 * target that states its own (the embedded reference hub states its). apiRates falls back to the documented rates.
 */
export interface ResourceBounds {
  /** The largest CONNECT the hub reads; one declaring more is closed unread. */
  connectPacketBytes?: number;
  /** Subscriptions one device may hold; a SUBSCRIBE past it gets 0x80 for the extra filters. */
  subscriptionsPerDevice?: number;
  /** Open MQTT connections from one source address; the next is closed before its CONNECT is read. */
  connectionsPerAddress?: number;
  /** How long after a socket opens its whole CONNECT must have arrived. */
  connectDeadlineMs?: number;
  /** Cloud API requests per second per action (per account); actions not named are not limited. */
  apiRates?: Record<string, number>;
}

export const DEFAULT_LIMITS: ResolvedTarget['limits'] = {
  topicBytes: MAX_TOPIC_BYTES,
  packetBytes: MAX_PACKET_BYTES,
  keepaliveMaxSeconds: KEEPALIVE_MAX_S,
  devicesPerProduct: MAX_DEVICES_PER_PRODUCT,
  rrpcTimeoutMs: RRPC_TIMEOUT_MS,
  /** Stored messages are resent at 500 ms intervals after a reconnect (protocol.md §1.8). */
  offlinePaceMs: 500,
};
