// Broadcast (protocol.md §7.1, seed §1.3.1): who receives a PublishBroadcastMessage, its payload, QoS, size limit and errors.
import { expect } from 'vitest';
import { ApiError, apiErrorCode as code } from '../src/client/cloud-api.js';
import type { Device } from '../src/client/device.js';
import { currentTarget, req } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';
import { cloudPublish, drainSession, untilOffline, waitCount } from './qos/offline.js';

const home = useProduct('bcast', { devices: ['sub_q1', 'sub_q0', 'not_subscribed', 'sleeper', 'bound', 'hoarder', 'strict'] });
const away = useProduct('bcast_other', { devices: ['stranger'] });

const bcTopic = (c: DeviceCredentials) => `$broadcast/rxd/${c.productId}/${c.deviceName}`;
const loopTopic = (c: DeviceCredentials) => `${c.productId}/${c.deviceName}/data`;

/** A device subscribed to its data topic (for the barrier) and, unless qos is null, to its broadcast topic. */
async function listener(h: Parameters<Parameters<typeof req>[2]>[0], c: DeviceCredentials, qos: 0 | 1 | null, clean = true): Promise<Device> {
  const d = await h.device(c, { clean });
  expect(await d.subscribe(loopTopic(c), 1)).toBe(1);
  if (qos !== null) expect(await d.subscribe(bcTopic(c), qos), `SUBACK for ${bcTopic(c)}`).toBe(qos);
  return d;
}

req(['BCAST-001', 'BCAST-002', 'BCAST-004', 'BCAST-009'], 'a broadcast reaches each subscribed online device of the product on its own topic, at min(Qos, granted), and no one else', async (h) => {
  const [q1, q0, none] = [home.device('sub_q1'), home.device('sub_q0'), home.device('not_subscribed')];
  const stranger = away.device('stranger');
  const devices = [
    { c: q1, d: await listener(h, q1, 1) },
    { c: q0, d: await listener(h, q0, 0) },
    { c: none, d: await listener(h, none, null) },
    { c: stranger, d: await listener(h, stranger, 1) },
  ];
  const answer = await h.api().call<{ TaskId: number }>('PublishBroadcastMessage', { ProductId: home.productId, Payload: 'all lights off', Qos: 1 });
  expect(Number.isInteger(answer.TaskId), 'TaskId is an integer').toBe(true);
  for (const { c, d } of devices) await selfLoop(d, loopTopic(c));
  const got = (d: Device) => d.messages.filter((m) => m.topic.startsWith('$broadcast/'));
  for (const { c, d, qos } of [{ ...devices[0]!, qos: 1 }, { ...devices[1]!, qos: 0 }]) {
    const msgs = got(d);
    expect(msgs.map((m) => [m.topic, m.payload.toString()]), `${c.deviceName} receives the broadcast once on its own topic`).toEqual([[bcTopic(c), 'all lights off']]);
    expect(msgs[0]!.qos, `${c.deviceName} gets QoS min(1, ${qos})`).toBe(qos);
    h.expectSchema('broadcast.schema.json#/$defs/topic', msgs[0]!.topic, 'MQTT topic of the broadcast');
  }
  expect(got(devices[2]!.d), 'an online device not subscribed receives nothing').toEqual([]);
  expect(got(devices[3]!.d).map((m) => m.topic), 'a device of another product receives nothing').toEqual([]);
  // Again at Qos 0, which a hub may route by another path: the subscribers get it first, then the others' barriers.
  await h.api().call('PublishBroadcastMessage', { ProductId: home.productId, Payload: 'all lights on', Qos: 0 });
  for (const { c, d } of devices.slice(0, 2)) {
    const m = await d.waitFor((x) => x.topic === bcTopic(c) && x.payload.toString() === 'all lights on', ROUND_TRIP_LIMIT_MS);
    expect(m?.qos, `${c.deviceName} receives the Qos 0 broadcast at QoS 0`).toBe(0);
  }
  for (const { c, d } of devices.slice(2)) await selfLoop(d, loopTopic(c));
  expect(got(devices[2]!.d), 'an online device not subscribed receives no Qos 0 broadcast either').toEqual([]);
  expect(got(devices[3]!.d).map((m) => m.topic), 'nor a device of another product').toEqual([]);
});

