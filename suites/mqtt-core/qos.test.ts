// Packet-level MQTT 3.1.1 behaviour every broker shares: delivery, acknowledgements, QoS downgrade, order, payloads, PINGREQ, DISCONNECT, malformed packets.
import { describe, expect } from 'vitest';
import { req } from '../support/harness.js';
import { useProduct } from '../support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from '../support/wire.js';
import { ghostDeliveries } from '../qos/barriers.js';
import { dataTopic, login } from './support.js';

// One device publishing to itself on its `data` topic: allowed on a plain broker and on an IoT Hub alike.
const product = useProduct('core_qos', { devices: ['d1'] });

describe('delivery', () => {
  req(['QOS-001', 'QOS-008'], 'a QoS 0 message reaches the subscribed publisher once, unchanged', async (h) => {
    const creds = product.device('d1');
    const topic = dataTopic(creds);
    const d = await login(h, creds);
    expect(await d.subscribe(topic, 0)).toBe(0);
    await d.publish(topic, 'qos0-payload', 0);
    await selfLoop(d, topic, 0);
    const got = d.received(topic).filter((m) => m.payload.toString() === 'qos0-payload');
    expect(got.length).toBe(1);
    expect(got[0]!.qos).toBe(0);
  });

  req(['QOS-002'], 'a QoS 1 PUBLISH gets a PUBACK with its packet identifier and is delivered', async (h) => {
    const creds = product.device('d1');
    const topic = dataTopic(creds);
    const d = await login(h, creds);
    expect(await d.subscribe(topic, 1)).toBe(1);
    const sent = d.publishTracked(topic, 'qos1-payload');
    const got = await d.waitFor((m) => m.payload.toString() === 'qos1-payload', ROUND_TRIP_LIMIT_MS);
    await selfLoop(d, topic);
    expect(sent.acked(), 'PUBACK with the same packet identifier').toBe(true);
    expect(got?.qos).toBe(1);
  });

  req(['QOS-003'], 'delivery QoS is the lower of the PUBLISH QoS and the granted QoS', async (h) => {
    const creds = product.device('d1');
    const topic = dataTopic(creds);
    for (const [granted, published, expected] of [[0, 1, 0], [1, 0, 0], [1, 1, 1]] as const) {
      const d = await login(h, creds, { label: `sub@${granted}` });
      expect(await d.subscribe(topic, granted)).toBe(granted);
      const token = `g${granted}p${published}`;
      await d.publish(topic, token, published);
      const got = await d.waitFor((m) => m.payload.toString() === token, ROUND_TRIP_LIMIT_MS);
      expect(got?.qos, `granted ${granted}, published ${published}`).toBe(expected);
      await d.end();
    }
  });

  req(['QOS-006'], 'QoS 1 messages on one topic arrive in the order they were published', async (h) => {
    const creds = product.device('d1');
    const topic = dataTopic(creds);
    const d = await login(h, creds);
    expect(await d.subscribe(topic, 1)).toBe(1);
    const n = 50;
    for (let i = 0; i < n; i++) d.publishTracked(topic, `seq-${i}`);
    await selfLoop(d, topic);
    const seq = d.received(topic).map((m) => m.payload.toString()).filter((p) => p.startsWith('seq-')).map((p) => Number(p.slice(4)));
    expect(seq).toEqual([...Array(n).keys()]);
  });

  req(['QOS-007'], 'binary payloads, NUL bytes and invalid UTF-8 included, arrive byte for byte', async (h) => {
    const creds = product.device('d1');
    const topic = dataTopic(creds);
    const d = await login(h, creds);
    expect(await d.subscribe(topic, 1)).toBe(1);
    const payload = Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0x00, 0x80, ...Array.from({ length: 256 }, (_, i) => i)]);
    await d.publish(topic, payload, 1);
    const got = await d.waitFor((m) => m.payload.length === payload.length, ROUND_TRIP_LIMIT_MS);
    expect(got && Buffer.compare(got.payload, payload)).toBe(0);
  });
});

describe('control packets', () => {
  req(['QOS-004'], 'PINGREQ is answered with PINGRESP', async (h) => {
    const d = await login(h, product.device('d1'));
    d.send({ cmd: 'pingreq' });
    const answer = await d.conn.next(ROUND_TRIP_LIMIT_MS);
    expect(answer?.cmd).toBe('pingresp');
  });

  req(['QOS-005'], 'SUBACK and UNSUBACK carry their request\'s identifier; after UNSUBACK nothing arrives for the filter', async (h) => {
    const creds = product.device('d1');
    const topic = dataTopic(creds);
    const d = await login(h, creds);
    // subscribe/unsubscribe resolve only on an acknowledgement with the identifier they sent.
    expect(await d.subscribe(topic, 1)).toBe(1);
    await d.unsubscribe(topic);
    // A probe at QoS 1 that comes back at QoS 1 went through the removed QoS 1 subscription (see ghostDeliveries).
    expect(await ghostDeliveries(d, topic), 'delivered through the removed subscription').toEqual([]);
  });

  req(['QOS-009'], 'after DISCONNECT the hub sends nothing more and closes the connection', async (h) => {
    const d = await login(h, product.device('d1'));
    d.send({ cmd: 'disconnect' });
    expect(await d.closesWithin(ROUND_TRIP_LIMIT_MS)).toBe(true);
    expect(d.conn.pending.length).toBe(0);
  });

  req(['QOS-010'], 'a malformed fixed header closes the connection', async (h) => {
    const cases: [string, Buffer][] = [
      ['reserved packet type 0', Buffer.from([0x00, 0x00])],
      ['PUBREL with flags 0000', Buffer.from([0x60, 0x02, 0x00, 0x01])],
      ['remaining length over four bytes', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ];
    for (const [what, bytes] of cases) {
      const d = await login(h, product.device('d1'), { label: what });
      d.conn.sendBytes(bytes, what);
      expect(await d.closesWithin(ROUND_TRIP_LIMIT_MS), `closed after ${what}`).toBe(true);
    }
  });
});
