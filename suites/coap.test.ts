// CoAP device access as the C SDK does it (docs/coap.md): auth, token use, the MQTT topic ACL, the 1 KB limit,
// confirmable/non-confirmable handling, retransmissions, the OTA report over CoAP and malformed datagrams.
import fc from 'fast-check';
import { expect } from 'vitest';
import { CoapDevice } from '../src/client/coap.js';
import type { Device } from '../src/client/device.js';
import { type Harness, req, reqProperty } from './support/harness.js';
import { isWellFormedCoap } from './support/coap-format.js';
import { useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const product = useProduct('coap', { devices: ['alpha', 'beta'] });

/** An MQTT device subscribed to its own data topic: where the CoAP publishes of the same device show up. */
async function listener(h: Harness, name: string): Promise<{ mqtt: Device; topic: string; pid: string; dn: string }> {
  const creds = product.device(name);
  const topic = `${creds.productId}/${creds.deviceName}/data`;
  const mqtt = await h.device(creds);
  expect(await mqtt.subscribe(topic, 1)).toBe(1);
  return { mqtt, topic, pid: creds.productId, dn: creds.deviceName };
}

let markers = 0;
/**
 * Ordering barrier: a marker published over CoAP by the same device to `topic`, waited for on MQTT; every message the
 * hub routed before it has arrived by then. Returns the payloads received on `topic` before the marker.
 */
async function before(mqtt: Device, coap: CoapDevice, token: string, topic: string, confirmable = true): Promise<string[]> {
  const marker = `coap-marker-${++markers}`;
  if (confirmable) {
    const r = await coap.request(topic, marker, { token });
    expect(r?.code, 'the marker publish is acknowledged 2.05').toBe('2.05');
  } else {
    // the hub routes NON at QoS 0, CON at QoS 1; MQTT orders messages only within one QoS, so a NON marker follows a NON
    coap.send(CoapDevice.post(topic, Buffer.from(marker), { token, confirmable: false }).datagram, `NON marker ${marker}`);
  }
  const got = await mqtt.waitFor((m) => m.topic === topic && m.payload.toString() === marker, ROUND_TRIP_LIMIT_MS);
  expect(got, `the marker ${marker} reaches the MQTT subscriber`).toBeDefined();
  const all = mqtt.received(topic).map((m) => m.payload.toString());
  return all.slice(0, all.indexOf(marker));
}

req(['COAP-001', 'COAP-003', 'COAP-008'], 'auth answers a token, and a publish with it reaches the MQTT subscriber of the topic', async (h) => {
  const l = await listener(h, 'alpha');
  const coap = await h.coap();
  const auth = await coap.auth(l.pid, l.dn);
  expect(auth?.code, 'auth is answered 2.05').toBe('2.05');
  expect(auth!.ack, 'piggybacked in the ACK').toBe(true);
  expect(auth!.payload.length, 'the token is not empty').toBeGreaterThan(0);
  const token = auth!.payload.toString();
  const { datagram, messageId, requestToken } = CoapDevice.post(l.topic, Buffer.from('{"temp":21}'), { token });
  coap.send(datagram, `CON POST ${l.topic} mid=${messageId}`);
  const ack = await coap.waitFor((r) => r.ack, ROUND_TRIP_LIMIT_MS);
  expect(ack, 'an ACK').toBeDefined();
  expect(ack!.messageId, 'the ACK carries the request message id').toBe(messageId);
  expect(ack!.token.equals(requestToken), 'the ACK carries the request token').toBe(true);
  expect(ack!.code).toBe('2.05');
  const got = await l.mqtt.waitFor((m) => m.topic === l.topic, ROUND_TRIP_LIMIT_MS);
  expect(got?.payload.toString(), 'the MQTT subscriber gets the CoAP payload').toBe('{"temp":21}');
});

req(['COAP-002'], 'auth of an unknown product or device is refused without a token', async (h) => {
  const coap = await h.coap();
  const { productId, deviceName } = product.device('alpha');
  for (const [pid, dn] of [[productId, 'nosuchdevice'], ['NOSUCHPROD', deviceName], [productId, '']]) {
    const r = await coap.auth(pid!, dn!);
    expect(r, `an answer for ${pid}/${dn}`).toBeDefined();
    expect(r!.code, `${pid}/${dn} is refused with 4.xx`).toMatch(/^4\./);
    expect(r!.code).not.toBe('2.05');
  }
  expect((await coap.auth(productId, deviceName))?.code, 'the hub still authenticates a real device').toBe('2.05');
});

type TokenChange = { kind: 'flip'; at: number; by: number } | { kind: 'random'; text: string } | { kind: 'missing' };
const TOKEN_CHANGES: fc.Arbitrary<TokenChange> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), by: fc.integer({ min: 1, max: 15 }) }),
  fc.record({ kind: fc.constant('random' as const), text: fc.string({ minLength: 0, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('missing' as const) }),
);

reqProperty<[TokenChange]>(['COAP-004'], 'a missing or tampered token is refused 4.01 and routed nowhere', [TOKEN_CHANGES], async (h, change) => {
  const l = await listener(h, 'alpha');
  const coap = await h.coap();
  const token = await coap.token(l.pid, l.dn);
  let bad: string | undefined;
  if (change.kind === 'flip') {
    const i = change.at % token.length;
    const hex = '0123456789abcdefghijklmnopqrstuvwxyz';
    const c = hex[(hex.indexOf(token[i]!) + change.by) % hex.length]!;
    bad = token.slice(0, i) + c + token.slice(i + 1);
  } else if (change.kind === 'random') bad = change.text;
  fc.pre(bad !== token);
  const r = await coap.request(l.topic, 'forged', bad === undefined ? {} : { token: bad });
  expect(r?.code, 'refused 4.01').toBe('4.01');
  expect(await before(l.mqtt, coap, token, l.topic), 'nothing routed before the marker').toEqual([]);
}, { numRuns: 15, examples: [[{ kind: 'missing' }], [{ kind: 'random', text: '' }]] });

/** The ACL matrix: topic template → may device alpha publish it (the MQTT decision, access-rules.md). */
const ACL_CASES: readonly [string, boolean][] = [
  ['{pid}/{dn}/data', true],
  ['{pid}/{dn}/event', true],
  ['{pid}/{dn}/control', false],
  ['{pid}/{other}/data', false],
  ['{pid}/{dn}x/data', false],
  ['$shadow/operation/{pid}/{dn}', true],
  ['$shadow/operation/result/{pid}/{dn}', false],
  ['$ota/update/{pid}/{dn}', false],
  ['$ota/report/{pid}/{other}', false],
  ['$foo/{pid}/{dn}', false],
  ['{pid}/{dn}/+', false],
  ['{pid}/{dn}/nosuchclass', false],
];

reqProperty(['COAP-006'], 'a CoAP publish is allowed exactly when the MQTT ACL allows it; refused ones get 4.03 and go nowhere', [fc.constantFrom(...ACL_CASES)], async (h, [template, allowed]) => {
  const a = product.device('alpha');
  const b = await listener(h, 'beta');
  const topic = template.replaceAll('{pid}', a.productId).replaceAll('{dn}', a.deviceName).replaceAll('{other}', b.dn);
  const coap = await h.coap();
  const token = await coap.token(a.productId, a.deviceName);
  const r = await coap.request(topic, 'acl-probe', { token });
  expect(r?.code, `${topic}: ${allowed ? 'allowed (2.05)' : 'refused (4.03)'}`).toBe(allowed ? '2.05' : '4.03');
  if (topic === `${a.productId}/${b.dn}/data`) {
    const tokenB = await coap.token(b.pid, b.dn);
    expect(await before(b.mqtt, coap, tokenB, b.topic), "nothing reaches the other device's subscriber").toEqual([]);
  }
}, { numRuns: ACL_CASES.length, examples: ACL_CASES.map((c) => [c] as [readonly [string, boolean]]) });

reqProperty(['COAP-007'], 'payloads up to 1024 bytes are routed whole, longer ones refused 4.13', [fc.integer({ min: 990, max: 1060 })], async (h, size) => {
  const l = await listener(h, 'alpha');
  const coap = await h.coap();
  const token = await coap.token(l.pid, l.dn);
  const payload = Buffer.alloc(size, 0x61 + (size % 26));
  const r = await coap.request(l.topic, payload, { token });
  expect(r?.code, `${size} bytes`).toBe(size <= 1024 ? '2.05' : '4.13');
  const routed = await before(l.mqtt, coap, token, l.topic);
  expect(routed, size <= 1024 ? 'routed once, whole' : 'routed nowhere').toEqual(size <= 1024 ? [payload.toString()] : []);
}, { numRuns: 12, examples: [[1024], [1025], [1023]] });

reqProperty(['COAP-008', 'COAP-009'], 'a retransmitted message id is routed once and every copy gets the same ACK', [fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 2, max: 4 })], async (h, messageId, copies) => {
  const l = await listener(h, 'alpha');
  const coap = await h.coap();
  const token = await coap.token(l.pid, l.dn);
  const body = `once-${messageId}`;
  const { datagram } = CoapDevice.post(l.topic, Buffer.from(body), { token, messageId });
  const acks = [];
  for (let i = 0; i < copies; i++) {
    coap.send(datagram, `copy ${i + 1} of mid=${messageId}`);
    acks.push(await coap.waitFor((r) => r.ack && r.messageId === messageId, ROUND_TRIP_LIMIT_MS));
  }
  for (const ack of acks) {
    expect(ack, 'every copy is acknowledged').toBeDefined();
    expect(ack!.code).toBe('2.05');
    expect(ack!.messageId).toBe(messageId);
  }
  expect(await before(l.mqtt, coap, token, l.topic), 'routed exactly once').toEqual([body]);
}, { numRuns: 8 });

