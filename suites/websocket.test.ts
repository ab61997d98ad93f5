// MQTT over WebSocket on /mqtt with the same login and topic rules as TCP (protocol.md §1.2, MQTT 3.1.1 §6).
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect } from 'vitest';
import { LoginRefused, type Device } from '../src/client/device.js';
import { deviceLogin } from '../src/protocol/credentials.js';
import { payloadForPacket } from '../src/protocol/topics.js';
import { req, reqProperty, type Harness, type Transport } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';
import { WsWire } from './support/ws-wire.js';

// `len/+` (publish and subscribe) gives topics of any length under the device's prefix, for the size limits.
const product = useProduct('ws', { devices: ['wsdev', 'v31', 'split', 'text', 'rules', 'peer', 'silent', 'both'], policies: [{ name: 'len/+', privilege: 3 }] });

const wires: WsWire[] = [];
afterEach(() => {
  for (const w of wires.splice(0)) w.close();
});

/** A WebSocket to the hub's ws endpoint with the frames in the test's hands; closed after the test. */
async function wire(h: Harness, o: { protocols?: string[]; label?: string; protocolVersion?: number } = {}): Promise<WsWire> {
  const w = await WsWire.open(h.endpoint('ws'), { trace: h.trace, ...o });
  wires.push(w);
  return w;
}

const connectPacket = (creds: DeviceCredentials, o: { protocolVersion?: 3 | 4; keepalive?: number } = {}) => {
  // One login: its username carries an expiry of now + 1 h, and its password signs exactly that username.
  const login = deviceLogin(creds);
  return {
    cmd: 'connect', protocolId: o.protocolVersion === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: o.protocolVersion ?? 4, clean: true,
    keepalive: o.keepalive ?? 60, ...login, password: Buffer.from(login.password),
  };
};

req(['WS-001'], 'a key device logs in over WebSocket at /mqtt and exchanges messages', async (h) => {
  const creds = product.device('wsdev');
  const device = await h.device(creds, { transport: 'ws', login: { method: 'hmacsha1', sdkappid: '21010406' } });
  const topic = `${creds.productId}/${creds.deviceName}/data`;
  expect(await device.subscribe(topic, 1)).toBe(1);
  await selfLoop(device, topic);
});

req(['WS-002'], 'a tampered signature over WebSocket is refused', async (h) => {
  const login = deviceLogin(product.device('wsdev'));
  const password = login.password.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await expect(h.connect({ ...login, password, transport: 'ws' })).rejects.toBeInstanceOf(LoginRefused);
});

req(['WS-003'], 'a handshake offering only mqttv3.1, then an MQIsdp CONNECT, logs in and exchanges messages', async (h) => {
  const creds = product.device('v31');
  const w = await wire(h, { protocols: ['mqttv3.1'], label: 'mqttv3.1', protocolVersion: 3 });
  expect(w.protocol, 'subprotocol chosen by the hub').toBe('mqttv3.1');
  w.send(connectPacket(creds, { protocolVersion: 3 }));
  expect(await w.next(ROUND_TRIP_LIMIT_MS)).toMatchObject({ cmd: 'connack', returnCode: 0 });
  const topic = `${creds.productId}/${creds.deviceName}/data`;
  w.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
  expect(await w.next(ROUND_TRIP_LIMIT_MS)).toMatchObject({ cmd: 'suback', messageId: 1, granted: [1] });
  w.send({ cmd: 'publish', topic, payload: Buffer.from('over mqttv3.1'), qos: 1, messageId: 2, retain: false, dup: false });
  expect(await w.until(() => w.pending.some((p) => p.cmd === 'publish' && p.payload.toString() === 'over mqttv3.1'), ROUND_TRIP_LIMIT_MS), 'own message delivered').toBe(true);
  expect(w.pending.some((p) => p.cmd === 'puback' && p.messageId === 2), 'PUBACK').toBe(true);
});

