// HTTP device gateway (protocol.md §8, seed §1.2.2): signed POST /device/publish, delivery under the device's ACL, refusals.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import type { Device } from '../src/client/device.js';
import type { GatewayAnswer, GatewayCall } from '../src/client/http-device.js';
import { gatewayStringToSign } from '../src/protocol/http-sign.js';
import { MAX_PACKET_BYTES } from '../src/protocol/limits.js';
import { GATEWAY_ERROR, gateway, gatewayUrl } from './support/gateway.js';
import { req, reqProperty, type Harness } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { selfLoop } from './support/wire.js';

const product = useProduct('httpgw', { devices: ['poster', 'sleeper', 'disabled'] });
const other = useProduct('httpgw_other', { devices: ['stranger'] });

const data = (c: DeviceCredentials) => `${c.productId}/${c.deviceName}/data`;
const body = (c: DeviceCredentials, extra: Record<string, unknown> = {}) =>
  ({ ProductId: c.productId, DeviceName: c.deviceName, TopicName: data(c), Payload: 'hello', Qos: 0, ...extra });

function publish(h: Harness, c: DeviceCredentials, call: Partial<GatewayCall> = {}): Promise<GatewayAnswer> {
  return gateway(h).call({ path: '/device/publish', body: body(c), secret: c.psk, ...call });
}

/** The device listening on its data topic over MQTT (the only legitimate receiver of its data messages). */
async function listener(h: Harness, c: DeviceCredentials, qos: 0 | 1 = 1): Promise<Device> {
  const d = await h.device(c, { label: `${c.deviceName}-listener` });
  expect(await d.subscribe(data(c), qos)).toBe(qos);
  return d;
}

function expectOk(h: Harness, a: GatewayAnswer, what: string): void {
  expect(a.json?.Response?.Error, `${what}: no Response.Error (HTTP ${a.status} ${a.text.slice(0, 200)})`).toBeUndefined();
  expect(a.status, what).toBe(200);
  h.expectSchema('http-gateway.schema.json#/$defs/publishResponse', a.json, `HTTP answer to /device/publish (${what})`);
}

function expectRefused(h: Harness, a: GatewayAnswer, what: string, code?: string | RegExp): void {
  expect(a.json?.Response?.Error?.Code, `${what}: refused with Response.Error (HTTP ${a.status} ${a.text.slice(0, 200)})`).toEqual(code === undefined ? expect.any(String) : typeof code === 'string' ? code : expect.stringMatching(code));
  h.expectSchema(GATEWAY_ERROR, a.json, `HTTP answer to /device/publish (${what})`);
}

/** Messages with `marker` that reached the listener, after a barrier. */
async function arrived(d: Device, c: DeviceCredentials, marker: string): Promise<string[]> {
  await selfLoop(d, data(c));
  return d.received(data(c)).map((m) => m.payload.toString('utf8')).filter((p) => p.includes(marker));
}

