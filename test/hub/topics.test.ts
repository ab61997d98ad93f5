// Topic permissions on the wire: default and custom classes, wildcard SUBSCRIBE/UNSUBSCRIBE, dropped PUBLISHes, limits and QoS.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startHub, type RunningHub } from '../../hub/index.js';
import { api, connectDevice, inbox, login, portOf, provision, RawClient, sleep, type Device } from './helpers.js';

let hub: RunningHub;
let a: Device;
let b: Device;

beforeAll(async () => {
  hub = await startHub();
  [a, b] = (await provision(hub, ['devA', 'devB'], [
    { TopicName: 'alerts/+', Privilege: 2 },
    { TopicName: 'cmd', Privilege: 3 },
    { TopicName: 'up/+/x', Privilege: 1 },
  ])) as [Device, Device];
});
afterAll(() => hub.close());

const t = (d: Device, rest: string) => `${d.productId}/${d.deviceName}/${rest}`;

async function granted(c: MqttClient, filter: string, qos: 0 | 1 | 2 = 1): Promise<number> {
  try {
    const g = await c.subscribeAsync(filter, { qos });
    return g[0]!.qos;
  } catch (err) {
    // mqtt.js rejects a SUBACK 0x80 with ErrorWithSubackPacket
    const codes = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (codes) return codes[0]!;
    throw err;
  }
}

/** A raw client logged in as d, for checks mqtt.js hides (PUBACK presence). */
async function rawDevice(d: Device): Promise<RawClient> {
  const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
  expect(await raw.connect(login(d))).toBe(0);
  return raw;
}

async function rawSubscribe(raw: RawClient, topic: string, qos = 1): Promise<number[]> {
  raw.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic, qos }] });
  const p: any = await raw.next();
  expect(p?.cmd).toBe('suback');
  expect(p.messageId).toBe(7);
  return p.granted;
}

describe('default topic classes', () => {
  test('own topics: subscribe control/data, publish event/data; the other device\'s are refused', async () => {
    const c = await connectDevice(hub, a);
    expect(await granted(c, t(a, 'control'))).toBe(1);
    expect(await granted(c, t(a, 'data'))).toBe(1);
    expect(await granted(c, t(a, 'event'))).toBe(128);
    expect(await granted(c, t(b, 'control'))).toBe(128);
    expect(await granted(c, `$shadow/operation/result/${a.productId}/${a.deviceName}`)).toBe(1);
    expect(await granted(c, `$rrpc/rxd/${a.productId}/${a.deviceName}/+`)).toBe(1);
    const box = inbox(c);
    await c.publishAsync(t(a, 'data'), 'hello', { qos: 1 });
    await box.wait(1);
    expect(box.messages).toEqual([{ topic: t(a, 'data'), payload: 'hello' }]);
    await c.endAsync();
  });

  test('a forbidden QoS 1 PUBLISH gets no PUBACK, keeps the connection and reaches no one', async () => {
    const victim = await connectDevice(hub, b);
    expect(await granted(victim, t(b, 'data'))).toBe(1);
    const box = inbox(victim);
    const raw = await rawDevice(a);
    raw.send({ cmd: 'publish', topic: t(b, 'data'), qos: 1, messageId: 11, payload: 'intrusion' });
    raw.send({ cmd: 'publish', topic: t(a, 'control'), qos: 1, messageId: 12, payload: 'subscribe-only class' });
    expect(await raw.next(500)).toBeNull(); // no PUBACK for either
    expect(raw.closed).toBe(false);
    raw.send({ cmd: 'publish', topic: t(a, 'event'), qos: 1, messageId: 13, payload: 'fine' });
    const ack: any = await raw.next();
    expect(ack).toMatchObject({ cmd: 'puback', messageId: 13 });
    await sleep(100);
    expect(box.messages).toEqual([]);
    raw.close();
    await victim.endAsync();
  });

  test('PUBLISH with a wildcard or an empty topic is dropped, not a disconnect', async () => {
    const raw = await rawDevice(a);
    raw.send({ cmd: 'publish', topic: t(a, 'data/+'), qos: 1, messageId: 21, payload: 'x' });
    raw.send({ cmd: 'publish', topic: t(a, '#'), qos: 1, messageId: 22, payload: 'x' });
    expect(await raw.next(300)).toBeNull();
    raw.send({ cmd: 'pingreq' });
    expect((await raw.next())?.cmd).toBe('pingresp');
    raw.close();
  });

  test('QoS 2 PUBLISH closes the connection (QoS 2 is not supported)', async () => {
    const raw = await rawDevice(a);
    raw.send({ cmd: 'publish', topic: t(a, 'event'), qos: 2, messageId: 31, payload: 'x' });
    await raw.closedAt;
    expect(raw.closed).toBe(true);
  });
});

