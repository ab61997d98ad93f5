// The hub's topic rules as pure functions, held to specs/vectors/acl.json and to a few extra edge cases (access-rules §2–§5).

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { deviceClasses } from '../../hub/acl/classes.js';
import { decidePublish, encodedPacketSize } from '../../hub/acl/publish.js';
import { decideSubscribe, unsubscribeTargets, type SubscribeContext } from '../../hub/acl/subscribe.js';
import { covers, intersect } from '../../hub/acl/topics.js';
import { parseFaults } from '../../hub/faults.js';

const file = new URL('../../specs/vectors/acl.json', import.meta.url);
const vectors = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
const none = parseFaults([]);

describe.skipIf(!vectors)('specs/vectors/acl.json', () => {
  const { productId, deviceName } = vectors?.device ?? {};
  const custom = (vectors?.customClasses ?? []).map((c: any) => ({ topicName: c.name, privilege: c.privilege }));
  const classes = deviceClasses(productId, deviceName, custom);
  const ctx: SubscribeContext = { productId, deviceName, subscribeClasses: classes.subscribe, faults: none };

  test.each((vectors?.publish ?? []).map((v: any) => [v.topic, v]) as [string, any][])('publish %s', (_t, v: any) => {
    expect(decidePublish(classes.publish, v.topic, 100, none).allowed).toBe(v.allowed);
  });

  test.each((vectors?.subscribe ?? []).map((v: any) => [v.filter, v]) as [string, any][])('subscribe %s', (_f, v: any) => {
    const d = decideSubscribe(ctx, v.filter);
    expect(d.granted).toBe(v.granted);
    if (d.granted && v.subscriptions) expect([...d.subscriptions].sort()).toEqual([...v.subscriptions].sort());
  });

  test.each((vectors?.unsubscribe ?? []).map((v: any) => [v.filter, v]) as [string, any][])('unsubscribe %s', (_f, v: any) => {
    const removed = unsubscribeTargets(ctx, v.filter, v.holding);
    expect(v.holding.filter((s: string) => !removed.includes(s)).sort()).toEqual([...v.left].sort());
  });
});

describe('topic algebra edge cases', () => {
  test('# also matches the parent level (MQTT 3.1.1 §4.7.1.2)', () => {
    expect(intersect(['p', 'd', 'data', '#'], ['p', 'd', 'data'])).toEqual(['p', 'd', 'data']);
    expect(covers(['p', 'd', '#'], ['p', 'd'])).toBe(true);
  });
  test('a literal does not cover a + subscription', () => {
    expect(covers(['p', 'd', 'a', 'x'], ['p', 'd', 'a', '+'])).toBe(false);
    expect(covers(['p', 'd', 'a', '+'], ['p', 'd', 'a', 'x'])).toBe(true);
  });
  test('whole encoded packet size', () => {
    expect(encodedPacketSize(127)).toBe(129);
    expect(encodedPacketSize(128)).toBe(131);
    expect(encodedPacketSize(16380)).toBe(16383);
    expect(encodedPacketSize(16381)).toBe(16384);
    expect(encodedPacketSize(16382)).toBe(16385);
  });
  test('a packet over 16384 bytes is refused even on a permitted topic', () => {
    const c = deviceClasses('P', 'd', []);
    expect(decidePublish(c.publish, 'P/d/event', 16384, none).allowed).toBe(true);
    expect(decidePublish(c.publish, 'P/d/event', 16385, none).allowed).toBe(false);
  });
});