describe('publish', () => {
  req(['HTTP-001', 'HTTP-002', 'HTTP-013', 'HTTP-017'], 'a signed publish (host signed without port) reaches the MQTT subscriber at min(Qos, granted)', async (h) => {
    const c = product.device('poster');
    const q1 = await listener(h, c, 1);
    expectOk(h, await publish(h, c, { body: body(c, { Payload: 'hello-q1', Qos: 1 }) }), 'Qos 1');
    expectOk(h, await publish(h, c, { body: body(c, { Payload: 'hello-q0', Qos: 0 }) }), 'Qos 0');
    await selfLoop(q1, data(c));
    const got = q1.received(data(c)).filter((m) => m.payload.toString().startsWith('hello-'));
    expect(got.map((m) => [m.payload.toString(), m.qos])).toEqual([['hello-q1', 1], ['hello-q0', 0]]);
  });

  req(['HTTP-013'], 'the signed host is the Host header without its port, for names and IPv6 literals, with and without a port', async (h) => {
    const c = product.device('poster');
    // the Host header is only text to the hub: the connection still goes to the gateway's loopback endpoint
    for (const [hostHeader, signed] of [['ap-guangzhou.gateway.tencentdevices.com', 'ap-guangzhou.gateway.tencentdevices.com'], ['ap-guangzhou.gateway.tencentdevices.com:80', 'ap-guangzhou.gateway.tencentdevices.com'], ['[::1]:8080', '[::1]'], ['[::1]', '[::1]']] as const) {
      expectOk(h, await publish(h, c, { signedHost: signed, headers: { Host: hostHeader } }), `Host ${hostHeader} signed as ${signed}`);
    }
    expectRefused(h, await publish(h, c, { signedHost: '[::1]:8080', headers: { Host: '[::1]:8080' } }), 'Host [::1]:8080 signed with its port', 'AuthFailure.SignatureFailure');
  });

  req(['HTTP-017'], 'Qos 2 is delivered as QoS 1, and a QoS 0 subscription gets QoS 0', async (h) => {
    const c = product.device('poster');
    const d = await listener(h, c, 0);
    expectOk(h, await publish(h, c, { body: body(c, { Payload: 'q2-to-sub0', Qos: 1 }) }), 'Qos 1 to a QoS 0 subscription');
    await d.unsubscribe(data(c));
    expect(await d.subscribe(data(c), 1)).toBe(1);
    expectOk(h, await publish(h, c, { body: body(c, { Payload: 'q2-as-1', Qos: 2 }) }), 'Qos 2');
    await selfLoop(d, data(c));
    expect(d.received(data(c)).filter((m) => m.payload.toString().startsWith('q2-')).map((m) => [m.payload.toString(), m.qos])).toEqual([['q2-to-sub0', 0], ['q2-as-1', 1]]);
  });

  req(['HTTP-014'], 'a device that is not connected over MQTT can publish', async (h) => {
    expectOk(h, await publish(h, product.device('sleeper')), 'offline device');
  });

  req(['HTTP-003', 'HTTP-004', 'HTTP-005'], 'the key is the PSK text; HmacSha256 and hmacsha1 are accepted, a key of the decoded PSK bytes is refused', async (h) => {
    const c = product.device('poster');
    const d = await listener(h, c);
    expectOk(h, await publish(h, c, { algorithm: 'HmacSha256', body: body(c, { Payload: 'alg-HmacSha256' }) }), 'HmacSha256');
    expectOk(h, await publish(h, c, { algorithm: 'hmacsha1', body: body(c, { Payload: 'alg-hmacsha1' }) }), 'hmacsha1');
    const decodedKeyBody = JSON.stringify(body(c, { Payload: 'alg-decoded-key' }));
    const ts = Math.floor(Date.now() / 1000);
    const sts = gatewayStringToSign({ host: new URL(gatewayUrl(h)).hostname, uri: '/device/publish', algorithm: 'hmacsha256', timestamp: ts, nonce: 7, body: decodedKeyBody });
    const wrongKey = createHmac('sha256', Buffer.from(c.psk, 'base64')).update(sts).digest('base64');
    expectRefused(h, await publish(h, c, { body: decodedKeyBody, timestamp: ts, nonce: 7, headers: { 'X-TC-Signature': wrongKey } }), 'decoded PSK as the key', 'AuthFailure.SignatureFailure');
    expect((await arrived(d, c, 'alg-')).sort()).toEqual(['alg-HmacSha256', 'alg-hmacsha1']);
  });

  req(['HTTP-011'], 'PayloadEncoding base64 publishes the decoded bytes; other encodings and bad Base64 are refused', async (h) => {
    const c = product.device('poster');
    const d = await listener(h, c);
    const bytes = Buffer.from([0x65, 0x6e, 0x63, 0x00, 0xff]);
    expectOk(h, await publish(h, c, { body: body(c, { Payload: bytes.toString('base64'), PayloadEncoding: 'base64' }) }), 'base64');
    expectRefused(h, await publish(h, c, { body: body(c, { Payload: 'enc-hex', PayloadEncoding: 'hex' }) }), 'PayloadEncoding hex');
    expectRefused(h, await publish(h, c, { body: body(c, { Payload: 'enc-!!', PayloadEncoding: 'base64' }) }), 'invalid Base64');
    await selfLoop(d, data(c));
    const got = d.received(data(c)).filter((m) => m.payload.subarray(0, 3).toString() === 'enc');
    expect(got.map((m) => m.payload.toString('hex'))).toEqual([bytes.toString('hex')]);
  });

  req(['HTTP-011'], 'base64 Payloads of any length publish their bytes, with "==", "=" or no padding; text outside the Base64 alphabet or length is refused', async (h) => {
    const c = product.device('poster');
    const d = await listener(h, c);
    // "pad" and 1, 2, 3 or 10 more bytes: Base64 texts ending in "==", "=" or a full group, of two groups and of five
    const sent = [1, 2, 3, 10].map((n) => Buffer.concat([Buffer.from('pad'), Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 0xff))]));
    for (const bytes of sent) {
      const text = bytes.toString('base64');
      expectOk(h, await publish(h, c, { body: body(c, { Payload: text, PayloadEncoding: 'base64' }) }), `base64 ${text} (${bytes.length} bytes)`);
    }
    const pad = Buffer.from('pad').toString('base64');
    for (const text of [`${pad}!!==`, `${pad}YQ=`, `${pad}YQ==YQ==`]) {
      expectRefused(h, await publish(h, c, { body: body(c, { Payload: text, PayloadEncoding: 'base64' }) }), `invalid Base64 ${text}`);
    }
    await selfLoop(d, data(c));
    const got = d.received(data(c)).filter((m) => m.payload.subarray(0, 3).toString() === 'pad');
    expect(got.map((m) => m.payload.toString('hex')), 'the decoded bytes of each valid Payload, in order, and nothing of the invalid ones').toEqual(sent.map((b) => b.toString('hex')));
  });

  req(['HTTP-018'], 'a repeated request (same nonce and timestamp) is accepted or refused, and the hub keeps serving', async (h) => {
    const c = product.device('poster');
    const first = await publish(h, c, { nonce: 4242, timestamp: Math.floor(Date.now() / 1000) });
    expectOk(h, first, 'first');
    const again = await publish(h, c, { nonce: 4242, timestamp: Math.floor(Date.now() / 1000) });
    h.expectSchema('http-gateway.schema.json#/$defs/publishAnswer', again.json, 'HTTP answer to a replayed /device/publish');
    expectOk(h, await publish(h, c), 'a fresh request afterwards');
  });
});