req(['WS-004'], 'an upgrade on a path other than /mqtt is refused with an HTTP error status, or else serves MQTT', async (h) => {
  const creds = product.device('wsdev');
  for (const path of ['/', '/mqtt/x', '/other']) {
    const url = new URL(h.endpoint('ws'));
    url.pathname = path;
    const answer = await new Promise<{ status: number } | { upgraded: WsWire } | { error: string }>((resolve) => {
      WsWire.open(url.toString(), { trace: h.trace, label: `path ${path}` }).then(
        (upgraded) => resolve({ upgraded }),
        (e: Error) => {
          const status = /Unexpected server response: (\d{3})/.exec(e.message);
          resolve(status ? { status: Number(status[1]) } : { error: e.message });
        });
    });
    if ('upgraded' in answer) {
      // Accepting another path is allowed, but then it must be MQTT like /mqtt.
      wires.push(answer.upgraded);
      answer.upgraded.send(connectPacket(creds));
      expect(await answer.upgraded.next(ROUND_TRIP_LIMIT_MS), `CONNACK after a 101 on ${path}`).toMatchObject({ cmd: 'connack', returnCode: 0 });
      continue;
    }
    expect(answer, `answer to an upgrade on ${path}`).toHaveProperty('status');
    expect((answer as { status: number }).status, `HTTP status for ${path}`).toBeGreaterThanOrEqual(400);
  }
});

describe('frames', () => {
  /**
   * Cut points over a byte string: arbitrary offsets, and offsets next to packet boundaries (which split a fixed
   * header or a remaining-length field); no cuts sends every packet in one frame.
   */
  const cuts = fc.record({
    anywhere: fc.array(fc.nat(), { maxLength: 8 }),
    nearBoundary: fc.array(fc.tuple(fc.nat(), fc.integer({ min: -2, max: 3 })), { maxLength: 6 }),
  });
  type Cuts = { anywhere: number[]; nearBoundary: [number, number][] };
  function frames(packets: Buffer[], c: Cuts): Buffer[] {
    const all = Buffer.concat(packets);
    const ends = packets.map((_, i) => packets.slice(0, i + 1).reduce((n, p) => n + p.length, 0));
    const at = new Set<number>();
    for (const n of c.anywhere) at.add(1 + (n % (all.length - 1)));
    for (const [i, d] of c.nearBoundary) at.add(ends[i % ends.length]! + d);
    const points = [...at].filter((p) => p > 0 && p < all.length).sort((a, b) => a - b);
    return [0, ...points].map((from, i) => all.subarray(from, points[i] ?? all.length));
  }

  reqProperty(['WS-005'], 'packets cut across frames and packed several to a frame are read exactly; the hub sends binary frames',
    [cuts, cuts, fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 110, max: 300 })), { minLength: 1, maxLength: 4 })],
    async (h, loginCuts, publishCuts, sizes) => {
      const creds = product.device('split');
      const topic = `${creds.productId}/${creds.deviceName}/data`;
      const w = await wire(h, { label: 'split' });
      const login = [WsWire.bytes(connectPacket(creds)), WsWire.bytes({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] })];
      for (const f of frames(login, loginCuts)) w.frame(f);
      expect(await w.next(ROUND_TRIP_LIMIT_MS), 'CONNACK').toMatchObject({ cmd: 'connack', returnCode: 0 });
      expect(await w.next(ROUND_TRIP_LIMIT_MS), 'SUBACK').toMatchObject({ cmd: 'suback', messageId: 1, granted: [1] });
      // The subscription is in place (SUBACK): every publish below must come back byte for byte.
      const payloads = sizes.map((n, i) => Buffer.concat([Buffer.from(`${i}:`), randomBytes(n)]));
      const publishes = payloads.map((payload, i) => WsWire.bytes({ cmd: 'publish', topic, payload, qos: 1, messageId: 10 + i, retain: false, dup: false }));
      for (const f of frames([...publishes, WsWire.bytes({ cmd: 'pingreq' })], publishCuts)) w.frame(f);
      const done = () => w.pending.some((p) => p.cmd === 'pingresp')
        && payloads.every((_, i) => w.pending.some((p) => p.cmd === 'puback' && p.messageId === 10 + i))
        && payloads.every((pl) => w.pending.some((p) => p.cmd === 'publish' && Buffer.compare(p.payload as Buffer, pl) === 0));
      expect(await w.until(done, ROUND_TRIP_LIMIT_MS), `PUBACKs, deliveries and PINGRESP (got ${w.pending.map((p) => p.cmd).join(', ')})`).toBe(true);
      expect(w.frames.filter((f) => !f.binary).length, 'text frames from the hub').toBe(0);
      expect(w.isOpen).toBe(true);
    }, { numRuns: 30 });

  req(['WS-006'], 'a text frame closes the connection before its bytes are read as MQTT', async (h) => {
    const creds = product.device('text');
    const topic = `${creds.productId}/${creds.deviceName}/data`;
    const w = await wire(h, { label: 'text after login' });
    w.send(connectPacket(creds), { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    expect(await w.next(ROUND_TRIP_LIMIT_MS)).toMatchObject({ cmd: 'connack', returnCode: 0 });
    expect(await w.next(ROUND_TRIP_LIMIT_MS)).toMatchObject({ cmd: 'suback', granted: [1] });
    // A well-formed QoS 1 PUBLISH, but in a text frame: a hub that read it would PUBACK and deliver it before any close.
    w.frame(WsWire.bytes({ cmd: 'publish', topic, payload: Buffer.from('in a text frame'), qos: 1, messageId: 2, retain: false, dup: false }), { text: true });
    expect(await w.closesWithin(ROUND_TRIP_LIMIT_MS), 'closed after a text frame').toBe(true);
    expect(w.pending.map((p) => p.cmd), 'nothing answered the text frame').toEqual([]);

    const first = await wire(h, { label: 'text CONNECT' });
    first.frame(WsWire.bytes(connectPacket(creds)), { text: true, note: 'CONNECT' });
    expect(await first.closesWithin(ROUND_TRIP_LIMIT_MS), 'closed after a CONNECT in a text frame').toBe(true);
    expect(first.pending.map((p) => p.cmd), 'no CONNACK').toEqual([]);
  });
});

