// Wildcards in SUBSCRIBE and UNSUBSCRIBE exactly as the seed notes describe them (seed §1.1.3, specs/access-rules.md §4–§5).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { afterUnsubscribe, delivers, judgeSubscribe, mayPublish, topicClasses, type CustomClass } from '../src/protocol/acl.js';
import { req, reqProperty } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { selfLoop } from './support/wire.js';

const policies: CustomClass[] = [
  { name: 'a/+', privilege: 3 }, { name: 'a/b/c', privilege: 3 }, { name: 'x', privilege: 3 },
  { name: 'y', privilege: 1 }, { name: 'z', privilege: 2 }, { name: 'sync', privilege: 3 },
];
const product = useProduct('wild', { devices: ['w1', 'w2'], policies });

const vectors = JSON.parse(readFileSync(new URL('../specs/vectors/acl.json', import.meta.url), 'utf8'));
const vecProduct = useProduct('wild_vec', { devices: ['dev1', 'dev2'], policies: vectors.customClasses });

/** Topics the device can publish itself, so deliveries can be observed without the cloud. */
const FEED = ['data', 'a/b', 'a/q', 'a/b/c', 'x', 'y', 'event', 'cmd'];
const LEVEL = fc.constantFrom('a', 'b', 'c', 'q', 'x', 'y', 'z', 'data', 'control', '+', '#', 'e#', 'e+', '');

/** Filters in and around the device's namespace: mostly its own prefix, sometimes another device's or a wildcard there. */
const filterArb = fc.tuple(
  fc.constantFrom('own', 'own', 'own', 'own', 'plus-device', 'other-device', 'hash-root', 'plus-product'),
  fc.array(LEVEL, { minLength: 0, maxLength: 4 }),
).map(([prefix, rest]) => ({ prefix, rest }));

type FilterSpec = { prefix: string; rest: string[] };
function render(f: FilterSpec, pid: string, dn: string): string {
  const head = { own: [pid, dn], 'plus-device': [pid, '+'], 'other-device': [pid, 'w2'], 'hash-root': ['#'], 'plus-product': ['+', dn] }[f.prefix]!;
  return [...head, ...f.rest].join('/');
}

describe('wildcard SUBSCRIBE and UNSUBSCRIBE', () => {
  reqProperty(['WILD-001', 'WILD-002', 'WILD-004', 'WILD-005', 'WILD-006'],
    'generated subscribe/unsubscribe sequences give the SUBACKs and deliveries of the model',
    [fc.array(filterArb, { minLength: 1, maxLength: 3 }), fc.array(filterArb, { minLength: 0, maxLength: 2 })],
    async (h, subs, unsubs) => {
      const creds = product.device('w1');
      const { productId: pid, deviceName: dn } = creds;
      const classes = topicClasses(creds, policies);
      const sync = `${pid}/${dn}/sync`;
      const device = await h.device(creds);
      expect(await device.subscribe(sync, 1)).toBe(1);
      let model: string[] = [sync];
      for (const spec of subs) {
        const filter = render(spec, pid, dn);
        const expected = judgeSubscribe(creds, classes, filter, 1);
        expect(await device.subscribe(filter, 1), `SUBACK for ${JSON.stringify(filter)}`).toBe(expected.granted ? 1 : 0x80);
        if (expected.granted) model = [...new Set([...model, ...expected.subscriptions])];
      }
      for (const spec of unsubs) {
        const filter = render(spec, pid, dn);
        if (filter === '' || filter.length > 64) continue; // mqtt.js refuses to send these; nothing to observe
        await device.unsubscribe(filter);
        model = afterUnsubscribe(creds, classes, model, filter);
      }
      if (!model.includes(sync)) {
        // An UNSUBSCRIBE removed the marker subscription: restore it (and tell the model).
        expect(await device.subscribe(sync, 1)).toBe(1);
        model.push(sync);
      }
      const sent = FEED.map((t) => device.publishTracked(`${pid}/${dn}/${t}`, `feed:${t}`));
      await selfLoop(device, sync);
      for (const [i, t] of FEED.entries()) {
        const topic = `${pid}/${dn}/${t}`;
        expect(sent[i]!.acked(), `PUBACK for ${topic}`).toBe(mayPublish(classes, topic));
        const expected = mayPublish(classes, topic) && delivers(model, topic);
        const got = device.messages.some((m) => m.topic === topic && m.payload.toString() === `feed:${t}`);
        expect(got, `delivery on ${topic} with subscriptions ${JSON.stringify(model)}`).toBe(expected);
      }
    }, { numRuns: 100, timeout: 120_000 });

  req(['WILD-001', 'WILD-002', 'WILD-003', 'WILD-004', 'WILD-006'], 'the golden SUBSCRIBE vectors (specs/vectors/acl.json)', async (h) => {
    const d1 = vecProduct.device('dev1');
    const rename = (s: string) => s.replaceAll(vectors.device.productId, d1.productId);
    const device = await h.device(d1);
    for (const v of vectors.subscribe as { filter: string; granted: boolean }[]) {
      expect(await device.subscribe(rename(v.filter), 1), `SUBACK for ${v.filter}`).toBe(v.granted ? 1 : 0x80);
    }
  });

  req(['WILD-005'], '${pid}/${dn}/# clears every user-topic subscription', async (h) => {
    const creds = product.device('w1');
    const base = `${creds.productId}/${creds.deviceName}`;
    const device = await h.device(creds);
    for (const f of [`${base}/data`, `${base}/x`, `${base}/a/+`, `${base}/sync`]) expect(await device.subscribe(f, 1)).toBe(1);
    await device.unsubscribe(`${base}/#`);
    // Nothing user-topic is delivered any more: feed every topic, then check with a fresh marker subscription.
    for (const t of ['data', 'x', 'a/b']) await device.publish(`${base}/${t}`, `after-clear:${t}`, 1);
    expect(await device.subscribe(`${base}/sync`, 1)).toBe(1);
    await selfLoop(device, `${base}/sync`);
    expect(device.messages.filter((m) => m.payload.toString().startsWith('after-clear:')).map((m) => m.topic)).toEqual([]);
  });
});
