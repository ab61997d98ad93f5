// MQTT 3.1.1 wildcard semantics on a plain broker: # and + anywhere, no namespaces, $ topics hidden (profile mqtt-core).
import { describe, expect } from 'vitest';
import type { Device } from '../../src/client/device.js';
import { req } from '../support/harness.js';
import { useProduct } from '../support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from '../support/wire.js';
import { login, uniquePrefix } from './support.js';

const product = useProduct('core_wild', { devices: ['pub', 'sub'] });

/**
 * Publishes each topic from `pub`, then a marker the filter under test matches; once the marker
 * has reached `sub`, everything published before it that was going to arrive has (same publisher,
 * QoS 1: ordered delivery).
 */
async function deliveredOf(pub: Device, sub: Device, topics: string[], marker: string): Promise<Set<string>> {
  for (const t of topics) await pub.publish(t, `to ${t}`, 1);
  const token = `marker-${marker}-${Date.now()}`;
  await pub.publish(marker, token, 1);
  const got = await sub.waitFor((m) => m.topic === marker && m.payload.toString() === token, ROUND_TRIP_LIMIT_MS);
  if (!got) throw new Error(`the marker on ${marker} did not arrive within ${ROUND_TRIP_LIMIT_MS} ms; cannot judge delivery`);
  return new Set(sub.messages.filter((m) => m.topic !== marker).map((m) => m.topic));
}

describe('MQTT wildcards', () => {
  req(['WILD-012'], 'a/# delivers a, a/b and a/b/c, and not ab', async (h) => {
    const p = uniquePrefix();
    const pub = await login(h, product.device('pub'));
    const sub = await login(h, product.device('sub'));
    expect(await sub.subscribe(`${p}/a/#`, 1)).toBe(1);
    const got = await deliveredOf(pub, sub, [`${p}/a`, `${p}/a/b`, `${p}/a/b/c`, `${p}/ab`, `${p}/b/a`], `${p}/a/zz`);
    expect([...got].sort()).toEqual([`${p}/a`, `${p}/a/b`, `${p}/a/b/c`]);
  });

  req(['WILD-013'], '+ matches exactly one level, at any position, including an empty level', async (h) => {
    const p = uniquePrefix();
    const pub = await login(h, product.device('pub'));
    const sub = await login(h, product.device('sub'));
    for (const f of [`+/${p}`, `${p}/+/c`, `${p}/e/+`]) expect(await sub.subscribe(f, 1), `SUBACK for ${f}`).toBe(1);
    const got = await deliveredOf(pub, sub,
      [`x/${p}`, `x/y/${p}`, `${p}/b/c`, `${p}/b/x/c`, `${p}/c`, `${p}/e/`, `${p}/e/f`, `${p}/e/f/g`],
      `zz/${p}`);
    expect([...got].sort()).toEqual([`${p}/b/c`, `${p}/e/`, `${p}/e/f`, `x/${p}`].sort());
  });

  req(['WILD-014'], '# receives every client\'s messages on any topic (no namespace)', async (h) => {
    const p = uniquePrefix();
    const pub = await login(h, product.device('pub'));
    const sub = await login(h, product.device('sub'));
    expect(await sub.subscribe('#', 0)).toBe(0);
    const topics = [`${p}`, `${p}/x`, `other/${p}/deep/er`, `/${p}`];
    const got = await deliveredOf(pub, sub, topics, `${p}/zz`);
    for (const t of topics) expect(got.has(t), `delivery of ${t} to #`).toBe(true);
  });

  req(['WILD-015'], '# and +/x do not deliver topics that begin with $', async (h) => {
    const p = uniquePrefix();
    const pub = await login(h, product.device('pub'));
    const sub = await login(h, product.device('sub'));
    const dollar = `$${p}/x`;
    expect(await sub.subscribe('#', 0)).toBe(0);
    expect(await sub.subscribe('+/x', 0)).toBe(0);
    // Positive control: a subscriber naming the $ topic exactly does get it, so the broker did accept the publish.
    const exact = await login(h, product.device('pub'), { clientId: `${product.productId}${p}exact` });
    expect(await exact.subscribe(dollar, 1)).toBe(1);
    await pub.publish(dollar, 'dollar', 1);
    expect(await exact.waitFor((m) => m.topic === dollar, ROUND_TRIP_LIMIT_MS), `control: ${dollar} reaches an exact subscriber`).toBeTruthy();
    const got = await deliveredOf(pub, sub, [], `${p}/x`);
    expect(got.has(dollar), `${dollar} delivered to # or +/x`).toBe(false);
  });

  req(['WILD-016'], 'malformed filters (a/b#, a/#/c, a+) are refused with 0x80 or a closed connection', async (h) => {
    for (const filter of ['a/b#', 'a/#/c', 'a+', '#/a']) {
      const sub = await login(h, product.device('sub'), { label: `filter ${filter}` });
      let code: number | 'closed';
      try { code = await sub.subscribe(filter, 1); } catch { code = 'closed'; }
      if (code !== 'closed') expect(code, `SUBACK for ${filter}`).toBe(0x80);
      else expect(sub.isOpen, `connection after ${filter}`).toBe(false);
      await sub.end();
    }
  });
});