req(['COAP-010'], 'a non-confirmable publish is routed and not acknowledged', async (h) => {
  const l = await listener(h, 'alpha');
  const coap = await h.coap();
  const token = await coap.token(l.pid, l.dn);
  const { datagram, messageId, requestToken } = CoapDevice.post(l.topic, Buffer.from('non-1'), { token, confirmable: false });
  coap.send(datagram, `NON POST mid=${messageId}`);
  expect(await before(l.mqtt, coap, token, l.topic, false), 'the NON publish is routed').toEqual(['non-1']);
  // a CON after both: its ACK comes after anything the hub would have sent for the NON
  expect((await coap.request(l.topic, 'after', { token }))?.code).toBe('2.05');
  expect(coap.unclaimed.filter((r) => r.messageId === messageId || r.token.equals(requestToken)), 'no answer to a successful NON').toEqual([]);
  const refused = CoapDevice.post(`${l.pid}/${l.dn}/control`, Buffer.from('x'), { token, confirmable: false });
  coap.send(refused.datagram, 'NON POST to a subscribe-only topic');
  const r = await coap.waitFor((x) => x.token.equals(refused.requestToken), ROUND_TRIP_LIMIT_MS);
  if (r) {
    expect(r.ack, 'a refusal of a NON is not an ACK').toBe(false);
    expect(r.code).toMatch(/^4\./);
  }
});

