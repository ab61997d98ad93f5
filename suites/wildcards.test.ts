// Wildcards in SUBSCRIBE and UNSUBSCRIBE exactly as the seed notes describe them (seed §1.1.3, specs/access-rules.md §4–§5).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { afterUnsubscribe, delivers, judgeSubscribe, mayPublish, topicClasses, type CustomClass } from '../src/protocol/acl.js';
import type { Device } from '../src/client/device.js';
import { req, reqProperty, type Harness } from './support/harness.js';
import { uniqueName, useProduct, type DeviceCredentials } from './support/provision.js';
import { selfLoop } from './support/wire.js';

/** Classes at one, two and three levels under `a`, so level counts decide what a wildcard reaches. */
const policies: CustomClass[] = [
  { name: 'a', privilege: 3 }, { name: 'a/+', privilege: 3 }, { name: 'a/b/c', privilege: 3 }, { name: 'x', privilege: 3 },
  { name: 'y', privilege: 1 }, { name: 'z', privilege: 2 }, { name: 'sync', privilege: 3 },
];
/** w1 acts; `w` is a prefix of its name and `w1_b` extends it, so prefix-matching ownership shows both ways. */
const product = useProduct('wild', { devices: ['w1', 'w2', 'w', 'w1_b'], policies });

const vectors = JSON.parse(readFileSync(new URL('../specs/vectors/acl.json', import.meta.url), 'utf8'));
const vecProduct = useProduct('wild_vec', { devices: ['dev1', 'dev2'], policies: vectors.customClasses });

/** Topics the device can publish itself, so deliveries can be observed without the cloud. */
const FEED = ['data', 'a', 'a/b', 'a/q', 'a/b/c', 'x', 'y', 'event', 'cmd'];
const LEVEL = fc.constantFrom('a', 'b', 'c', 'q', 'x', 'y', 'z', 'data', 'control', '+', '#', 'e#', 'e+', '');

/** Filters in and around the device's namespace: mostly its own prefix, sometimes another device's or a wildcard there. */
const filterArb = fc.tuple(
  fc.constantFrom('own', 'own', 'own', 'own', 'plus-device', 'other-device', 'shorter-device', 'longer-device', 'hash-root', 'plus-product'),
  fc.array(LEVEL, { minLength: 0, maxLength: 4 }),
).map(([prefix, rest]) => ({ prefix, rest }));

