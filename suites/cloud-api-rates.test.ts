// Per-action cloud API request rates (API-035, protocol.md §9.6).
//
// The rate is the account's, so a burst here empties the action's bucket for everything else on the same account for a
// moment: this file runs with the exclusive suites, after the others. It calls only actions that change nothing (a
// message to a device that does not exist).
import { expect } from 'vitest';
import { apiErrorCode } from '../src/client/cloud-api.js';
import { API_RATES } from '../src/protocol/limits.js';
import { req } from './support/harness.js';
import { useProduct } from './support/provision.js';

const LIMIT_CODE = 'RequestLimitExceeded';
/** Actions this test may burst: each only answers, since no device has this name. */
const HARMLESS = ['PublishRRPCMessage', 'PublishMessage'] as const;
/** The most requests one burst sends. */
const MAX_BURST = 1000;

const product = useProduct('rate', { devices: ['r1'] });

req(['API-035'], "requests past an action's rate get RequestLimitExceeded, and the action is served again a second later", async (h) => {
  const rates = h.target.limits.apiRates ?? API_RATES;
  const action = HARMLESS.find((a) => rates[a] !== undefined);
  if (!action) return h.ctx.skip(`the target limits none of ${HARMLESS.join(', ')} (limits.apiRates)`);
  const rate = rates[action]!;
  const burst = Math.min(MAX_BURST, Math.ceil(2 * rate) + 10);
  if (burst < 2 * rate) return h.ctx.skip(`${action}'s rate of ${rate}/s is more than this test's bursts of ${MAX_BURST} can exceed`);
  const api = h.api();
  const { productId } = product.device('r1');
  const params = { ProductId: productId, DeviceName: 'nobody', Payload: 'rate', ...(action === 'PublishMessage' ? { Topic: `${productId}/nobody/data`, Qos: 0 } : {}) };
  const started = performance.now();
  const codes = await Promise.all(Array.from({ length: burst }, () => apiErrorCode(api.call(action, params))));
  const seconds = (performance.now() - started) / 1000;
  const limited = codes.filter((c) => c === LIMIT_CODE).length;
  expect(limited, `${LIMIT_CODE} answers among ${burst} ${action} requests sent at once (rate ${rate}/s)`).toBeGreaterThan(0);
  // A bucket holds a second's worth and refills at the rate while the burst lasts; a little slack for timing.
  const allowed = Math.ceil(rate * (1 + seconds)) + 2;
  expect(burst - limited, `${action} requests served within ${seconds.toFixed(2)} s at ${rate}/s`).toBeLessThanOrEqual(allowed);
  await new Promise((resolve) => setTimeout(resolve, 1100)); // a second's worth of tokens back
  expect(await apiErrorCode(api.call(action, params)), `${action} a second after the burst`).not.toBe(LIMIT_CODE);
}, { timeout: 60_000 });
