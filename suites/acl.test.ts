// Topic permissions: default classes, isolation, system topics, custom classes (protocol.md §2, specs/access-rules.md §3).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { judgeSubscribe, mayPublish, maySubscribeTopic, topicClasses, type CustomClass } from '../src/protocol/acl.js';
import { req, reqProperty } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { selfLoop } from './support/wire.js';

const policies: CustomClass[] = [
  { name: 'cmd', privilege: 3 },
  { name: 'up/+', privilege: 1 },
  { name: 'alerts/+', privilege: 2 },
];
const home = useProduct('acl', { devices: ['actor', 'peer', 'policy_dev'], policies });
const away = useProduct('acl_other', { devices: ['stranger'] });

/** Topic shapes, filled in for an owner device; `{id}` is an RRPC processID. */
const SHAPES = [
  '{p}/{d}/control', '{p}/{d}/event', '{p}/{d}/data', '{p}/{d}/cmd', '{p}/{d}/up/x1', '{p}/{d}/alerts/a1', '{p}/{d}/unknown',
  '{p}/{d}/data/extra', '$shadow/operation/{p}/{d}', '$shadow/operation/result/{p}/{d}', '$ota/report/{p}/{d}', '$ota/update/{p}/{d}',
  '$config/operation/{p}/{d}', '$config/operation/result/{p}/{d}', '$config/report/{p}/{d}', '$config/update/{p}/{d}',
  '$log/operation/{p}/{d}', '$log/operation/result/{p}/{d}', '$sys/operation/{p}/{d}', '$sys/operation/result/{p}/{d}',
  '$broadcast/rxd/{p}/{d}', '$rrpc/rxd/{p}/{d}/{id}', '$rrpc/txd/{p}/{d}/{id}', '$rrpc/txd/{p}/{d}',
] as const;

const fill = (shape: string, owner: DeviceCredentials, id: number) =>
  shape.replace('{p}', owner.productId).replace('{d}', owner.deviceName).replace('{id}', String(id));
const ownerOf = (which: 'self' | 'peer' | 'stranger') =>
  which === 'self' ? home.device('actor') : which === 'peer' ? home.device('peer') : away.device('stranger');
const classesOf = (d: DeviceCredentials) => topicClasses(d, d.productId === home.productId ? policies : []);

describe('topic permission matrix', () => {
  reqProperty(['ACL-001', 'ACL-002', 'ACL-004', 'ACL-005'], 'SUBSCRIBE outcomes over device × owner × topic class agree with the model',
    [fc.constantFrom('self', 'peer', 'stranger' as const), fc.constantFrom(...SHAPES), fc.integer({ min: 1, max: 99999 }), fc.constantFrom<0 | 1>(0, 1)],
    async (h, owner, shape, id, qos) => {
      const actor = home.device('actor');
      const filter = fill(shape, ownerOf(owner), id);
      const expected = judgeSubscribe(actor, classesOf(actor), filter, qos);
      const device = await h.device(actor);
      const code = await device.subscribe(filter, qos);
      expect(code, `SUBACK for ${filter}`).toBe(expected.granted ? qos : 0x80);
      expect(device.isOpen, 'connection stays open after a refused SUBSCRIBE').toBe(true);
    }, { numRuns: 100 });

  reqProperty(['ACL-001', 'ACL-002', 'ACL-003', 'ACL-005'], 'PUBLISH outcomes over device × owner × topic class agree with the model',
    [fc.constantFrom('self', 'peer', 'stranger' as const), fc.constantFrom(...SHAPES), fc.integer({ min: 1, max: 99999 })],
    async (h, ownerKind, shape, id) => {
      const actorCreds = home.device('actor');
      const owner = ownerOf(ownerKind);
      const topic = fill(shape, owner, id);
      const allowed = mayPublish(classesOf(actorCreds), topic);
      const actor = await h.device(actorCreds, { label: 'actor' });
      // The topic's owner listens when it may subscribe to that topic: the only legitimate receiver.
      const ownerListens = maySubscribeTopic(classesOf(owner), topic);
      const listener = ownerKind === 'self' ? actor : await h.device(owner, { label: 'owner' });
      const ownerData = `${owner.productId}/${owner.deviceName}/data`;
      if (ownerListens) expect(await listener.subscribe(topic, 1)).toBe(1);
      expect(await listener.subscribe(ownerData, 1)).toBe(1);

      const payload = `acl-${id}`;
      const sent = actor.publishTracked(topic, payload);
      // Barrier: a later publish on the actor's own topic is acknowledged, then the owner's self-loop returns.
      await actor.publish(`${actorCreds.productId}/${actorCreds.deviceName}/event`, 'after', 1);
      await selfLoop(listener, ownerData);
      expect(sent.acked(), `PUBACK for ${topic}`).toBe(allowed);
      if (ownerListens) {
        const got = listener.messages.some((m) => m.topic === topic && m.payload.toString() === payload);
        expect(got, `delivery of ${topic} to its owner`).toBe(allowed);
      }
      expect(actor.isOpen, 'connection stays open after a forbidden PUBLISH').toBe(true);
    }, { numRuns: 100 });
});

describe('custom topic classes', () => {
  req(['ACL-006', 'ACL-007'], 'CreateTopicPolicy and UpdateTopicPolicy privileges are honoured', async (h) => {
    const api = h.api();
    const creds = home.device('policy_dev');
    const base = `${creds.productId}/${creds.deviceName}`;
    const device = await h.device(creds);
    // cmd has privilege 3: publish and subscribe.
    expect(await device.subscribe(`${base}/cmd`, 1)).toBe(1);
    await device.publish(`${base}/cmd`, 'both', 1);
    expect(await device.waitFor((m) => m.topic === `${base}/cmd`, 5000)).toBeDefined();
    // alerts/+ has privilege 2 (subscribe only); up/+ privilege 1 (publish only).
    expect(await device.subscribe(`${base}/alerts/fire`, 1)).toBe(1);
    expect(await device.subscribe(`${base}/up/x`, 1)).toBe(0x80);

    await api.call('CreateTopicPolicy', { ProductID: creds.productId, TopicName: 'late', Privilege: 2 });
    await api.call('UpdateTopicPolicy', { ProductID: creds.productId, TopicName: 'up/+', NewTopicName: 'up/+', Privilege: 3 });
    const again = await h.device(creds, { label: 'after-update' });
    expect(await again.subscribe(`${base}/late`, 0), 'class created after the device').toBe(0);
    expect(await again.subscribe(`${base}/up/x`, 1), 'privilege raised to 3').toBe(1);
    await api.call('UpdateTopicPolicy', { ProductID: creds.productId, TopicName: 'up/+', NewTopicName: 'up/+', Privilege: 1 });
  });
});
