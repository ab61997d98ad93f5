/** The resource bounds hubcheck starts the reference hub with, and declares in its target limits. */

/**
 * Declared in the target's limits so LIM-013..LIM-016 are tested: connections per address well above what the suites open at once from 127.0.0.1 (a few per test file), small enough that the test reaches it
 * in a moment from an address of its own; a CONNECT deadline short enough that its test waits 2 s, long enough for a
 * CONNECT on a busy machine; the hub's own subscription cap.
 */
export const EMBEDDED_CONNECTIONS_PER_ADDRESS = 128;
export const EMBEDDED_CONNECT_DEADLINE_MS = 2000;
export const EMBEDDED_SUBSCRIPTIONS_PER_DEVICE = 1000;
/**
 * API rates: only PublishRRPCMessage at its documented 20/s. The suites provision products and
 * devices, and fill the product quota, far faster than the documented CreateProduct/CreateDevice rates, and publish in
 * bursts; they call PublishRRPCMessage a few times a second at most (API-035's test, in the exclusive suites, bursts it).
 */
export const EMBEDDED_API_RATES: Record<string, number> = { PublishRRPCMessage: 20 };

/** The same bounds as `hubcheck hub` flags, for the reference hub's image (docker:IMAGE). */
export const REFERENCE_HUB_BOUND_FLAGS: readonly string[] = [
  '--max-connections-per-address', String(EMBEDDED_CONNECTIONS_PER_ADDRESS),
  '--connect-deadline', String(EMBEDDED_CONNECT_DEADLINE_MS),
  '--max-subscriptions', String(EMBEDDED_SUBSCRIPTIONS_PER_DEVICE),
  ...Object.entries(EMBEDDED_API_RATES).flatMap(([action, rate]) => ['--api-rate', `${action}=${rate}`]),
];

/** The limits a target started with REFERENCE_HUB_BOUND_FLAGS declares (its CONNECT cap is the hub's fixed 2048 bytes). */
export const REFERENCE_HUB_BOUND_LIMITS = {
  connectPacketBytes: 2048,
  subscriptionsPerDevice: EMBEDDED_SUBSCRIPTIONS_PER_DEVICE,
  connectionsPerAddress: EMBEDDED_CONNECTIONS_PER_ADDRESS,
  connectDeadlineMs: EMBEDDED_CONNECT_DEADLINE_MS,
  apiRates: EMBEDDED_API_RATES,
};
