/**
 * QoS 0/1 delivery, persistent sessions, the offline queue, the in-flight window and PublishMessage: one example test
 * per requirement the model does not exercise directly. The model-based property over random command sequences and
 * the 24 h expiry tests move the hub clock, so they live in qos-clock.test.ts, which runs alone.
 */
import { expect } from 'vitest';
import type { Device } from '../src/client/device.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { STORED_MAX } from './qos/model.js';
import { SYNC_TOPIC } from './qos/world.js';
import { cloudPublish, drainSession, offlineSession, topicOf, untilOffline, waitCount } from './qos/offline.js';
import { currentTarget, req, type Harness } from './support/harness.js';
import { medianOf } from './support/stats.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const EXAMPLE_DEVICES = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x10', 'x11', 'x12', 'x13', 'x14'];
const fx = useProduct('qos', {
  devices: EXAMPLE_DEVICES,
  policies: [{ name: 'a', privilege: 3 }, { name: 'b', privilege: 3 }, { name: SYNC_TOPIC, privilege: 3 }],
});

const target = currentTarget();
const pace = target.limits.offlinePaceMs;

// ---- examples for what the model does not name -------------------------------------------------------------

req(['QOS-011'], 'a QoS 2 PUBLISH closes the connection and is not delivered', async (h) => {
  const c = fx.device('x0');
  const t = topicOf(c, 'a');
  await (await h.device(c, { clean: true })).end(); // no session left from before
  const watcher = await h.device(c, { label: 'x0-watch', clean: false });
  expect(await watcher.subscribe(t, 1)).toBe(1);
  await watcher.end();
  // The publisher resumes that session: a QoS 2 message the hub routed would reach it, or be stored for it.
  const d = await h.device(c, { clean: false });
  d.send({ cmd: 'publish', topic: t, payload: Buffer.from('qos2'), qos: 2, messageId: 7, retain: false, dup: false });
  expect(await d.closesWithin(ROUND_TRIP_LIMIT_MS), 'the hub keeps a connection that sent a QoS 2 PUBLISH').toBe(true);
  await untilOffline(h, c);
  const back = await h.device(c, { clean: false });
  await selfLoop(back, t); // stored messages are resent before a later one on the same topic
  expect([...d.messages, ...back.messages].filter((m) => m.payload.toString() === 'qos2'), 'the QoS 2 message was delivered').toEqual([]);
});

req(['QOS-013'], 'RETAIN = 1 is delivered with RETAIN = 0 and not kept for later subscribers', async (h) => {
  const c = fx.device('x1');
  const d = await h.device(c);
  expect(await d.subscribe(topicOf(c, 'a'), 1)).toBe(1);
  d.send({ cmd: 'publish', topic: topicOf(c, 'a'), payload: Buffer.from('retained?'), qos: 1, messageId: 9, retain: true, dup: false });
  const got = await d.waitFor((m) => m.payload.toString() === 'retained?', ROUND_TRIP_LIMIT_MS);
  expect(got, 'a RETAIN = 1 PUBLISH is delivered to current subscribers').toBeDefined();
  expect(got!.retain).toBe(false);
  await d.unsubscribe(topicOf(c, 'a'));
  await d.end();
  const later = await h.device(c);
  await later.subscribe(topicOf(c, 'a'), 1);
  // a retained message is sent when the subscription is made: before a message published on the topic afterwards
  await selfLoop(later, topicOf(c, 'a'));
  expect(later.received(topicOf(c, 'a')).filter((m) => m.payload.toString() === 'retained?'), 'a later subscriber got a retained message').toEqual([]);
});

req(['QOS-012'], 'a will message is never published, even when the connection drops', async (h) => {
  const c = fx.device('x2');
  const first = await h.device(c, { clean: false });
  await first.subscribe(topicOf(c, 'a'), 1);
  await first.subscribe(topicOf(c, SYNC_TOPIC), 1);
  await first.end();
  // a login with a will on a topic its own persistent session is subscribed to: a published will would be stored
  const raw = await h.raw('x2-will');
  const login = deviceLogin(c);
  raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, keepalive: 60, clientId: login.clientId, username: login.username, password: Buffer.from(login.password), will: { topic: topicOf(c, 'a'), payload: Buffer.from('the-will'), qos: 1, retain: false } });
  const connack = await raw.next(ROUND_TRIP_LIMIT_MS);
  expect(connack?.cmd === 'connack' && connack.returnCode === 0, 'a CONNECT with a will is accepted').toBe(true);
  raw.close(); // no DISCONNECT: MQTT 3.1.1 would publish the will now
  await raw.closed;
  await untilOffline(h, c); // the hub has handled the drop (and published a will, if it does)
  const back = await h.device(c, { clean: false });
  await selfLoop(back, topicOf(c, 'a')); // a stored will is resent before a later message on its topic
  expect(back.messages.filter((m) => m.payload.toString() === 'the-will'), 'the will was published').toEqual([]);
});