type FilterSpec = { prefix: string; rest: string[] };
function render(f: FilterSpec, pid: string, dn: string): string {
  const head = {
    own: [pid, dn], 'plus-device': [pid, '+'], 'other-device': [pid, 'w2'], 'shorter-device': [pid, 'w'], 'longer-device': [pid, 'w1_b'],
    'hash-root': ['#'], 'plus-product': ['+', dn],
  }[f.prefix]!;
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

/** Publishes each of `topics` (relative to the device's base, all permitted) and returns those that came back, sorted. */
async function deliveredOf(device: Device, creds: DeviceCredentials, topics: string[]): Promise<string[]> {
  const base = `${creds.productId}/${creds.deviceName}`;
  const tag = uniqueName('feed');
  for (const t of topics) await device.publish(`${base}/${t}`, `${tag}:${t}`, 1);
  await selfLoop(device, `${base}/sync`);
  return device.messages.filter((m) => m.payload.toString().startsWith(`${tag}:`)).map((m) => m.topic.slice(base.length + 1)).sort();
}

/** A session of w1 holding `filters` (each granted) and the marker subscription sync. */
async function holding(h: Harness, filters: string[]): Promise<{ device: Device; creds: DeviceCredentials; base: string }> {
  const creds = product.device('w1');
  const base = `${creds.productId}/${creds.deviceName}`;
  const device = await h.device(creds);
  for (const f of [...filters.map((f) => `${base}/${f}`), `${base}/sync`]) expect(await device.subscribe(f, 1), `SUBACK for ${f}`).toBe(1);
  return { device, creds, base };
}

describe('wildcard levels', () => {
  req(['WILD-007'], '# also matches its parent level: a/# delivers a, a/q and a/b/c; data/# delivers data', async (h) => {
    const { device, creds } = await holding(h, ['a/#', 'data/#']);
    expect(await deliveredOf(device, creds, ['a', 'a/q', 'a/b/c', 'data', 'x'])).toEqual(['a', 'a/b/c', 'a/q', 'data']);
  });

  req(['WILD-008'], '+ matches exactly one level: a/+ delivers a/q and a/b, not a or a/b/c', async (h) => {
    const { device, creds } = await holding(h, ['a/+']);
    expect(await deliveredOf(device, creds, ['a', 'a/q', 'a/b', 'a/b/c', 'x'])).toEqual(['a/b', 'a/q']);
  });

  req(['WILD-009'], '${pid}/${dn}/# delivers nothing the hub publishes on the device\'s $ system topics', async (h) => {
    const caps = h.target.capabilities;
    const viaBroadcast = caps.includes('broadcast');
    const viaShadow = caps.includes('shadow');
    if (!viaBroadcast && !viaShadow) return h.ctx.skip('the target offers neither broadcast nor shadow, which push on $ topics');
    const api = h.api();
    const creds = await product.addDevice(uniqueName('w9').slice(0, 16)); // a fresh shadow (version 0)
    const base = `${creds.productId}/${creds.deviceName}`;
    const device = await h.device(creds);
    expect(await device.subscribe(`${base}/#`, 1)).toBe(1);
    // Controls: another device of the product subscribed to its broadcast topic exactly; later the device itself to its shadow result.
    const peerCreds = product.device('w2');
    const peer = await h.device(peerCreds, { label: 'control' });
    const peerBroadcast = `$broadcast/rxd/${peerCreds.productId}/${peerCreds.deviceName}`;
    expect(await peer.subscribe(peerBroadcast, 1)).toBe(1);
    expect(await peer.subscribe(`${peerCreds.productId}/${peerCreds.deviceName}/sync`, 1)).toBe(1);
    const shadow = (desired: number, version: number) => api.call('UpdateDeviceShadow', {
      ProductId: creds.productId, DeviceName: creds.deviceName, State: JSON.stringify({ desired: { wild: desired } }), ShadowVersion: version,
    });
    if (viaShadow) await shadow(9, 0); // a delta on $shadow/operation/result/${pid}/${dn}
    if (viaBroadcast) await api.call('PublishBroadcastMessage', { ProductId: creds.productId, Payload: 'wild-009', Qos: 1 }); // on $broadcast/rxd/...
    await selfLoop(device, `${base}/sync`);
    expect(device.messages.filter((m) => m.topic.startsWith('$')).map((m) => m.topic), 'deliveries on $ topics to a # subscription').toEqual([]);
    if (viaBroadcast) {
      await selfLoop(peer, `${peerCreds.productId}/${peerCreds.deviceName}/sync`);
      expect(peer.received(peerBroadcast).length, 'control: the broadcast reached an exact subscriber').toBe(1);
    }
    if (viaShadow) {
      const result = `$shadow/operation/result/${base}`;
      expect(await device.subscribe(result, 1)).toBe(1);
      await shadow(10, 1);
      await selfLoop(device, `${base}/sync`);
      expect(device.received(result).length, 'control: a delta reaches an exact subscriber').toBe(1);
    }
  });
});

describe('wildcard UNSUBSCRIBE', () => {
  req(['WILD-010'], 'a wildcard UNSUBSCRIBE removes only what it covers, and UNSUBACK always comes', async (h) => {
    const { device, creds, base } = await holding(h, ['a/#', 'x']); // a/# subscribes a, a/+ and a/b/c
    const { productId: pid } = creds;
    await device.unsubscribe(`${base}/+/b`); // overlaps a/+ (at a/b) but covers nothing
    await device.unsubscribe(`${pid}/w/#`); // a device whose name is a prefix of w1: outside w1's namespace
    await device.unsubscribe(`${pid}/w1_b/#`); // a device whose name extends w1: outside too
    await device.unsubscribe(`${base}/z/+`); // matches no subscription
    expect(await deliveredOf(device, creds, ['a', 'a/q', 'a/b', 'a/b/c', 'x'])).toEqual(['a', 'a/b', 'a/b/c', 'a/q', 'x']);
    await device.unsubscribe(`${base}/a/b/+`); // covers a/b/c only
    await device.unsubscribe(`${base}/x/#`); // covers x (# meets zero levels)
    expect(await deliveredOf(device, creds, ['a', 'a/q', 'a/b', 'a/b/c', 'x'])).toEqual(['a', 'a/b', 'a/q']);
  });
});

describe('system-topic wildcards', () => {
  req(['WILD-011'], 'a concrete RRPC request topic may be subscribed; more levels, fewer, or another device\'s may not', async (h) => {
    const creds = product.device('w1');
    const { productId: pid, deviceName: dn } = creds;
    const device = await h.device(creds);
    for (const id of ['0', '4242', '99999999', 'x']) expect(await device.subscribe(`$rrpc/rxd/${pid}/${dn}/${id}`, 1), `SUBACK for processID ${id}`).toBe(1);
    for (const f of [`$rrpc/rxd/${pid}/${dn}/1/2`, `$rrpc/rxd/${pid}/${dn}/+/2`, `$rrpc/rxd/${pid}/${dn}/+/+`, `$rrpc/rxd/${pid}/${dn}/+/#`, `$rrpc/rxd/${pid}/${dn}`, `$rrpc/rxd/${pid}/w/7`, `$rrpc/rxd/${pid}/w1_b/7`, `$rrpc/rxd/${pid}/w1_b/+`]) {
      expect(await device.subscribe(f, 1), `SUBACK for ${f}`).toBe(0x80);
    }
  });
});