type Tamper =
  | { kind: 'body'; extra: string }
  | { kind: 'signature'; at: number }
  | { kind: 'timestamp'; delta: number }
  | { kind: 'nonce'; delta: number }
  | { kind: 'algorithm' }
  | { kind: 'host' }
  | { kind: 'path' }
  | { kind: 'stale'; skew: number };

const tampers: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant('body' as const), extra: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('signature' as const), at: fc.nat({ max: 43 }) }),
  fc.record({ kind: fc.constant('timestamp' as const), delta: fc.integer({ min: -120, max: 120 }).filter((d) => d !== 0) }),
  fc.record({ kind: fc.constant('nonce' as const), delta: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ kind: fc.constant('algorithm' as const) }),
  fc.record({ kind: fc.constant('host' as const) }),
  fc.record({ kind: fc.constant('path' as const) }),
  fc.record({ kind: fc.constant('stale' as const), skew: fc.oneof(fc.integer({ min: 301, max: 100_000 }), fc.integer({ min: -100_000, max: -301 })) }),
);

describe('signature and timestamp', () => {
  reqProperty(['HTTP-007', 'HTTP-008'], 'tampered headers, bodies and timestamps are refused and publish nothing', [tampers], async (h, t) => {
    const c = product.device('poster');
    const d = await listener(h, c);
    const marker = `tamper-${Math.random().toString(36).slice(2)}`;
    const signed = JSON.stringify(body(c, { Payload: marker }));
    const now = Math.floor(Date.now() / 1000);
    const call: GatewayCall = { path: '/device/publish', body: signed, secret: c.psk, timestamp: now, nonce: 1000 };
    switch (t.kind) {
      case 'body': call.sentBody = JSON.stringify(body(c, { Payload: `${marker}${t.extra}` })); break;
      case 'signature': call.headers = { 'X-TC-Signature': flipAt(await signatureOf(h, call), t.at) }; break;
      case 'timestamp': call.headers = { 'X-TC-Timestamp': String(now + t.delta) }; break;
      case 'nonce': call.headers = { 'X-TC-Nonce': String(1000 + t.delta) }; break;
      case 'algorithm': call.headers = { 'X-TC-Algorithm': 'hmacsha1' }; break;
      case 'host': call.signedHost = 'ap-guangzhou.gateway.tencentdevices.com'; break;
      case 'path': call.path = '/device/publish'; call.headers = { 'X-TC-Signature': await signatureOf(h, { ...call, path: '/device/reportlog' }) }; break;
      case 'stale': call.timestamp = now + t.skew; break;
    }
    const a = await gateway(h).call(call);
    expectRefused(h, a, t.kind, t.kind === 'stale' ? 'InvalidParameterValue' : undefined);
    expect(await arrived(d, c, marker), 'nothing was published').toEqual([]);
  }, { numRuns: 30 });

  req(['HTTP-008'], 'timestamps more than 300 s off are refused with InvalidParameterValue; within 300 s they are accepted', async (h) => {
    const c = product.device('poster');
    const d = await listener(h, c);
    const now = Math.floor(Date.now() / 1000);
    for (const skew of [-400, 400, -86_400]) {
      expectRefused(h, await publish(h, c, { timestamp: now + skew, body: body(c, { Payload: `stale${skew}` }) }), `skew ${skew} s`, 'InvalidParameterValue');
    }
    expect(await arrived(d, c, 'stale'), 'stale requests publish nothing').toEqual([]);
    for (const skew of [-200, 200]) expectOk(h, await publish(h, c, { timestamp: now + skew }), `skew ${skew} s`);
  });
});