req(['COAP-011'], 'an OTA version report over CoAP is recorded and answered with a 2.05 carrying its token', async (h) => {
  const { productId, deviceName } = product.device('alpha');
  const coap = await h.coap();
  const token = await coap.token(productId, deviceName);
  const version = `1.0.${Date.now() % 1000}`;
  const topic = `$ota/report/${productId}/${deviceName}`;
  const requestToken = Buffer.from([9, 8, 7, 6]);
  const ack = await coap.request(topic, JSON.stringify({ type: 'report_version', report: { version } }), { token, needResp: true, requestToken });
  expect(ack?.code, 'the report is acknowledged (2.03 with a separate response, or 2.05 with the answer)').toMatch(/^2\.0[35]$/);
  const answer = ack?.code === '2.05' && ack.payload.length ? ack : await coap.waitFor((r) => !r.ack && r.token.equals(requestToken), ROUND_TRIP_LIMIT_MS);
  expect(answer, 'the OTA answer arrives').toBeDefined();
  expect(answer!.code).toBe('2.05');
  const body = JSON.parse(answer!.payload.toString()) as { type: string; version: string };
  h.expectSchema('ota.schema.json#/$defs/reportVersionRsp', body, `CoAP answer on ${topic}`);
  expect(body).toMatchObject({ type: 'report_version_rsp', version });
});