describe('custom topic policies', () => {
  test('privileges 1, 2, 3 and + levels', async () => {
    const c = await connectDevice(hub, a);
    expect(await granted(c, t(a, 'alerts/fire'))).toBe(1);
    expect(await granted(c, t(a, 'cmd'))).toBe(1);
    expect(await granted(c, t(a, 'up/7/x'))).toBe(128);
    const raw = await rawDevice(b);
    raw.send({ cmd: 'publish', topic: t(b, 'up/7/x'), qos: 1, messageId: 1, payload: 'x' });
    expect(await raw.next()).toMatchObject({ cmd: 'puback', messageId: 1 });
    raw.send({ cmd: 'publish', topic: t(b, 'alerts/fire'), qos: 1, messageId: 2, payload: 'x' });
    expect(await raw.next(300)).toBeNull();
    raw.close();
    await c.endAsync();
  });

  test('UpdateTopicPolicy takes effect for new PUBLISH and SUBSCRIBE', async () => {
    const [d] = (await provision(hub, ['d'], [{ TopicName: 'tmp', Privilege: 1 }])) as [Device];
    const c = await connectDevice(hub, d);
    expect(await granted(c, t(d, 'tmp'))).toBe(128);
    await api(hub, 'UpdateTopicPolicy', { ProductID: d.productId, TopicName: 'tmp', NewTopicName: 'tmp2', Privilege: 2 });
    expect(await granted(c, t(d, 'tmp2'))).toBe(1);
    await c.endAsync();
  });
});

describe('wildcard SUBSCRIBE and UNSUBSCRIBE', () => {
  test('${pid}/${dn}/# subscribes the intersections and delivers only permitted topics', async () => {
    const c = await connectDevice(hub, a);
    const box = inbox(c);
    expect(await granted(c, t(a, '#'))).toBe(1);
    // published by the device itself: data and cmd are subscribe classes, event is not
    await c.publishAsync(t(a, 'event'), 'e', { qos: 1 });
    await c.publishAsync(t(a, 'data'), 'd', { qos: 1 });
    await c.publishAsync(t(a, 'cmd'), 'c', { qos: 1 });
    await box.wait(2);
    await sleep(100);
    expect(box.messages.map((m) => m.topic).sort()).toEqual([t(a, 'cmd'), t(a, 'data')]);
    await c.endAsync();
  });

  test('a valid wildcard that matches nothing is granted; malformed and foreign filters are 0x80', async () => {
    const raw = await rawDevice(a); // raw: mqtt.js refuses to send malformed filters
    expect(await rawSubscribe(raw, t(a, 'event/+'))).toEqual([1]);
    for (const f of ['#', `${a.productId}/#`, `${a.productId}/+/control`, t(b, '#'), t(a, '#/control'), t(a, 'e#'), t(a, 'e+'),
      `$shadow/operation/result/${a.productId}/+`, `$rrpc/rxd/${a.productId}/${a.deviceName}/#`]) {
      expect(await rawSubscribe(raw, f), f).toEqual([128]);
    }
    expect(raw.closed).toBe(false);
    raw.close();
  });

  test('one return code per filter when a SUBSCRIBE carries several', async () => {
    const raw = await rawDevice(a);
    raw.send({
      cmd: 'subscribe',
      messageId: 9,
      subscriptions: [
        { topic: t(a, '+'), qos: 0 },
        { topic: t(b, 'control'), qos: 1 },
        { topic: t(a, 'control'), qos: 2 },
      ],
    });
    expect(await raw.next()).toMatchObject({ cmd: 'suback', messageId: 9, granted: [0, 128, 1] });
    raw.close();
  });

  test('UNSUBSCRIBE ${pid}/${dn}/# clears every user-topic subscription but not system topics', async () => {
    const c = await connectDevice(hub, a);
    const box = inbox(c);
    expect(await granted(c, t(a, 'control'))).toBe(1);
    expect(await granted(c, t(a, 'data'))).toBe(1);
    expect(await granted(c, t(a, 'alerts/+'))).toBe(1);
    await c.unsubscribeAsync(t(a, '#'));
    await c.publishAsync(t(a, 'data'), 'after', { qos: 1 });
    await sleep(150);
    expect(box.messages).toEqual([]);
    await c.endAsync();
  });

  test('UNSUBSCRIBE of a concrete filter removes only that subscription', async () => {
    const c = await connectDevice(hub, a);
    const box = inbox(c);
    expect(await granted(c, t(a, '+'))).toBe(1); // control, data, cmd
    await c.unsubscribeAsync(t(a, 'data'));
    await c.publishAsync(t(a, 'data'), 'gone', { qos: 1 });
    await c.publishAsync(t(a, 'cmd'), 'kept', { qos: 1 });
    await box.wait(1);
    await sleep(100);
    expect(box.messages).toEqual([{ topic: t(a, 'cmd'), payload: 'kept' }]);
    await c.endAsync();
  });

  test('UNSUBACK is sent even when nothing matched', async () => {
    const raw = await rawDevice(a);
    raw.send({ cmd: 'unsubscribe', messageId: 5, unsubscriptions: [t(a, 'nothing/+'), '#'] });
    expect(await raw.next()).toMatchObject({ cmd: 'unsuback', messageId: 5 });
    raw.close();
  });

  test('SUBSCRIBE pipelined right behind CONNECT is answered after the CONNACK', async () => {
    const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
    const l = login(a);
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: l.clientId, username: l.username, password: Buffer.from(l.password) });
    raw.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: t(a, 'control'), qos: 1 }] });
    expect((await raw.next())?.cmd).toBe('connack');
    expect(await raw.next()).toMatchObject({ cmd: 'suback', messageId: 3, granted: [1] });
    raw.close();
  });

  test('a persistent session restores the intersections, and UNSUBSCRIBE updates it', async () => {
    const opts = { clean: false };
    const mk = async () => {
      const mqtt = await import('mqtt');
      return mqtt.default.connectAsync(hub.endpoints.mqtt, { ...login(a), ...opts, protocolVersion: 4, reconnectPeriod: 0 });
    };
    const c1 = await mk();
    expect((await c1.subscribeAsync(t(a, '+'), { qos: 1 }))[0]!.qos).toBe(1);
    await c1.unsubscribeAsync(t(a, 'cmd'));
    await c1.endAsync();
    const c2 = await mk();
    const box = inbox(c2);
    await c2.publishAsync(t(a, 'data'), 'restored', { qos: 1 });
    await c2.publishAsync(t(a, 'cmd'), 'unsubscribed', { qos: 1 });
    await box.wait(1);
    await sleep(100);
    expect(box.messages).toEqual([{ topic: t(a, 'data'), payload: 'restored' }]);
    await c2.endAsync();
  });
});

