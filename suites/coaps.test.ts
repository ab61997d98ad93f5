// CoAP over DTLS-PSK as the C SDK connects (coap_client.c qcloud_iot_coap_init): identity = ClientId, key = the decoded
// PSK, the SDK's two PSK suites; a wrong key fails the handshake; a session speaks only for its own device.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import { req, reqProperty } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const product = useProduct('coaps', { devices: ['alpha', 'beta'] });

const SUITES = ['TLS_PSK_WITH_AES_128_CBC_SHA', 'TLS_PSK_WITH_AES_256_CBC_SHA'] as const;

for (const suite of SUITES) {
  req(['COAP-013'], `over DTLS-PSK with ${suite}: auth and a publish reaching the MQTT subscriber`, async (h) => {
    const creds = product.device('alpha');
    const topic = `${creds.productId}/${creds.deviceName}/data`;
    const mqtt = await h.device(creds);
    expect(await mqtt.subscribe(topic, 1)).toBe(1);
    const coap = await h.coaps(creds, { ciphers: [suite] });
    const token = await coap.token(creds.productId, creds.deviceName);
    const r = await coap.request(topic, `over ${suite}`, { token });
    expect(r?.code, 'the publish is acknowledged 2.05').toBe('2.05');
    const got = await mqtt.waitFor((m) => m.topic === topic, ROUND_TRIP_LIMIT_MS);
    expect(got?.payload.toString(), 'the MQTT subscriber gets it').toBe(`over ${suite}`);
  });
}

type WrongKey = { kind: 'text' } | { kind: 'other-device' } | { kind: 'unknown-identity' } | { kind: 'random'; key: Uint8Array };
const WRONG_KEYS: fc.Arbitrary<WrongKey> = fc.oneof(
  fc.constant({ kind: 'text' as const }),
  fc.constant({ kind: 'other-device' as const }),
  fc.constant({ kind: 'unknown-identity' as const }),
  fc.record({ kind: fc.constant('random' as const), key: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
);

reqProperty<[WrongKey]>(['COAP-014'], 'a DTLS handshake with a wrong key or an unknown identity fails', [WRONG_KEYS], async (h, wrong) => {
  const a = product.device('alpha');
  const b = product.device('beta');
  const own = Buffer.from(a.psk, 'base64');
  const o: { key?: Buffer; identity?: string } = wrong.kind === 'text' ? { key: Buffer.from(a.psk) }
    : wrong.kind === 'other-device' ? { key: Buffer.from(b.psk, 'base64') }
    : wrong.kind === 'unknown-identity' ? { identity: `${a.productId}nosuch${randomBytes(3).toString('hex')}` }
    : { key: Buffer.from(wrong.key) };
  fc.pre(!o.key?.equals(own));
  // a record with a bad MAC is dropped silently in DTLS (RFC 6347 §4.1.2.7), so a wrong key shows as a handshake that never completes
  await expect(h.coaps(a, { ...o, timeoutMs: 1000 }), `handshake with ${wrong.kind}`).rejects.toThrow();
  // the hub still serves the right key
  const good = await h.coaps(a);
  expect((await good.auth(a.productId, a.deviceName))?.code).toBe('2.05');
}, { numRuns: 4, examples: [[{ kind: 'text' }], [{ kind: 'other-device' }], [{ kind: 'unknown-identity' }]] });

req(['COAP-015'], 'a DTLS session authenticated as one device cannot get a token for another', async (h) => {
  const a = product.device('alpha');
  const b = product.device('beta');
  const coap = await h.coaps(a);
  const other = await coap.auth(b.productId, b.deviceName);
  expect(other?.code, "auth naming the other device is refused").toMatch(/^4\./);
  expect((await coap.auth(a.productId, a.deviceName))?.code, 'its own device is authenticated').toBe('2.05');
});