reqProperty(['COAP-012'], 'malformed datagrams are dropped or answered 4.00 and the hub keeps answering', [fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 64 }),
  // a confirmable header with an impossible option delta (15 is reserved for the payload marker)
  fc.integer({ min: 0, max: 0xffff }).map((mid) => Uint8Array.from([0x40, 0x02, mid >> 8, mid & 0xff, 0xf1, 0x00])),
  // a readable request header and token, then an option running past the end of the datagram, or a payload marker
  // with no payload after it (random bytes rarely get this far)
  fc.record({
    type: fc.constantFrom(0, 1), code: fc.integer({ min: 1, max: 31 }), mid: fc.integer({ min: 0, max: 0xffff }), token: fc.uint8Array({ maxLength: 8 }),
    option: fc.oneof(fc.constant(undefined), fc.record({ delta: fc.integer({ min: 0, max: 12 }), length: fc.integer({ min: 1, max: 12 }), given: fc.nat() })),
  }).map(({ type, code, mid, token, option }) => Uint8Array.from([
    0x40 | (type << 4) | token.length, code, mid >> 8, mid & 0xff, ...token,
    ...(option ? [(option.delta << 4) | option.length, ...new Array<number>(option.given % option.length).fill(0x61)] : [0xff]),
  ])),
)], async (h, bytes) => {
  const { productId, deviceName } = product.device('alpha');
  const coap = await h.coap();
  const datagram = Buffer.from(bytes);
  coap.send(datagram, `malformed ${datagram.toString('hex')}`);
  const token = await coap.token(productId, deviceName);
  expect(token.length).toBeGreaterThan(0);
  // random bytes are now and then a readable message (a GET, say), which a hub may answer as such
  if (isWellFormedCoap(datagram)) return;
  for (const r of coap.unclaimed) {
    expect(r.code, 'an answer to a malformed datagram is 4.00 or a reset').toMatch(/^(4\.00|0\.00)$/);
    if (datagram.length >= 4) expect(r.messageId).toBe(datagram.readUInt16BE(2));
    if (r.code === '4.00') expect(r.ack, 'the 4.00 answer acknowledges the confirmable datagram (type ACK)').toBe(true);
  }
}, { numRuns: 25 });

req(['COAP-003'], 'a CoAP publish reaches the device services: a shadow get over CoAP is answered on MQTT', async (h) => {
  const creds = product.device('beta');
  const result = `$shadow/operation/result/${creds.productId}/${creds.deviceName}`;
  const mqtt = await h.device(creds);
  expect(await mqtt.subscribe(result, 1)).toBe(1);
  const coap = await h.coap();
  const token = await coap.token(creds.productId, creds.deviceName);
  const clientToken = `coap-${Date.now()}`;
  const r = await coap.request(`$shadow/operation/${creds.productId}/${creds.deviceName}`, JSON.stringify({ type: 'get', clientToken }), { token });
  expect(r?.code, 'the shadow request is acknowledged 2.05').toBe('2.05');
  const reply = await mqtt.waitFor((m) => m.topic === result, ROUND_TRIP_LIMIT_MS);
  expect(reply, 'the shadow service answers the device on MQTT').toBeDefined();
  expect(JSON.parse(reply!.payload.toString())).toMatchObject({ type: 'get', clientToken });
});