describe('limits and QoS', () => {
  test('topic names and filters over 64 bytes are refused', async () => {
    const c = await connectDevice(hub, a);
    const prefix = t(a, '');
    const long = prefix + 'x'.repeat(65 - prefix.length);
    expect(Buffer.byteLength(long)).toBe(65);
    expect(await granted(c, `${prefix}+/${'y'.repeat(64 - prefix.length - 2)}`)).toBe(1); // exactly 64 bytes
    expect(await granted(c, long.replace(/x+$/, (x) => '+/' + x.slice(2)))).toBe(128);
    await c.endAsync();
    const [w] = (await provision(hub, ['w'], [{ TopicName: '+', Privilege: 1 }])) as [Device];
    const raw = await rawDevice(w);
    const p = t(w, '');
    raw.send({ cmd: 'publish', topic: p + 'z'.repeat(64 - p.length), qos: 1, messageId: 1, payload: 'x' });
    expect(await raw.next()).toMatchObject({ cmd: 'puback', messageId: 1 });
    raw.send({ cmd: 'publish', topic: p + 'z'.repeat(65 - p.length), qos: 1, messageId: 2, payload: 'x' });
    expect(await raw.next(300)).toBeNull();
    raw.close();
  });

  test('a PUBLISH packet of 16384 bytes passes, 16385 is dropped', async () => {
    const raw = await rawDevice(a);
    const topic = t(a, 'event');
    // whole packet = 1 (header) + 2 (remaining length varint) + 2 + topic + 2 (messageId) + payload
    const payloadFor = (total: number) => Buffer.alloc(total - 3 - 2 - Buffer.byteLength(topic) - 2, 97);
    const exact = { cmd: 'publish', topic, qos: 1, messageId: 1, payload: payloadFor(16384) };
    const over = { cmd: 'publish', topic, qos: 1, messageId: 2, payload: payloadFor(16385) };
    const { default: mp } = await import('mqtt-packet');
    expect(mp.generate(exact as any).length).toBe(16384);
    expect(mp.generate(over as any).length).toBe(16385);
    raw.send(exact);
    expect(await raw.next()).toMatchObject({ cmd: 'puback', messageId: 1 });
    raw.send(over);
    expect(await raw.next(300)).toBeNull();
    expect(raw.closed).toBe(false);
    raw.close();
  });

  test('QoS 2 SUBSCRIBE is granted QoS 1 and QoS 0 stays 0', async () => {
    const c = await connectDevice(hub, a);
    expect(await granted(c, t(a, 'control'), 2)).toBe(1);
    expect(await granted(c, t(a, 'data'), 0)).toBe(0);
    await c.endAsync();
  });

  test('deleting a connected device disconnects it', async () => {
    const [d] = (await provision(hub, ['doomed'])) as [Device];
    const c = await connectDevice(hub, d);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await api(hub, 'DeleteDevice', { ProductId: d.productId, DeviceName: d.deviceName });
    await closed;
  });
});