req(['QOS-014'], 'a SUBSCRIBE with two filters gets one return code per filter', async (h) => {
  const c = fx.device('x3');
  const other = fx.device('x4');
  const raw = await h.raw('x3-raw');
  const login = deviceLogin(c);
  raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: login.clientId, username: login.username, password: Buffer.from(login.password) });
  expect((await raw.next(ROUND_TRIP_LIMIT_MS))?.cmd).toBe('connack');
  raw.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: topicOf(c, 'a'), qos: 1 }, { topic: topicOf(other, 'a'), qos: 1 }] });
  const ack = await raw.next(ROUND_TRIP_LIMIT_MS);
  expect(ack?.cmd).toBe('suback');
  expect((ack as { granted: number[] }).granted).toEqual([1, 0x80]);
});

req(['QOS-017'], 'a QoS 0 message for an offline session is not stored: PublishMessage answers DeviceOffline and nothing arrives on reconnect', async (h) => {
  const c = fx.device('x1');
  await offlineSession(h, c);
  expect(await cloudPublish(h, c, 'q0-offline', { qos: 0 })).toBe('FailedOperation.DeviceOffline');
  expect(await cloudPublish(h, c, 'q1-offline', { qos: 1 })).toBe('LimitExceeded.MessageSaved');
  const d = await h.device(c, { clean: false });
  expect(d.sessionPresent).toBe(true);
  expect(await d.waitFor((m) => m.payload.toString() === 'q1-offline', ROUND_TRIP_LIMIT_MS + pace * 2), 'the QoS 1 message stored meanwhile').toBeDefined();
  await selfLoop(d, topicOf(c, SYNC_TOPIC));
  expect(d.received(topicOf(c, 'a')).map((m) => m.payload.toString()), 'only the QoS 1 message may arrive').toEqual(['q1-offline']);
});

const seq = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const saved = 'LimitExceeded.MessageSaved';
const full = 'LimitExceeded.OfflineMessageExceedLimit';

/** A persistent session subscribed to `a` at QoS 1 and the sync topic at QoS 0, online and withholding every PUBACK. */
async function withholding(h: Harness, c: DeviceCredentials): Promise<Device> {
  await (await h.device(c, { clean: true })).end(); // start from no session
  const d = await h.device(c, { clean: false, autoAck: false });
  expect(await d.subscribe(topicOf(c, 'a'), 1)).toBe(1);
  expect(await d.subscribe(topicOf(c, SYNC_TOPIC), 0)).toBe(0);
  return d;
}

/** The device publishes n QoS 1 messages to itself on `a`, acknowledges none of the deliveries, and leaves. */
async function unackedOwnPublishes(h: Harness, c: DeviceCredentials, prefix: string, n: number): Promise<void> {
  const d = await withholding(h, c);
  const t = topicOf(c, 'a');
  const tracked = Array.from({ length: n }, (_, i) => d.publishTracked(t, `${prefix}${i}`));
  expect(await d.conn.until(() => tracked.every((x) => x.acked()), ROUND_TRIP_LIMIT_MS), `PUBACKs for ${n} publishes`).toBe(true);
  // at most 150 are in flight (LIM-010); the rest, once routed, must find the session full
  expect(await waitCount(d, t, Math.min(n, STORED_MAX), ROUND_TRIP_LIMIT_MS), 'deliveries awaiting PUBACK').toBeGreaterThanOrEqual(Math.min(n, STORED_MAX));
  await d.end(); // DISCONNECT with every delivery unacknowledged: they stay in the session
  await untilOffline(h, c);
}

// The model covers sessions among random sequences; this one always resumes a session, and always a fresh one.
req(['QOS-015', 'QOS-016'], 'a CleanSession = 0 login resumes the stored session: SessionPresent 1 and its subscription delivers without a new SUBSCRIBE; a first login has SessionPresent 0', async (h) => {
  const c = fx.device('x14');
  const t = topicOf(c, 'a');
  await (await h.device(c, { clean: true })).end(); // CleanSession = 1 leaves no session behind
  const first = await h.device(c, { clean: false });
  expect(first.sessionPresent, 'SessionPresent on a CleanSession = 0 login with no stored session').toBe(false);
  expect(await first.subscribe(t, 1)).toBe(1);
  await first.end();
  await untilOffline(h, c);
  const back = await h.device(c, { clean: false });
  try {
    expect(back.sessionPresent, 'SessionPresent when the session was stored').toBe(true);
    // no SUBSCRIBE on this connection: the message comes back only through the stored subscription
    await selfLoop(back, t);
  } finally {
    await back.end();
    await (await h.device(c, { clean: true })).end();
  }
});

