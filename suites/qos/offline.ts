/**
 * Helpers for tests of what a persistent session stores while its device is away: waiting until the hub reports the
 * device offline, PublishMessage with its answer code, and draining a session up to a marker stored behind
 * everything else (so "nothing more was stored" is decided by order, not by a sleep).
 */
import { expect } from 'vitest';
import { ApiError } from '../../src/client/cloud-api.js';
import type { Device } from '../../src/client/device.js';
import type { Harness } from '../support/harness.js';
import type { DeviceCredentials } from '../support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from '../support/wire.js';
import { whileArriving } from './barriers.js';
import { SYNC_TOPIC } from './world.js';

/** A device's own user topic `${pid}/${dn}/${t}`. */
export const topicOf = (c: DeviceCredentials, t: string) => `${c.productId}/${c.deviceName}/${t}`;

/** Subscribes a persistent session to `a` at QoS 1 (and the sync topic at QoS 0) and leaves it offline. */
export async function offlineSession(h: Harness, c: DeviceCredentials): Promise<void> {
  await (await h.device(c, { clean: true })).end(); // start from no session
  const s = await h.device(c, { clean: false });
  expect(await s.subscribe(topicOf(c, 'a'), 1)).toBe(1);
  expect(await s.subscribe(topicOf(c, SYNC_TOPIC), 0)).toBe(0);
  await s.end();
  await untilOffline(h, c);
}

/** Polls DescribeDevice (bounded) until the hub reports the device offline: its disconnect has been handled. */
export async function untilOffline(h: Harness, c: DeviceCredentials): Promise<void> {
  const api = h.api();
  for (let i = 0; i < 200; i++) {
    const r = await api.call<{ Online: number }>('DescribeDevice', { ProductID: c.productId, DeviceName: c.deviceName });
    if (r.Online === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${c.deviceName} still online after its DISCONNECT`);
}

/** PublishMessage to the device's own topic (`${pid}/${dn}/a` unless `topic`); resolves with 'ok' or the error code. */
export async function cloudPublish(h: Harness, c: DeviceCredentials, payload: string, o: { qos?: 0 | 1; topic?: string; encoding?: string } = {}): Promise<string> {
  try {
    await h.api().call('PublishMessage', { ProductId: c.productId, DeviceName: c.deviceName, Topic: o.topic ?? `${c.productId}/${c.deviceName}/a`, Payload: payload, Qos: o.qos ?? 1, ...(o.encoding !== undefined ? { PayloadEncoding: o.encoding } : {}) });
    return 'ok';
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
}

/** Waits until the device has received at least n messages on the topic (see whileArriving); returns how many it has. */
export async function waitCount(d: Device, topic: string, n: number, idleMs: number): Promise<number> {
  await whileArriving(d, () => d.received(topic).length >= n, idleMs, n + 10);
  return d.received(topic).length;
}

/**
 * Everything the offline session of `c` still holds for `topic`, in the order first received. The device comes back
 * (CleanSession = 0, acknowledging everything) until `expected` messages arrived on the topic, leaves, and then
 * PublishMessage stores a marker on `markerTopic` (a topic the session subscribes at QoS 1), so the marker is stored
 * behind whatever the session still owes; a second return waits for it. Stored messages are resent in the order
 * they were stored (QOS-006, QOS-020), so a message held beyond the expected ones arrives before the marker.
 * Duplicates (a message in flight when the device left is resent) are counted once.
 */
export async function drainSession(h: Harness, c: DeviceCredentials, o: { topic: string; expected: number; markerTopic: string; paceMs: number }): Promise<string[]> {
  const first = await h.device(c, { clean: false, label: `${c.deviceName}-back` });
  expect(first.sessionPresent, `${c.deviceName} finds its session`).toBe(true);
  await waitCount(first, o.topic, o.expected, ROUND_TRIP_LIMIT_MS + o.paceMs * 4);
  await first.end();
  await untilOffline(h, c);
  const marker = `drained-${c.deviceName}-${Date.now()}`;
  expect(await cloudPublish(h, c, marker, { topic: o.markerTopic }), 'PublishMessage of the marker stored behind what the session holds').toBe('LimitExceeded.MessageSaved');
  const second = await h.device(c, { clean: false, label: `${c.deviceName}-marker` });
  const isMarker = (m: { topic: string; payload: Buffer }) => m.topic === o.markerTopic && m.payload.toString() === marker;
  const got = await whileArriving(second, () => second.messages.some(isMarker), ROUND_TRIP_LIMIT_MS + o.paceMs * 4);
  if (!got) throw new Error(`the marker stored for ${c.deviceName} did not arrive; cannot judge what the session held`);
  const seen = new Set<string>();
  for (const m of [...first.received(o.topic), ...second.received(o.topic)]) if (m.payload.toString() !== marker) seen.add(m.payload.toString());
  return [...seen];
}