req(['BCAST-003', 'BCAST-009'], 'payloads arrive raw (no or empty PayloadEncoding), or Base64-decoded with PayloadEncoding base64; Qos 0 arrives at QoS 0', async (h) => {
  const c = home.device('sub_q1');
  const d = await listener(h, c, 1);
  const api = h.api();
  await api.call('PublishBroadcastMessage', { ProductId: home.productId, Payload: 'closed', Qos: 0 });
  // no padding, "=" and "==" padding, and both non-alphanumeric Base64 digits ("+/8=", "/w==")
  const binaries = [Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]), Buffer.from([0xfb, 0xff]), Buffer.from([0xff])];
  for (const binary of binaries) {
    await api.call('PublishBroadcastMessage', { ProductId: home.productId, Payload: binary.toString('base64'), Qos: 1, PayloadEncoding: 'base64' });
  }
  await api.call('PublishBroadcastMessage', { ProductId: home.productId, Payload: 'lights on', Qos: 1, PayloadEncoding: '' });
  await selfLoop(d, loopTopic(c));
  const msgs = d.received(bcTopic(c));
  expect(msgs.length, 'five broadcasts').toBe(5);
  expect(msgs[0]!.payload.equals(Buffer.from('closed')), 'Payload=closed arrives as the 6 bytes "closed"').toBe(true);
  expect(msgs[0]!.qos, 'Qos 0 broadcast').toBe(0);
  binaries.forEach((binary, i) => {
    expect(msgs[i + 1]!.payload.toString('hex'), `base64 payload ${binary.toString('base64')} arrives decoded`).toBe(binary.toString('hex'));
  });
  expect(msgs[4]!.payload.toString('utf8'), 'an empty PayloadEncoding delivers the Payload as is').toBe('lights on');
});

req(['BCAST-005'], 'a Payload of 8 KB is delivered and one byte more is refused with PayloadOverLimit and reaches no one', async (h) => {
  const c = home.device('bound');
  const d = await listener(h, c, 1);
  const api = h.api();
  await api.call('PublishBroadcastMessage', { ProductId: home.productId, Payload: 'a'.repeat(8192), Qos: 1 });
  expect(await code(api.call('PublishBroadcastMessage', { ProductId: home.productId, Payload: 'b'.repeat(8193), Qos: 1 }))).toBe('InvalidParameterValue.PayloadOverLimit');
  await selfLoop(d, loopTopic(c));
  expect(d.received(bcTopic(c)).map((m) => `${m.payload[0] === 0x61 ? 'a' : 'b'}×${m.payload.length}`)).toEqual(['a×8192']);
});

req(['BCAST-011'], 'a PayloadEncoding other than base64 or empty, or a Payload that is not Base64, is refused and reaches no one', async (h) => {
  const c = home.device('strict');
  const d = await listener(h, c, 1);
  const api = h.api();
  const refused = [
    { Payload: 'x', PayloadEncoding: 'hex' },
    { Payload: 'eA==', PayloadEncoding: 'base64url' },
    { Payload: 'abcde', PayloadEncoding: 'base64' }, // a length that is not a multiple of 4
    { Payload: 'ab!d', PayloadEncoding: 'base64' }, // a character outside the alphabet
    { Payload: 'eA=x', PayloadEncoding: 'base64' }, // data after the padding
  ];
  for (const r of refused) {
    expect(await code(api.call('PublishBroadcastMessage', { ProductId: home.productId, Qos: 1, ...r })), JSON.stringify(r)).toMatch(/^InvalidParameter(Value)?$/);
  }
  await selfLoop(d, loopTopic(c));
  expect(d.received(bcTopic(c)), 'no refused broadcast is delivered').toEqual([]);
});

req(['BCAST-006'], 'a broadcast to an unknown product fails with ResourceNotFound.ProductNotExist', async (h) => {
  expect(await code(h.api().call('PublishBroadcastMessage', { ProductId: 'NOSUCHPROD', Payload: 'x', Qos: 0 }))).toBe('ResourceNotFound.ProductNotExist');
});