// The model test below covers redelivery among random sequences; this one always reaches it.
req(['QOS-018'], 'an unacknowledged QoS 1 delivery is sent again on reconnect with DUP = 1 and its first packet identifier', async (h) => {
  const c = fx.device('x12');
  const t = topicOf(c, 'a');
  const payload = `redeliver-${Date.now()}`;
  const d = await withholding(h, c);
  const sent = d.publishTracked(t, payload);
  expect(await d.conn.until(() => sent.acked(), ROUND_TRIP_LIMIT_MS), 'PUBACK for the publish').toBe(true);
  const first = await d.waitFor((m) => m.topic === t && m.payload.toString() === payload, ROUND_TRIP_LIMIT_MS);
  expect(first?.messageId, 'the delivery, withheld unacknowledged').toBeDefined();
  await d.end();
  await untilOffline(h, c);
  const again = await h.device(c, { clean: false, autoAck: false });
  try {
    const resent = await again.waitFor((m) => m.topic === t && m.payload.toString() === payload, ROUND_TRIP_LIMIT_MS + h.target.limits.offlinePaceMs);
    expect(resent, 'the unacknowledged message is sent again').toBeDefined();
    expect(resent!.dup, 'DUP = 1 on the redelivery').toBe(true);
    expect(resent!.messageId, 'the packet identifier it was first sent with').toBe(first!.messageId);
    again.ackAll();
  } finally {
    await again.end();
    await (await h.device(c, { clean: true })).end();
  }
});

// Each stored message must be matched to its own PUBACK: two replayed together, both acknowledged, leave nothing.
req(['QOS-018'], 'stored QoS 1 messages the device acknowledged after a reconnect are not sent again on the next one', async (h) => {
  const c = fx.device('x13');
  const t = topicOf(c, 'a');
  await offlineSession(h, c);
  for (const p of ['k0', 'k1']) expect(await cloudPublish(h, c, p), `PublishMessage ${p} to the offline device`).toBe(saved);
  // both are in flight before either is acknowledged, so each PUBACK must find its own message
  const back = await h.device(c, { clean: false, autoAck: false });
  for (const p of ['k0', 'k1']) expect(await back.waitFor((m) => m.topic === t && m.payload.toString() === p, ROUND_TRIP_LIMIT_MS + pace * 2), `stored message ${p}`).toBeDefined();
  expect(back.ackAll(), 'PUBACKs for k0 and k1').toBe(2);
  await selfLoop(back, topicOf(c, SYNC_TOPIC)); // its PUBACKs went before this publish on the same connection
  await back.end();
  await untilOffline(h, c);
  // a marker stored behind anything the session still holds: whatever arrives before it was held
  const marker = `acked-${Date.now()}`;
  expect(await cloudPublish(h, c, marker), 'PublishMessage of the marker').toBe(saved);
  const again = await h.device(c, { clean: false });
  try {
    expect(await again.waitFor((m) => m.topic === t && m.payload.toString() === marker, ROUND_TRIP_LIMIT_MS + pace * 2), 'the marker').toBeDefined();
    expect(again.received(t).map((m) => m.payload.toString()), 'only the marker: k0 and k1 were acknowledged').toEqual([marker]);
  } finally {
    await again.end();
    await (await h.device(c, { clean: true })).end();
  }
});

/** Runs the scenarios side by side (their paced replays overlap) and fails with every scenario's error. */
async function sideBySide(scenarios: Record<string, () => Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(Object.values(scenarios).map((f) => f()));
  const failed = Object.keys(scenarios).flatMap((name, i) => (results[i]!.status === 'rejected' ? [`${name}: ${((results[i] as PromiseRejectedResult).reason as Error).message}`] : []));
  if (failed.length) throw new Error(failed.join('\n'));
}

