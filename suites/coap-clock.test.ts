// CoAP auth token lifetime on the hub clock (COAP-005): moves the hub's retention clock by a day, so it runs alone.
import { expect } from 'vitest';
import { req } from './support/harness.js';
import { useProduct } from './support/provision.js';

const product = useProduct('coapclk', { devices: ['meter'] });

/** The reference hub's token lifetime (COAP-005 choice) and a margin past it. */
const TOKEN_TTL_S = 24 * 3600;

req(['COAP-005'], 'an auth token is refused 4.01 once a day has passed on the hub clock; authenticating again gives a working one', async (h) => {
  if (!h.target.capabilities.includes('test-clock') && !h.target.long) h.ctx.skip('the target has no test clock; run with --long to wait a day for real');
  const { productId, deviceName } = product.device('meter');
  const topic = `${productId}/${deviceName}/data`;
  const coap = await h.coap();
  const token = await coap.token(productId, deviceName);
  expect((await coap.request(topic, 'fresh', { token }))?.code, 'a fresh token works').toBe('2.05');
  await h.advanceClock(TOKEN_TTL_S - 120);
  expect((await coap.request(topic, 'still', { token }))?.code, 'the token still works 2 minutes before its day is over').toBe('2.05');
  await h.advanceClock(240);
  expect((await coap.request(topic, 'stale', { token }))?.code, 'the token is refused after its day').toBe('4.01');
  const again = await coap.token(productId, deviceName);
  expect(again, 'a new token').not.toBe(token);
  expect((await coap.request(topic, 'renewed', { token: again }))?.code, 'the new token works').toBe('2.05');
});