describe('same rules as TCP', () => {
  /** Topics and filters for the rule checks: own, another device's, system, wildcards and lengths around 64 bytes. */
  const SUBSCRIBE_SHAPES = ['{p}/{d}/control', '{p}/{d}/event', '{p}/{d}/data', '{p}/{d}/+', '{p}/{d}/#', '{p}/{d}/#/x', '{p}/{d}/da+a',
    '{p}/+/data', '+/{d}/data', '#', '{P}/{D}/data', '$shadow/operation/result/{p}/{d}', '$shadow/operation/{p}/{d}', '$ota/update/{p}/+',
    '{p}/{d}/len/+', '{p}/{d}/len/{fill}'];
  const PUBLISH_SHAPES = ['{p}/{d}/event', '{p}/{d}/data', '{p}/{d}/control', '{P}/{D}/data', '{p}/{d}/len/{fill}', '$ota/update/{p}/{d}', '{p}/{d}/len/x'];

  function topicOf(shape: string, actor: DeviceCredentials, peer: DeviceCredentials, length: number, filler: string): string {
    const t = shape.replace('{p}', actor.productId).replace('{d}', actor.deviceName).replace('{P}', peer.productId).replace('{D}', peer.deviceName);
    if (!t.includes('{fill}')) return t;
    const base = t.replace('{fill}', '');
    let last = '';
    while (Buffer.byteLength(base + last + filler) <= length) last += filler;
    while (Buffer.byteLength(base + last) < length) last += 'a';
    return base + (last || 'a');
  }

  /** What one transport does with one SUBSCRIBE or PUBLISH: the SUBACK code, or whether it was PUBACKed and delivered back. */
  async function observe(h: Harness, transport: Transport, actor: DeviceCredentials, action: 'subscribe' | 'publish', topic: string, qos: 0 | 1, packetBytes: number | undefined) {
    const device = await h.device(actor, { transport, label: `${transport} actor` });
    try {
      if (action === 'subscribe') return { suback: await device.subscribe(topic, qos), open: device.isOpen };
      const own = `${actor.productId}/${actor.deviceName}/data`;
      expect(await device.subscribe(own, 1)).toBe(1);
      expect(await device.subscribe(`${actor.productId}/${actor.deviceName}/len/+`, 1)).toBe(1);
      const payload = Buffer.alloc(packetBytes === undefined ? 8 : payloadForPacket(topic, packetBytes, 1), 0x61);
      payload.write(`${transport}-${randomBytes(3).toString('hex')}`);
      const sent = device.publishTracked(topic, payload);
      await device.publish(`${actor.productId}/${actor.deviceName}/event`, 'after', 1);
      await selfLoop(device, own);
      return { acked: sent.acked(), delivered: device.messages.some((m) => m.topic === topic && m.payload.equals(payload)), open: device.isOpen };
    } finally {
      await device.end();
    }
  }

  reqProperty(['WS-007'], 'SUBSCRIBE and PUBLISH outcomes over WebSocket equal those over TCP (permissions, wildcards, 64-byte topics, 16 KB packets)',
    [fc.oneof(
      fc.record({ action: fc.constant<'subscribe'>('subscribe'), shape: fc.constantFrom(...SUBSCRIBE_SHAPES), qos: fc.constantFrom<0 | 1>(0, 1), size: fc.constant(undefined) }),
      fc.record({ action: fc.constant<'publish'>('publish'), shape: fc.constantFrom(...PUBLISH_SHAPES), qos: fc.constant<1>(1),
        size: fc.option(fc.constantFrom(16384, 16385, 20_000), { freq: 3 }).map((s) => s ?? undefined) }),
    ), fc.integer({ min: 62, max: 66 }), fc.constantFrom('a', 'é')],
    async (h, c, length, filler) => {
      const actor = product.device('rules');
      const topic = topicOf(c.shape, actor, product.device('peer'), length, filler);
      const overTcp = await observe(h, 'tcp', actor, c.action, topic, c.qos, c.size);
      const overWs = await observe(h, 'ws', actor, c.action, topic, c.qos, c.size);
      expect(overWs, `${c.action} ${topic} (${Buffer.byteLength(topic)} bytes${c.size ? `, ${c.size}-byte packet` : ''}) over ws vs tcp`).toEqual(overTcp);
    }, { numRuns: 40 });

  req(['WS-007'], 'KeepAlive over WebSocket: a silent connection is closed after 1.5 × KeepAlive, not after 1 ×', async (h) => {
    const creds = product.device('silent');
    const w = await wire(h, { label: 'silent ws' });
    w.send(connectPacket(creds, { keepalive: 1 }));
    expect(await w.next(ROUND_TRIP_LIMIT_MS)).toMatchObject({ cmd: 'connack', returnCode: 0 });
    expect(await w.closesWithin(1000), 'still open after 1 s').toBe(false);
    expect(await w.closesWithin(3000), 'closed by 4 s (1.5 s on the hub, with room for a loaded machine)').toBe(true);
  }, { timeout: 10_000 });
});

describe('one connection per device', () => {
  async function takeover(h: Harness, first: Transport, second: Transport): Promise<void> {
    const creds = product.device('both');
    const older: Device = await h.device(creds, { transport: first, label: `first over ${first}` });
    const newer: Device = await h.device(creds, { transport: second, label: `then over ${second}` });
    expect(await older.closesWithin(ROUND_TRIP_LIMIT_MS), `the ${first} connection is closed by a login over ${second}`).toBe(true);
    const topic = `${creds.productId}/${creds.deviceName}/data`;
    expect(await newer.subscribe(topic, 1)).toBe(1);
    await selfLoop(newer, topic);
    await newer.end();
  }

  req(['WS-008'], 'a login over TCP closes the device\'s WebSocket connection, and one over WebSocket its TCP connection', async (h) => {
    await takeover(h, 'ws', 'tcp');
    await takeover(h, 'tcp', 'ws');
  });
});
