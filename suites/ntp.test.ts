// Time service over $sys/operation (protocol.md §2.6): the reply's fields, their consistency, and that they are the hub's clock.
import { expect } from 'vitest';
import { req } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const product = useProduct('ntp', { devices: ['clock'] });

const topics = (pid: string, dn: string) => ({ op: `$sys/operation/${pid}/${dn}`, result: `$sys/operation/result/${pid}/${dn}`, loop: `${pid}/${dn}/data` });

/** Clock tolerance of NTP-002/NTP-003 (the harness and an embedded or local hub share the machine's clock). */
const TOLERANCE_MS = 1000;

req(['NTP-001', 'NTP-002', 'NTP-003'], 'a time request is answered with the hub clock in seconds and milliseconds', async (h) => {
  const creds = product.device('clock');
  const t = topics(creds.productId, creds.deviceName);
  const device = await h.device(creds);
  expect(await device.subscribe(t.result, 1)).toBe(1);
  const sentAt = Date.now();
  await device.publish(t.op, JSON.stringify({ type: 'get', resource: ['time'] }), 1);
  const reply = await device.waitFor((m) => m.topic === t.result, ROUND_TRIP_LIMIT_MS);
  const receivedAt = Date.now();
  expect(reply, `a reply on ${t.result}`).toBeDefined();
  const body = JSON.parse(reply!.payload.toString('utf8')) as { type: string; time: number; ntptime1: number; ntptime2: number };
  h.expectSchema('ntp.schema.json#/$defs/getTimeReply', body, `MQTT ${t.result}`);
  expect(body.ntptime1, 'ntptime1 ≤ ntptime2').toBeLessThanOrEqual(body.ntptime2);
  expect(Math.abs(body.time * 1000 - body.ntptime2), 'time = ntptime2 / 1000 within 1 s').toBeLessThanOrEqual(TOLERANCE_MS);
  for (const [name, v] of [['ntptime1', body.ntptime1], ['ntptime2', body.ntptime2]] as const) {
    expect(v, `${name} not before the request was sent`).toBeGreaterThanOrEqual(sentAt - TOLERANCE_MS);
    expect(v, `${name} not after the reply arrived`).toBeLessThanOrEqual(receivedAt + TOLERANCE_MS);
  }
  const accurate = (body.ntptime1 + body.ntptime2 + receivedAt - sentAt) / 2;
  expect(Math.abs(accurate - receivedAt), 'the SDK formula gives the time within 1 s').toBeLessThanOrEqual(TOLERANCE_MS);
});

req(['NTP-004'], 'other $sys requests get no time reply, and the hub keeps answering', async (h) => {
  const creds = product.device('clock');
  const t = topics(creds.productId, creds.deviceName);
  const device = await h.device(creds);
  expect(await device.subscribe(t.result, 1)).toBe(1);
  expect(await device.subscribe(t.loop, 1)).toBe(1);
  for (const bad of ['not json', '{"type":"set","resource":["time"]}', '{"type":"get","resource":["weather"]}', '[]', 'null']) {
    await device.publish(t.op, bad, 1);
  }
  await selfLoop(device, t.loop);
  expect(device.received(t.result), 'no reply to requests other than the time request').toEqual([]);
  expect(device.isOpen).toBe(true);
  await device.publish(t.op, JSON.stringify({ type: 'get', resource: ['time'] }), 1);
  const reply = await device.waitFor((m) => m.topic === t.result, ROUND_TRIP_LIMIT_MS);
  expect(reply, 'the time request is still answered').toBeDefined();
  h.expectSchema('ntp.schema.json#/$defs/getTimeReply', JSON.parse(reply!.payload.toString('utf8')), `MQTT ${t.result}`);
});