req(['BCAST-007'], 'concurrent broadcasts to one product with online devices succeed or fail with BroadcastTaskIsRunning, never anything else', async (h) => {
  const api = h.api();
  // subscribed online devices keep each broadcast busy while it is handed over, so later calls can find it running
  for (const name of ['sub_q1', 'sub_q0', 'bound']) await listener(h, home.device(name), 1);
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) =>
    api.call<{ TaskId: number }>('PublishBroadcastMessage', { ProductId: home.productId, Payload: `burst ${i}`, Qos: 0 }).then(
      (r) => ({ ok: true as const, taskId: r.TaskId }),
      (e: unknown) => ({ ok: false as const, code: e instanceof ApiError ? e.code : String(e) }),
    )));
  expect(results.some((r) => r.ok), 'at least one broadcast is accepted').toBe(true);
  for (const r of results) if (!r.ok) expect(r.code).toBe('FailedOperation.BroadcastTaskIsRunning');
  const ids = results.flatMap((r) => (r.ok ? [r.taskId] : []));
  expect(new Set(ids).size, 'each accepted broadcast has its own TaskId').toBe(ids.length);
});

req(['BCAST-008'], 'a device offline during a broadcast does not get it when its persistent session resumes', async (h) => {
  const c = home.device('sleeper');
  const first = await listener(h, c, 1, false);
  await first.end();
  const api = h.api();
  // barrier: the hub must have seen the disconnect before the broadcast, or the device still counts as online
  const until = Date.now() + ROUND_TRIP_LIMIT_MS;
  while ((await api.call<{ Online: number }>('DescribeDevice', { ProductID: c.productId, DeviceName: c.deviceName })).Online !== 0) {
    if (Date.now() > until) throw new Error(`DescribeDevice still shows ${c.deviceName} online ${ROUND_TRIP_LIMIT_MS} ms after it disconnected; cannot judge`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await api.call('PublishBroadcastMessage', { ProductId: home.productId, Payload: 'while you slept', Qos: 1 });
  const again = await h.device(c, { clean: false });
  await selfLoop(again, loopTopic(c)); // the data subscription survived in the session
  expect(again.received(bcTopic(c)), 'nothing stored for the offline device').toEqual([]);
});

req(['BCAST-010', 'QOS-020', 'API-030'], 'of 160 QoS 1 broadcasts a persistent session leaves unacknowledged, the first 150 are kept and resent in order, and PublishMessage then finds the session full', async (h) => {
  const c = home.device('hoarder');
  await (await h.device(c, { clean: true })).end(); // start from no session
  const d = await h.device(c, { clean: false, autoAck: false });
  expect(await d.subscribe(bcTopic(c), 1)).toBe(1);
  expect(await d.subscribe(loopTopic(c), 1)).toBe(1);
  const api = h.api();
  // one at a time (one broadcast task per product, BCAST-007); each answers once handed to the broker
  for (let i = 0; i < 160; i++) await api.call('PublishBroadcastMessage', { ProductId: home.productId, Payload: `b${i}`, Qos: 1 });
  expect(await waitCount(d, bcTopic(c), 150, ROUND_TRIP_LIMIT_MS), 'broadcasts awaiting PUBACK').toBeGreaterThanOrEqual(150);
  await d.end(); // DISCONNECT without a single PUBACK: the broadcasts stay in the session
  await untilOffline(h, c);
  expect(await cloudPublish(h, c, 'one-more', { topic: loopTopic(c) }), 'PublishMessage once the session holds 150 unacknowledged broadcasts').toBe('LimitExceeded.OfflineMessageExceedLimit');
  const kept = await drainSession(h, c, { topic: bcTopic(c), expected: 150, markerTopic: loopTopic(c), paceMs: h.target.limits.offlinePaceMs });
  expect(kept, 'broadcasts resent after the reconnect').toEqual(Array.from({ length: 150 }, (_, i) => `b${i}`));
  await (await h.device(c, { clean: true })).end();
}, { timeout: 60_000 + currentTarget().limits.offlinePaceMs * 200 });
