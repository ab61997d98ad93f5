// Persistent sessions survive a restart of a hub with --data: kill -9 and a clean SIGTERM, stored messages counted by
// payload, messages that were in flight resent with DUP = 1 and their packet identifier (QOS-018).
//
// One device is both publisher and subscriber on its own `data` topic: a device may publish and subscribe only its
// own topics, and device-to-device traffic goes through the rules engine, whose republish is asynchronous (it is
// not covered by the publisher's PUBACK), so it would not test what a PUBACK promises.

import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { callApi, provision, type Device } from './helpers.js';
import { SessionClient, useHubChildren, type HubChild } from './durable-process.js';

const HUB_ARGS = ['--offline-pace', '0', '--test-clock'];
const OWN = 100; // QoS 1 PUBLISHes of the device, PUBACKed, delivered back and left unacknowledged
const CLOUD = 20; // PublishMessage while the device is offline

const { start, tempDir } = useHubChildren(HUB_ARGS);
const dataFile = () => path.join(tempDir(), 'hub.db');

const topicOf = (d: Device) => `${d.productId}/${d.deviceName}/data`;

async function publishMessage(h: HubChild, d: Device, payload: string): Promise<string | undefined> {
  const r = await callApi(h.hub, 'PublishMessage', { ProductId: d.productId, DeviceName: d.deviceName, Topic: topicOf(d), Payload: payload, Qos: 1 });
  return r.Response.Error?.Code;
}

describe.each([
  ['kill -9', 'SIGKILL'],
  ['SIGTERM', 'SIGTERM'],
] as const)('a --data hub restarted after %s', (_name, signal) => {
  test('keeps the session, its subscription and every stored message; in-flight ones come back with DUP = 1 and their packet id', async () => {
    const file = dataFile();
    const h1 = await start(file);
    const [d] = await provision(h1.hub, ['dev']);
    const topic = topicOf(d!);

    const s1 = await SessionClient.open(h1.hub, d!, { autoAck: false });
    expect(s1.sessionPresent).toBe(false);
    await s1.subscribe(topic, 1, 60_000);
    for (let i = 1; i <= OWN; i++) s1.send({ cmd: 'publish', topic, payload: `own${i}`, qos: 1, messageId: i });
    // every PUBLISH acknowledged, and delivered back (not acknowledged: these are in flight when the hub dies)
    expect(await s1.pump(() => s1.acked.size === OWN && s1.deliveries.length === OWN, 10_000), `${s1.acked.size} PUBACKs, ${s1.deliveries.length} deliveries`).toBe(true);
    const firstId = new Map(s1.deliveries.map((m) => [m.payload, m.messageId]));
    await s1.disconnect();
    for (let i = 1; i <= CLOUD; i++) expect(await publishMessage(h1, d!, `cloud${i}`), `PublishMessage ${i}`).toBe('LimitExceeded.MessageSaved');

    if (signal === 'SIGKILL') await h1.kill9();
    else expect(await h1.stop()).toBe(0);

    const h2 = await start(file);
    const s2 = await SessionClient.open(h2.hub, d!, { autoAck: true });
    expect(s2.sessionPresent, 'CONNACK SessionPresent after the restart').toBe(true);
    const expected = [...Array.from({ length: OWN }, (_, i) => `own${i + 1}`), ...Array.from({ length: CLOUD }, (_, i) => `cloud${i + 1}`)];
    // the restored subscription routes a new message: it comes after the stored ones (ordering barrier)
    s2.send({ cmd: 'publish', topic, payload: 'after-restart', qos: 1, messageId: 1 });
    expect(await s2.pump(() => s2.deliveries.some((m) => m.payload === 'after-restart'), 10_000), 'the message published after the restart').toBe(true);

    const got = s2.deliveries.map((m) => m.payload);
    expect(got.filter((p) => p !== 'after-restart'), 'stored messages, in order, none lost').toEqual(expected);
    for (const m of s2.deliveries.filter((x) => x.payload.startsWith('own'))) {
      expect({ payload: m.payload, dup: m.dup, messageId: m.messageId }, 'an in-flight message is resent with DUP = 1 and its packet id').toEqual({ payload: m.payload, dup: true, messageId: firstId.get(m.payload) });
    }
    for (const m of s2.deliveries.filter((x) => x.payload.startsWith('cloud'))) expect(m.dup, `${m.payload} was never sent before`).toBe(false);
    await s2.disconnect();
    expect(await h2.stop()).toBe(0);

    // all acknowledged: the file holds the session and its subscription, and no message
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM mqtt_messages').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT topic, qos FROM mqtt_subscriptions').all()).toEqual([{ topic, qos: 1 }]);
      expect((db.prepare('SELECT disconnected_at FROM mqtt_sessions').get() as { disconnected_at: number | null }).disconnected_at).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 30_000);
});
