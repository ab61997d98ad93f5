// Scenarios shared by the durable-session tests of each backend (SQLite with --data, Redis with --redis).

import { expect } from 'vitest';
import { callApi, provision, type Device } from './helpers.js';
import { SessionClient, type HubChild } from './durable-process.js';

const OWN = 100; // QoS 1 PUBLISHes of the device, PUBACKed, delivered back and left unacknowledged
const CLOUD = 20; // PublishMessage while the device is offline

export const topicOf = (d: Device) => `${d.productId}/${d.deviceName}/data`;

/**
 * A device subscribes at QoS 1 with CleanSession = 0, publishes OWN messages to that topic (all PUBACKed, all
 * delivered back and none acknowledged: in flight), goes away; PublishMessage stores CLOUD more; the hub is stopped
 * with `signal` and started again by `restart`. The device finds its session and every message, in order, the
 * in-flight ones with DUP = 1 and their first packet identifier, and a message published after the restart routes.
 *
 * One device is both publisher and subscriber on its own `data` topic: a device may publish and subscribe only its
 * own topics, and device-to-device traffic goes through the rules engine, whose republish is asynchronous (not
 * covered by the publisher's PUBACK), so it would not test what a PUBACK promises.
 */
export async function storedAcrossRestart(h1: HubChild, signal: 'SIGKILL' | 'SIGTERM', restart: () => Promise<HubChild>): Promise<{ device: Device; topic: string }> {
  const [d] = await provision(h1.hub, ['dev']);
  const topic = topicOf(d!);

  const s1 = await SessionClient.open(h1.hub, d!, { autoAck: false });
  expect(s1.sessionPresent).toBe(false);
  await s1.subscribe(topic, 1, 60_000);
  for (let i = 1; i <= OWN; i++) s1.send({ cmd: 'publish', topic, payload: `own${i}`, qos: 1, messageId: i });
  expect(await s1.pump(() => s1.acked.size === OWN && s1.deliveries.length === OWN, 10_000), `${s1.acked.size} PUBACKs, ${s1.deliveries.length} deliveries`).toBe(true);
  const firstId = new Map(s1.deliveries.map((m) => [m.payload, m.messageId]));
  await s1.disconnect();
  for (let i = 1; i <= CLOUD; i++) {
    const r = await callApi(h1.hub, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: topic, Payload: `cloud${i}`, Qos: 1 });
    expect(r.Response.Error?.Code, `PublishMessage ${i}`).toBe('LimitExceeded.MessageSaved');
  }

  if (signal === 'SIGKILL') await h1.kill9();
  else expect(await h1.stop()).toBe(0);

  const h2 = await restart();
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
  return { device: d!, topic };
}

/** Bounds of the run: at most this many PUBLISHes, this long, this many unacknowledged at once (far below the 150 a session stores). */
const RUN_MAX_MESSAGES = 2000;
const RUN_MAX_MS = 10_000;
const RUN_WINDOW = 20;
/** The hub is killed once this many PUBLISHes are acknowledged, with RUN_WINDOW more in flight: a count, not a time, so a fast or a busy machine both kill mid-run. */
const KILL_AFTER_ACKS = 500;

/**
 * A device publishes QoS 1 to its own topic continuously while subscribed to it with CleanSession = 0 and
 * acknowledging; the hub is killed with SIGKILL in the middle and started again. Every PUBLISH the hub acknowledged
 * reaches the subscriber at least once, before the kill or after the restart; duplicates are allowed and reported.
 */
export async function ackedSurviveKill(h1: HubChild, restart: () => Promise<HubChild>, label: string): Promise<void> {
  const [d] = await provision(h1.hub, ['runner']);
  const topic = topicOf(d!);
  const s1 = await SessionClient.open(h1.hub, d!, { autoAck: true });
  await s1.subscribe(topic, 1, 60_000);

  const began = Date.now();
  let killed = false;
  let sent = 0;
  while (sent < RUN_MAX_MESSAGES && Date.now() - began < RUN_MAX_MS && !s1.closed) {
    while (sent < RUN_MAX_MESSAGES && sent - s1.acked.size < RUN_WINDOW) {
      sent++;
      s1.send({ cmd: 'publish', topic, payload: `m${sent}`, qos: 1, messageId: sent });
    }
    if (!killed && s1.acked.size >= KILL_AFTER_ACKS) killed = h1.child.kill('SIGKILL');
    await s1.pump(() => s1.closed || sent - s1.acked.size < RUN_WINDOW, 200);
  }
  expect(s1.closed, 'the hub was killed before the run ended').toBe(true);
  await h1.kill9();
  const acknowledged = [...s1.acked].map((id) => `m${id}`);
  expect(acknowledged.length, 'PUBLISHes acknowledged before the kill').toBeGreaterThan(50);
  const before = s1.deliveries.map((m) => m.payload);

  const h2 = await restart();
  const s2 = await SessionClient.open(h2.hub, d!, { autoAck: true });
  expect(s2.sessionPresent).toBe(true);
  s2.send({ cmd: 'publish', topic, payload: 'barrier', qos: 1, messageId: 1 });
  expect(await s2.pump(() => s2.deliveries.some((m) => m.payload === 'barrier'), 10_000), 'the barrier published after the restart').toBe(true);
  const after = s2.deliveries.map((m) => m.payload).filter((p) => p !== 'barrier');

  const received = new Set([...before, ...after]);
  const lost = acknowledged.filter((p) => !received.has(p));
  const all = [...before, ...after];
  const duplicates = all.length - new Set(all).size;
  console.log(`${label}: kill -9 after ${KILL_AFTER_ACKS} acknowledged: ${sent} sent, ${acknowledged.length} acknowledged, ${before.length} delivered before the kill, ${after.length} after the restart, ${duplicates} duplicates, ${lost.length} lost`);
  expect(lost, 'acknowledged PUBLISHes the subscriber never got').toEqual([]);
  await s2.disconnect();
  expect(await h2.stop()).toBe(0);
}