req(['QOS-020', 'API-030'], 'at most 150 unacknowledged QoS 1 messages are kept for a session, whichever path filled it (PublishMessage, the device\'s own publishes, both), and the first 150 arrive in order', async (h) => {
  await sideBySide({
    'PublishMessage to the offline device': async () => {
      const c = fx.device('x5');
      await offlineSession(h, c);
      for (let i = 0; i < STORED_MAX; i++) expect(await cloudPublish(h, c, `m${i}`), `PublishMessage ${i + 1} to the offline device`).toBe(saved);
      expect(await cloudPublish(h, c, 'm150'), 'the 151st PublishMessage').toBe(full);
      expect(await drainSession(h, c, { topic: topicOf(c, 'a'), expected: STORED_MAX, markerTopic: topicOf(c, 'a'), paceMs: pace })).toEqual(seq('m', STORED_MAX));
    },
    '160 of its own publishes left unacknowledged': async () => {
      const c = fx.device('x10');
      await unackedOwnPublishes(h, c, 'w', 160);
      expect(await cloudPublish(h, c, 'one-more'), 'PublishMessage once the session holds 150 unacknowledged').toBe(full);
      expect(await drainSession(h, c, { topic: topicOf(c, 'a'), expected: STORED_MAX, markerTopic: topicOf(c, 'a'), paceMs: pace })).toEqual(seq('w', STORED_MAX));
    },
    '100 of its own publishes unacknowledged, then PublishMessage': async () => {
      const c = fx.device('x11');
      await unackedOwnPublishes(h, c, 'u', 100);
      for (let i = 0; i < 50; i++) expect(await cloudPublish(h, c, `c${i}`), `PublishMessage ${i + 1} after 100 unacknowledged`).toBe(saved);
      expect(await cloudPublish(h, c, 'c50'), 'PublishMessage 51 after 100 unacknowledged').toBe(full);
      expect(await drainSession(h, c, { topic: topicOf(c, 'a'), expected: STORED_MAX, markerTopic: topicOf(c, 'a'), paceMs: pace })).toEqual([...seq('u', 100), ...seq('c', 50)]);
    },
  });
}, { timeout: 60_000 + pace * 200 });

req(['QOS-021'], 'stored messages arrive paced after a reconnect, not in a burst', async (h) => {
  const c = fx.device('x6');
  const n = 8;
  await offlineSession(h, c);
  for (let i = 0; i < n; i++) expect(await cloudPublish(h, c, `p${i}`)).toBe('LimitExceeded.MessageSaved');
  const d = await h.device(c, { clean: false });
  const times: number[] = [];
  const t = topicOf(c, 'a');
  for (let i = 0; i < n; i++) {
    const got = await d.waitFor((m) => m.payload.toString() === `p${i}`, ROUND_TRIP_LIMIT_MS + pace * 2);
    expect(got, `stored message p${i}`).toBeDefined();
    times.push(Date.now());
  }
  expect(d.received(t).map((m) => m.payload.toString())).toEqual(Array.from({ length: n }, (_, i) => `p${i}`));
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  // The pace the target declares (500 ms on the real service): QOS-021 accepts 80 % of it on average. Intervals are
  // measured at the client, where a stall of the client (or the hub) delivers two messages in one read and makes the
  // next interval longer, so single intervals are not judged: their median and the whole span are.
  const span = times[n - 1]! - times[0]!;
  expect(span, `intervals ${gaps.join(', ')} ms; expected about ${pace} ms each`).toBeGreaterThanOrEqual(Math.floor(0.8 * pace * (n - 1)));
  const median = medianOf(gaps);
  expect(median, `intervals ${gaps.join(', ')} ms: most stored messages arrived in a burst`).toBeGreaterThanOrEqual(Math.floor(pace / 2));
}, { timeout: 30_000 + pace * 20 });

req(['LIM-010'], 'a device that withholds PUBACK has at most 150 QoS 1 messages in flight and gets the rest as it acknowledges', async (h) => {
  const c = fx.device('x7');
  const d = await h.device(c, { autoAck: false });
  await d.subscribe(topicOf(c, 'a'), 1);
  await d.subscribe(topicOf(c, SYNC_TOPIC), 0);
  const tracked = Array.from({ length: 160 }, (_, i) => d.publishTracked(topicOf(c, 'a'), `w${i}`));
  expect(await d.conn.until(() => tracked.every((x) => x.acked()), ROUND_TRIP_LIMIT_MS)).toBe(true);
  await waitCount(d, topicOf(c, 'a'), 150, ROUND_TRIP_LIMIT_MS);
  // the marker takes the path of the 160 (QoS 1, this publisher), so the hub has routed them all when it is back
  await selfLoop(d, topicOf(c, SYNC_TOPIC));
  expect(d.received(topicOf(c, 'a')).length, 'QoS 1 messages in flight without PUBACK').toBe(150);
  d.ackAll();
  expect(await waitCount(d, topicOf(c, 'a'), 160, ROUND_TRIP_LIMIT_MS)).toBe(160);
  expect(d.received(topicOf(c, 'a')).map((m) => m.payload.toString())).toEqual(Array.from({ length: 160 }, (_, i) => `w${i}`));
});