/** The signature the harness would send for this call. */
async function signatureOf(h: Harness, call: GatewayCall): Promise<string> {
  const { signGatewayRequest } = await import('../src/protocol/http-sign.js');
  const url = new URL(call.path, gatewayUrl(h));
  return signGatewayRequest({ secret: call.secret, host: call.signedHost ?? url.hostname, uri: url.pathname, algorithm: call.algorithm ?? 'hmacsha256', timestamp: call.timestamp!, nonce: call.nonce!, body: call.body as string }).signature;
}

/** Changes one Base64 character of a signature (never to itself). */
function flipAt(sig: string, at: number): string {
  const i = at % (sig.replace(/=+$/, '').length);
  const ch = sig[i] === 'A' ? 'B' : 'A';
  return sig.slice(0, i) + ch + sig.slice(i + 1);
}

describe('refusals', () => {
  req(['HTTP-009'], 'missing fields, missing signature headers and wrong JSON types are refused', async (h) => {
    const c = product.device('poster');
    const d = await listener(h, c);
    const m = 'incomplete';
    const cases: [string, Partial<GatewayCall>][] = [
      ['no TopicName', { body: { ProductId: c.productId, DeviceName: c.deviceName, Payload: m, Qos: 0 } }],
      ['no Payload', { body: { ProductId: c.productId, DeviceName: c.deviceName, TopicName: data(c), Qos: 0 } }],
      ['no Qos', { body: { ProductId: c.productId, DeviceName: c.deviceName, TopicName: data(c), Payload: m } }],
      ['no ProductId', { body: { DeviceName: c.deviceName, TopicName: data(c), Payload: m, Qos: 0 } }],
      ['Qos as a string', { body: body(c, { Payload: m, Qos: '1' }) }],
      ['Payload as a number', { body: body(c, { Payload: 7 }) }],
      ['body not JSON', { body: 'Payload=incomplete' }],
      ['no X-TC-Signature', { body: body(c, { Payload: m }), headers: { 'X-TC-Signature': undefined } }],
      ['no X-TC-Nonce', { body: body(c, { Payload: m }), headers: { 'X-TC-Nonce': undefined } }],
      ['no X-TC-Timestamp', { body: body(c, { Payload: m }), headers: { 'X-TC-Timestamp': undefined } }],
      ['no X-TC-Algorithm', { body: body(c, { Payload: m }), headers: { 'X-TC-Algorithm': undefined } }],
      ['unknown X-TC-Algorithm', { body: body(c, { Payload: m }), headers: { 'X-TC-Algorithm': 'md5' } }],
    ];
    for (const [what, call] of cases) {
      const answer = await publish(h, c, call);
      expectRefused(h, answer, what);
      // the client sent too little: a client error, never the hub's own failure
      expect(answer.json?.Response?.Error?.Code, `${what}: not an internal error`).not.toMatch(/^InternalError/);
      expect(answer.status, `${what}: not a server error status`).toBeLessThan(500);
    }
    expect(await arrived(d, c, m)).toEqual([]);
  });

  req(['HTTP-010'], 'topics the device may not publish are refused with PermissionDenied and reach no one', async (h) => {
    const c = product.device('poster');
    const stranger = other.device('stranger');
    const d = await listener(h, c);
    const s = await listener(h, stranger);
    for (const topic of [`${c.productId}/${c.deviceName}/control`, data(stranger), `${c.productId}/${c.deviceName}/nope`, `$shadow/operation/result/${c.productId}/${c.deviceName}`]) {
      expectRefused(h, await publish(h, c, { body: body(c, { TopicName: topic, Payload: 'denied' }) }), topic, 'UnauthorizedOperation.PermissionDenied');
    }
    expect(await arrived(d, c, 'denied')).toEqual([]);
    expect(await arrived(s, stranger, 'denied')).toEqual([]);
  });

  req(['HTTP-012'], 'GET and non-JSON content types are refused', async (h) => {
    const c = product.device('poster');
    const get = await publish(h, c, { method: 'GET' });
    expect(get.status, 'GET').toBe(405);
    expectRefused(h, get, 'GET');
    expectRefused(h, await publish(h, c, { contentType: 'text/plain' }), 'text/plain');
    expectRefused(h, await publish(h, c, { contentType: 'application/x-www-form-urlencoded' }), 'form');
    expectOk(h, await publish(h, c, { contentType: 'application/json;charset=UTF-8' }), 'application/json;charset=UTF-8');
  });

  req(['HTTP-015'], 'unknown and disabled devices are refused', async (h) => {
    const c = product.device('disabled');
    expectRefused(h, await publish(h, { ...c, deviceName: 'no_such_device' }), 'unknown device', 'ResourceNotFound.DeviceNotExist');
    const api = h.api();
    await api.call('UpdateDeviceAvailableState', { ProductId: c.productId, DeviceName: c.deviceName, EnableState: 0 });
    try {
      expectRefused(h, await publish(h, c), 'disabled device');
    } finally {
      await api.call('UpdateDeviceAvailableState', { ProductId: c.productId, DeviceName: c.deviceName, EnableState: 1 });
    }
  });

  req(['HTTP-016'], 'a payload that makes the PUBLISH exactly 16384 bytes is delivered, one byte more is refused', async (h) => {
    const c = product.device('poster');
    const d = await listener(h, c);
    const topic = data(c);
    // QoS 0 PUBLISH: 1 byte header + 2-byte remaining length (< 16384) + 2 + topic + payload
    const fits = MAX_PACKET_BYTES - 1 - 2 - 2 - Buffer.byteLength(topic);
    expectOk(h, await publish(h, c, { body: body(c, { Payload: 'F'.repeat(fits) }) }), `${fits}-byte payload`);
    expectRefused(h, await publish(h, c, { body: body(c, { Payload: 'G'.repeat(fits + 1) }) }), `${fits + 1}-byte payload`, 'InvalidParameterValue.PayloadOverLimit');
    await selfLoop(d, data(c));
    expect(d.received(topic).filter((m) => m.payload.length > 1000).map((m) => `${String.fromCharCode(m.payload[0]!)}×${m.payload.length}`)).toEqual([`F×${fits}`]);
  });
});