req(['API-029'], 'PublishMessage with PayloadEncoding base64 delivers the decoded bytes at min(Qos, granted)', async (h) => {
  const c = fx.device('x3');
  const d = await h.device(c);
  await d.subscribe(topicOf(c, 'a'), 0);
  const bytes = Buffer.from([0, 1, 2, 255, 0x80]);
  expect(await cloudPublish(h, c, bytes.toString('base64'), { encoding: 'base64' })).toBe('ok');
  const got = await d.waitFor((m) => m.topic === topicOf(c, 'a'), ROUND_TRIP_LIMIT_MS);
  expect(got?.payload.equals(bytes)).toBe(true);
  expect(got?.qos, 'delivered at the granted QoS 0').toBe(0);
});

req(['API-031', 'API-032', 'API-033'], 'PublishMessage answers offline, unsubscribed, bad topic, oversized, disabled and unknown devices with their codes', async (h) => {
  const c = fx.device('x4');
  const plain = await h.device(c, { clean: true });
  await plain.end();
  await untilOffline(h, c);
  expect(await cloudPublish(h, c, 'x', { qos: 0 }), 'QoS 0 to an offline device').toBe('FailedOperation.DeviceOffline');
  expect(await cloudPublish(h, c, 'x', { qos: 1 }), 'QoS 1 to an offline device without a session').toBe('FailedOperation.DeviceOffline');
  const d = await h.device(c);
  expect(await cloudPublish(h, c, 'x'), 'online but not subscribed').toBe('FailedOperation.DeviceNoSubscription');
  await d.subscribe(topicOf(c, 'a'), 1);
  expect(await cloudPublish(h, c, 'x', { topic: topicOf(fx.device('x3'), 'a') }), "another device's topic").toBe('FailedOperation.InvalidTopicName');
  expect(await cloudPublish(h, c, 'x', { topic: `${c.productId}/${c.deviceName}/a/b` }), 'a topic outside the naming rule').toBe('FailedOperation.InvalidTopicName');
  expect(await cloudPublish(h, c, 'y'.repeat(16384)), 'a payload over 16 KB').toBe('InvalidParameterValue.PayloadOverLimit');
  // The boundaries: a QoS 1 PUBLISH packet of exactly 16384 bytes is sent, one byte more is refused (LIM-003)
  const topic = topicOf(c, 'a');
  const fits = 16384 - 1 - 2 - (2 + Buffer.byteLength(topic) + 2); // fixed header byte, 2-byte remaining length, topic and packet id
  expect(await cloudPublish(h, c, 'z'.repeat(fits)), 'a PUBLISH of exactly 16384 bytes').toBe('ok');
  expect((await d.waitFor((m) => m.topic === topic && m.payload.length === fits, ROUND_TRIP_LIMIT_MS))?.payload.length, 'the 16384-byte PUBLISH arrives').toBe(fits);
  expect(await cloudPublish(h, c, 'z'.repeat(fits + 1)), 'a PUBLISH of 16385 bytes').toBe('InvalidParameterValue.PayloadOverLimit');
  // and a topic of exactly 64 bytes is well formed (the device is not subscribed to it), one of 65 bytes is not (LIM-001)
  const ofBytes = (n: number) => `${c.productId}/${c.deviceName}/${'t'.repeat(n - c.productId.length - c.deviceName.length - 2)}`;
  expect(await cloudPublish(h, c, 'x', { topic: ofBytes(64) }), 'a 64-byte topic').not.toBe('FailedOperation.InvalidTopicName');
  expect(await cloudPublish(h, c, 'x', { topic: ofBytes(65) }), 'a 65-byte topic').toBe('FailedOperation.InvalidTopicName');
  expect(await cloudPublish(h, { ...c, deviceName: 'no_such_device' }, 'x', { topic: `${c.productId}/no_such_device/a` })).toBe('ResourceNotFound.DeviceNotExist');
  const api = h.api();
  await api.call('UpdateDeviceAvailableState', { ProductId: c.productId, DeviceName: c.deviceName, EnableState: 0 });
  try {
    expect(await cloudPublish(h, c, 'x'), 'a disabled device').toBe('FailedOperation.DeviceAlreadyDisabled');
  } finally {
    await api.call('UpdateDeviceAvailableState', { ProductId: c.productId, DeviceName: c.deviceName, EnableState: 1 });
  }
});
