// Dynamic registration (protocol.md §8.5): POST /device/register signed with the ProductSecret, the encrypted answer the
// official SDKs decrypt, RegisterType and RegisterLimit, UpdateProductDynamicRegister, and the legacy C SDK's /register/dev.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect } from 'vitest';
import { ApiError, CloudApi } from '../src/client/cloud-api.js';
import type { GatewayAnswer, GatewayCall } from '../src/client/http-device.js';
import { decryptRegisterPayload, gatewayStringToSign, legacyRegisterBody, legacyRegisterSignature, OFFICIAL_GATEWAY_HOSTS, signGatewayRequest } from '../src/protocol/http-sign.js';
import { GATEWAY_ERROR, gateway, gatewayUrl } from './support/gateway.js';
import { currentTarget, req, reqProperty, type Harness } from './support/harness.js';
import { uniqueName, useProduct, type DeviceCredentials } from './support/provision.js';

// One product per concern, so the RegisterType a test sets never meets another test's devices.
const basics = useProduct('dynreg', { devices: ['known'] });
const types = useProduct('dynreg_types', { devices: ['known'] });
const tamper = useProduct('dynreg_tamper', { devices: ['holder'] });
const names = useProduct('dynreg_names', { devices: [] });
const sdk = useProduct('dynreg_sdk', { devices: [] });
const legacy = useProduct('dynreg_legacy', { devices: ['old'] });
const barred = useProduct('dynreg_forbidden', { devices: [] });

/** Devices registration created, deleted after the file so the fixtures' products can be removed. */
const created: { productId: string; deviceName: string }[] = [];
afterAll(async () => {
  const target = currentTarget();
  if (!target.endpoints.api) return;
  const api = new CloudApi({ endpoint: target.endpoints.api, ...target.cloudApi });
  for (const d of created) await api.call('DeleteDevice', { ProductId: d.productId, DeviceName: d.deviceName }).catch(() => {});
});

const fresh = (prefix: string) => uniqueName(prefix).slice(0, 48);

interface Registration { RegisterType: number; ProductSecret: string; RegisterLimit: number }

/** Sets the product's registration through UpdateProductDynamicRegister and answers its ProductSecret. */
async function configure(h: Harness, productId: string, registerType: 0 | 1 | 2, registerLimit = 100): Promise<string> {
  const r = await h.api().call<Registration>('UpdateProductDynamicRegister', { ProductId: productId, RegisterType: registerType, RegisterLimit: registerLimit });
  expect([r.RegisterType, r.RegisterLimit], 'UpdateProductDynamicRegister answers what was set').toEqual([registerType, registerLimit]);
  expect(r.ProductSecret.length, 'a ProductSecret of at least 16 characters (the AES key)').toBeGreaterThanOrEqual(16);
  return r.ProductSecret;
}

function register(h: Harness, productId: string, deviceName: string, secret: string, call: Partial<GatewayCall> = {}): Promise<GatewayAnswer> {
  created.push({ productId, deviceName });
  return gateway(h).call({ path: '/device/register', body: { ProductId: productId, DeviceName: deviceName }, secret, ...call });
}

/** Checks a successful answer and decrypts it as the SDKs do: the plaintext JSON, and nothing but zero bytes after Len. */
function decrypted(h: Harness, a: GatewayAnswer, secret: string, what: string): Record<string, unknown> {
  expect(a.json?.Response?.Error, `${what}: registered (HTTP ${a.status} ${a.text.slice(0, 200)})`).toBeUndefined();
  expect(a.status, what).toBe(200);
  h.expectSchema('http-gateway.schema.json#/$defs/registerResponse', a.json, `HTTP answer to /device/register (${what})`);
  const r = a.json!.Response as { Len: number; Payload: string };
  const p = decryptRegisterPayload(r.Payload, secret, r.Len);
  expect([...p.padding].filter((b) => b !== 0), `${what}: the bytes after Len are zero padding`).toEqual([]);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(p.plaintext) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: the first Len bytes do not decrypt to JSON (key = first 16 characters of the ProductSecret, IV = 16 × "0"): ${JSON.stringify(p.bytes.toString('latin1'))}`);
  }
  expect(Buffer.byteLength(p.plaintext), `${what}: Len is the plaintext's length in bytes`).toBe(r.Len);
  h.expectSchema('http-gateway.schema.json#/$defs/registerPlaintext', body, `decrypted /device/register payload (${what})`);
  return body;
}

function expectRefused(h: Harness, a: GatewayAnswer, what: string, code?: string): void {
  expect(a.json?.Response?.Error?.Code, `${what}: refused with Response.Error (HTTP ${a.status} ${a.text.slice(0, 200)})`).toEqual(code ?? expect.any(String));
  h.expectSchema(GATEWAY_ERROR, a.json, `HTTP answer to /device/register (${what})`);
}

async function exists(h: Harness, productId: string, deviceName: string): Promise<boolean> {
  try {
    await h.api().call('DescribeDevice', { ProductID: productId, DeviceName: deviceName });
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.code === 'ResourceNotFound.DeviceNotExist') return false;
    throw e;
  }
}

async function deviceCount(h: Harness, productId: string): Promise<number> {
  return (await h.api().call<{ TotalCount: number }>('DescribeDevices', { ProductId: productId, Offset: 0, Limit: 10 })).TotalCount;
}

/** The psk logs the device in over MQTT (a refused login throws). */
async function logsIn(h: Harness, c: DeviceCredentials): Promise<void> {
  const d = await h.device(c, { label: `${c.deviceName}-registered` });
  await d.end();
}

describe('/device/register', () => {
  req(['HTTP-019', 'HTTP-022'], 'a pre-created device registers: its PSK comes back AES-128-CBC encrypted with the ProductSecret, zero-padded', async (h) => {
    const c = basics.device('known');
    const secret = await configure(h, c.productId, 1, 7);
    const described = await h.api().call<{ ProductProperties: Record<string, unknown> }>('DescribeProduct', { ProductId: c.productId });
    expect(described.ProductProperties, 'DescribeProduct shows the registration settings').toMatchObject({ RegisterType: 1, RegisterLimit: 7, ProductSecret: secret });
    const body = decrypted(h, await register(h, c.productId, c.deviceName, secret), secret, 'pre-created device');
    expect(body).toEqual({ encryptionType: 2, psk: c.psk });
  });

  req(['HTTP-022', 'HTTP-019'], 'a ProductSecret given to CreateProduct signs registrations and keys the answer', async (h) => {
    const api = h.api();
    const secret = 'hzvf5LF9S0isvBhDSauWMaIk'; // appendix vector C2's
    const p = await api.call<{ ProductId: string; ProductProperties: Record<string, unknown> }>('CreateProduct', {
      ProductName: fresh('dynreg_given').slice(0, 32),
      ProductProperties: { EncryptionType: '2', RegisterType: 2, ProductSecret: secret, RegisterLimit: 3 },
    });
    try {
      expect(p.ProductProperties).toMatchObject({ RegisterType: 2, ProductSecret: secret, RegisterLimit: 3 });
      const described = await api.call<{ ProductProperties: Record<string, unknown> }>('DescribeProduct', { ProductId: p.ProductId });
      expect(described.ProductProperties).toMatchObject({ RegisterType: 2, ProductSecret: secret, RegisterLimit: 3 });
      const name = fresh('given');
      const body = decrypted(h, await register(h, p.ProductId, name, secret), secret, 'product with a given secret');
      expect(body.encryptionType).toBe(2);
    } finally {
      const devices = await api.call<{ Devices: { DeviceName: string }[] }>('DescribeDevices', { ProductId: p.ProductId, Offset: 0, Limit: 10 });
      for (const d of devices.Devices) await api.call('DeleteDevice', { ProductId: p.ProductId, DeviceName: d.DeviceName });
      await api.call('DeleteProduct', { ProductId: p.ProductId });
    }
  });

  req(['HTTP-020', 'HTTP-021'], 'with RegisterType 2 an unknown name is created, and the psk it is answered with logs it in over MQTT', async (h) => {
    const productId = basics.productId;
    const secret = await configure(h, productId, 2, 50);
    const name = fresh('auto');
    expect(await exists(h, productId, name), 'not there before').toBe(false);
    const body = decrypted(h, await register(h, productId, name, secret), secret, 'unknown name, RegisterType 2');
    expect(await exists(h, productId, name), 'created by registration').toBe(true);
    await logsIn(h, { productId, deviceName: name, psk: body.psk as string });
    // registering again answers the same device's psk
    const again = decrypted(h, await register(h, productId, name, secret), secret, 'the same name again');
    expect(again.psk).toBe(body.psk);
  });

  req(['HTTP-021'], 'RegisterType 0 refuses every name, 1 refuses unknown names, 2 stops at RegisterLimit; refusals create nothing', async (h) => {
    const c = types.device('known');
    const { productId } = c;
    let secret = await configure(h, productId, 0);
    expectRefused(h, await register(h, productId, c.deviceName, secret), 'RegisterType 0, pre-created device');
    const ghost0 = fresh('off');
    expectRefused(h, await register(h, productId, ghost0, secret), 'RegisterType 0, unknown name');
    expect(await exists(h, productId, ghost0), 'RegisterType 0 created nothing').toBe(false);

    secret = await configure(h, productId, 1);
    expect(decrypted(h, await register(h, productId, c.deviceName, secret), secret, 'RegisterType 1, pre-created device').psk).toBe(c.psk);
    const ghost1 = fresh('pre');
    expectRefused(h, await register(h, productId, ghost1, secret), 'RegisterType 1, unknown name');
    expect(await exists(h, productId, ghost1), 'RegisterType 1 created nothing').toBe(false);

    secret = await configure(h, productId, 2, 2);
    const made = [fresh('lim1'), fresh('lim2')];
    for (const name of made) decrypted(h, await register(h, productId, name, secret), secret, `RegisterType 2, ${name}`);
    const third = fresh('lim3');
    expectRefused(h, await register(h, productId, third, secret), 'RegisterType 2, one past RegisterLimit 2');
    expect(await exists(h, productId, third), 'nothing created past the limit').toBe(false);
    expect(decrypted(h, await register(h, productId, c.deviceName, secret), secret, 'RegisterType 2, pre-created device at the limit').psk).toBe(c.psk);
  });
});

type Tamper =
  | { kind: 'key'; key: 'psk' | 'other-product' | 'appended' | 'aes-part' | 'case' }
  | { kind: 'signature'; at: number }
  | { kind: 'body' }
  | { kind: 'timestamp'; delta: number }
  | { kind: 'nonce'; delta: number }
  | { kind: 'algorithm' }
  | { kind: 'path' }
  | { kind: 'stale'; skew: number };

const tampers: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant('key' as const), key: fc.constantFrom('psk' as const, 'other-product' as const, 'appended' as const, 'aes-part' as const, 'case' as const) }),
  fc.record({ kind: fc.constant('signature' as const), at: fc.nat({ max: 43 }) }),
  fc.record({ kind: fc.constant('body' as const) }),
  fc.record({ kind: fc.constant('timestamp' as const), delta: fc.oneof(fc.constantFrom(-1, 1), fc.integer({ min: -250, max: 250 }).filter((d) => d !== 0)) }),
  fc.record({ kind: fc.constant('nonce' as const), delta: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ kind: fc.constant('algorithm' as const) }),
  fc.record({ kind: fc.constant('path' as const) }),
  // ahead by 305 s, not 301: the hub's clock moves on while the request travels, which only shrinks a future skew
  fc.record({ kind: fc.constant('stale' as const), skew: fc.oneof(fc.constantFrom(305, -301, 86_400), fc.integer({ min: 305, max: 10_000_000 }), fc.integer({ min: -10_000_000, max: -302 })) }),
);

/** Changes one Base64 character of a signature (never to itself). */
function flipAt(sig: string, at: number): string {
  const i = at % sig.replace(/=+$/, '').length;
  return sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1);
}

describe('refusals', () => {
  req(['HTTP-012', 'HTTP-019'], 'a registration whose Content-Type is not application/json is refused and creates nothing', async (h) => {
    const { productId } = basics;
    const secret = await configure(h, productId, 2, 150);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'text/x-application/json', 'application/jsonp']) {
      const name = fresh('ctype');
      expectRefused(h, await register(h, productId, name, secret, { contentType }), `Content-Type ${contentType}`);
      expect(await exists(h, productId, name), `nothing created for Content-Type ${contentType}`).toBe(false);
    }
  });

  req(['HTTP-022', 'API-027'], 'UpdateProductDynamicRegister on a forbidden product fails with UnauthorizedOperation.ProductIsForbidden', async (h) => {
    const api = h.api();
    await api.call('SetProductsForbiddenStatus', { ProductID: [barred.productId], Status: 1 });
    try {
      const code = await api.call('UpdateProductDynamicRegister', { ProductId: barred.productId, RegisterType: 2, RegisterLimit: 10 }).then(() => 'ok', (e: unknown) => (e instanceof ApiError ? e.code : String(e)));
      expect(code).toBe('UnauthorizedOperation.ProductIsForbidden');
    } finally {
      await api.call('SetProductsForbiddenStatus', { ProductID: [barred.productId], Status: 0 });
    }
  });

  reqProperty(['HTTP-023'], 'a registration not signed with the ProductSecret over exactly what was sent, or with a stale timestamp, creates nothing', [tampers], async (h, t) => {
    const { productId } = tamper;
    const secret = await configure(h, productId, 2, 150);
    const name = fresh('tamper');
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ ProductId: productId, DeviceName: name });
    const call: GatewayCall = { path: '/device/register', body, secret, timestamp: now, nonce: 777 };
    const signature = () => {
      const url = new URL(call.path, gatewayUrl(h));
      return signGatewayRequest({ secret: call.secret, host: url.hostname, uri: url.pathname, algorithm: 'hmacsha256', timestamp: now, nonce: 777, body }).signature;
    };
    const otherName = `${name}x`;
    switch (t.kind) {
      case 'key':
        call.secret = {
          psk: tamper.device('holder').psk,
          'other-product': await configure(h, names.productId, 2, 150),
          appended: `${secret}x`,
          'aes-part': secret.slice(0, 16),
          case: secret === secret.toLowerCase() ? secret.toUpperCase() : secret.toLowerCase(),
        }[t.key];
        break;
      case 'signature': call.headers = { 'X-TC-Signature': flipAt(signature(), t.at) }; break;
      case 'body': call.sentBody = JSON.stringify({ ProductId: productId, DeviceName: otherName }); break;
      case 'timestamp': call.headers = { 'X-TC-Timestamp': String(now + t.delta) }; break;
      case 'nonce': call.headers = { 'X-TC-Nonce': String(777 + t.delta) }; break;
      case 'algorithm': call.headers = { 'X-TC-Algorithm': 'hmacsha1' }; break;
      case 'path': call.headers = { 'X-TC-Signature': signGatewayRequest({ secret, host: new URL(gatewayUrl(h)).hostname, uri: '/device/publish', algorithm: 'hmacsha256', timestamp: now, nonce: 777, body }).signature }; break;
      case 'stale': call.timestamp = now + t.skew; break;
    }
    created.push({ productId, deviceName: name }, { productId, deviceName: otherName });
    const a = await gateway(h).call(call);
    expectRefused(h, a, t.kind, t.kind === 'stale' ? 'InvalidParameterValue' : undefined);
    expect(await exists(h, productId, name), 'the signed name was not created').toBe(false);
    expect(await exists(h, productId, otherName), 'the sent name was not created').toBe(false);
  }, { numRuns: 30 });

  req(['HTTP-023'], 'every other key is refused and creates nothing: a device PSK, another product\'s secret, the first 16 characters (the AES key), a longer or re-cased secret', async (h) => {
    const { productId } = tamper;
    const secret = await configure(h, productId, 2, 150);
    const keys: [string, string][] = [
      ['a device PSK', tamper.device('holder').psk],
      ['another product\'s secret', await configure(h, names.productId, 2, 150)],
      ['the first 16 characters', secret.slice(0, 16)],
      ['the secret and one more character', `${secret}x`],
      ['the secret in another case', secret === secret.toLowerCase() ? secret.toUpperCase() : secret.toLowerCase()],
    ];
    for (const [what, key] of keys) {
      const name = fresh('wrongkey');
      expectRefused(h, await register(h, productId, name, key), what, 'AuthFailure.SignatureFailure');
      expect(await exists(h, productId, name), `${what}: nothing created`).toBe(false);
    }
    decrypted(h, await register(h, productId, fresh('rightkey'), secret), secret, 'the ProductSecret itself');
  });

  // protocol.md §8.2 names HmacSha256 and HmacSha1 only; a hub must not fall back to HMAC-SHA256 for any other name.
  req(['HTTP-023'], 'an X-TC-Algorithm other than hmacsha256 or hmacsha1 is refused and creates nothing, even signed with HMAC-SHA256 over that name', async (h) => {
    const { productId } = tamper;
    const secret = await configure(h, productId, 2, 150);
    const host = new URL(gatewayUrl(h)).hostname;
    for (const algorithm of ['hmacsha512', 'HmacSha384', 'md5', 'sha256', 'hmacsha256x']) {
      const name = fresh('algo');
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ ProductId: productId, DeviceName: name });
      const stringToSign = gatewayStringToSign({ host, uri: '/device/register', algorithm, timestamp, nonce: 777, body });
      const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(stringToSign).digest('base64');
      const a = await register(h, productId, name, secret, { body, timestamp, nonce: 777, headers: { 'X-TC-Algorithm': algorithm, 'X-TC-Signature': signature } });
      expectRefused(h, a, `X-TC-Algorithm ${algorithm}`);
      expect(await exists(h, productId, name), `X-TC-Algorithm ${algorithm}: nothing created`).toBe(false);
    }
    const name = fresh('algo');
    decrypted(h, await register(h, productId, name, secret, { algorithm: 'HmacSha256' }), secret, 'X-TC-Algorithm HmacSha256');
  });

  const validName = fc.oneof(
    fc.constantFrom('a', 'Z', '0', ':', '_', '-', 'n'.repeat(48), ':_-:_-'),
    fc.stringMatching(/^[a-zA-Z0-9:_-]{1,48}$/),
  );
  const invalidName = fc.oneof(
    fc.constantFrom('', 'n'.repeat(49), 'x'.repeat(200)),
    fc.tuple(fc.stringMatching(/^[a-zA-Z0-9_]{0,20}$/), fc.constantFrom('/', '#', '+', ' ', '.', '$', 'é', '中', '\n', '"', '\\'), fc.stringMatching(/^[a-zA-Z0-9_]{0,20}$/)).map(([a, bad, b]) => a + bad + b),
  );

  reqProperty(['HTTP-028'], 'names of 1–48 characters of [a-zA-Z0-9:_-] register, any other name is refused and creates nothing', [fc.oneof(validName.map((n) => ({ n, valid: true })), invalidName.map((n) => ({ n, valid: false })))], async (h, { n, valid }) => {
    const { productId } = names;
    const secret = await configure(h, productId, 2, 150);
    const before = await deviceCount(h, productId);
    const a = await register(h, productId, n, secret);
    if (valid) {
      const body = decrypted(h, a, secret, JSON.stringify(n));
      const d = await h.api().call<{ DevicePsk: string }>('DescribeDevice', { ProductID: productId, DeviceName: n });
      expect(d.DevicePsk, 'the psk answered is the device\'s').toBe(body.psk);
    } else {
      expectRefused(h, a, JSON.stringify(n));
      expect(await deviceCount(h, productId), 'no device was created').toBe(before);
    }
  }, { numRuns: 30 });
});

describe('official SDK signatures', () => {
  req(['HTTP-027'], 'the Python/Java signature (fixed host) and the C SDK\'s (hmacsha1, SHA-1 body hash) register, and the C SDK\'s answer fits its 256-byte buffer', async (h) => {
    const { productId } = sdk;
    const secret = await configure(h, productId, 2, 20);
    const styles: [string, Partial<GatewayCall>][] = [
      ['Python SDK', { signedHost: 'ap-guangzhou.gateway.tencentdevices.com', contentType: 'application/json; charset=utf-8' }],
      ['Java SDK', { signedHost: 'ap-guangzhou.gateway.tencentdevices.com', contentType: 'application/json;charset=UTF-8' }],
      ...OFFICIAL_GATEWAY_HOSTS.map((host): [string, Partial<GatewayCall>] => [`C SDK (${host})`, { signedHost: host, algorithm: 'hmacsha1', bodyHash: 'sha1', contentType: 'application/json; charset=utf-8' }]),
    ];
    for (const [what, call] of styles) {
      const name = fresh('sdk');
      // the SDKs format the body themselves: {"ProductId":"…","DeviceName":"…"}
      const a = await register(h, productId, name, secret, { ...call, body: `{"ProductId":"${productId}","DeviceName":"${name}"}` });
      const body = decrypted(h, a, secret, what);
      expect(body.encryptionType, what).toBe(2);
      if (what.startsWith('C SDK')) expect(Buffer.byteLength(a.text), `${what}: the answer fits DYN_RESPONSE_BUFF_LEN (256) with its NUL`).toBeLessThanOrEqual(255);
    }
  });

  req(['HTTP-024'], 'a certificate product registers a certificate and key that log the device in over TLS', async (h) => {
    if (!h.target.capabilities.includes('cert-auth')) return h.ctx.skip('the target does not offer cert-auth, which logging in with the registered certificate needs');
    const api = h.api();
    const p = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: fresh('dynreg_cert').slice(0, 32), ProductProperties: { EncryptionType: '1' } });
    const name = fresh('certdev');
    try {
      const secret = await configure(h, p.ProductId, 2, 5);
      const body = decrypted(h, await register(h, p.ProductId, name, secret), secret, 'certificate product');
      expect(body.encryptionType).toBe(1);
      const d = await h.certDevice({ productId: p.ProductId, deviceName: name, cert: body.clientCert as string, key: body.clientKey as string });
      await d.end();
    } finally {
      await api.call('DeleteDevice', { ProductId: p.ProductId, DeviceName: name }).catch(() => {});
      await api.call('DeleteProduct', { ProductId: p.ProductId });
    }
  });
});

/** Posts the legacy C SDK's /register/dev request (form content type, JSON body). */
function legacyRegister(h: Harness, productId: string, deviceName: string, productSecret: string, o: { signature?: string; nonce?: number } = {}): Promise<GatewayAnswer> {
  created.push({ productId, deviceName });
  const body = legacyRegisterBody({ productSecret, productId, deviceName, nonce: o.nonce ?? 1804289383, timestamp: Math.floor(Date.now() / 1000), ...(o.signature ? { signature: o.signature } : {}) });
  return gateway(h).post('/register/dev', body, { contentType: 'application/x-www-form-urlencoded' });
}

describe('legacy C SDK /register/dev', () => {
  req(['HTTP-025'], 'a /register/dev request signed with Base64 of the hex HMAC-SHA1 gets code 0 and a payload whose psk logs in', async (h) => {
    const c = legacy.device('old');
    const secret = await configure(h, c.productId, 2, 20);
    for (const [what, name] of [['pre-created device', c.deviceName], ['unknown name', fresh('legacy')]] as const) {
      const a = await legacyRegister(h, c.productId, name, secret);
      h.expectSchema('http-gateway.schema.json#/$defs/legacyRegisterResponse', a.json, `HTTP answer to /register/dev (${what})`);
      expect(a.json?.code, `${what}: code 0 (${a.text.slice(0, 200)})`).toBe(0);
      // no Len here: the C SDK reads the decrypted bytes as a C string, so the JSON ends at the first NUL
      const bytes = decryptRegisterPayload(a.json!.payload as string, secret, 16).bytes;
      const end = bytes.indexOf(0);
      expect(end, `${what}: a NUL ends the plaintext`).toBeGreaterThan(0);
      expect([...bytes.subarray(end)].filter((b) => b !== 0), `${what}: zero padding`).toEqual([]);
      const body = JSON.parse(bytes.subarray(0, end).toString('utf8')) as { encryptionType: number; psk: string };
      h.expectSchema('http-gateway.schema.json#/$defs/registerPlaintext', body, `decrypted /register/dev payload (${what})`);
      if (name === c.deviceName) expect(body.psk).toBe(c.psk);
      await logsIn(h, { productId: c.productId, deviceName: name, psk: body.psk });
    }
  });

  req(['HTTP-026'], 'wrong /register/dev signatures get code 1010 "Check signature failed" and create nothing', async (h) => {
    const { productId } = legacy;
    const secret = await configure(h, productId, 2, 20);
    const ts = Math.floor(Date.now() / 1000);
    const input = { productSecret: secret, productId, nonce: 42, timestamp: ts };
    const wrong: [string, (name: string) => string][] = [
      ['another key', (name) => legacyRegisterSignature({ ...input, deviceName: name, productSecret: `${secret}x` })],
      ['Base64 of the raw HMAC (as the X-TC signatures are)', (name) => createHmac('sha1', secret).update(`deviceName=${name}&nonce=42&productId=${productId}&timestamp=${ts}`).digest('base64')],
      ['the hex HMAC without Base64', (name) => createHmac('sha1', secret).update(`deviceName=${name}&nonce=42&productId=${productId}&timestamp=${ts}`).digest('hex')],
      ['signed over another nonce', (name) => legacyRegisterSignature({ ...input, deviceName: name, nonce: 43 })],
      ['signed over another device name', (name) => legacyRegisterSignature({ ...input, deviceName: `${name}x` })],
    ];
    for (const [what, sign] of wrong) {
      const name = fresh('legbad');
      const a = await gateway(h).post('/register/dev', legacyRegisterBody({ ...input, deviceName: name, signature: sign(name) }), { contentType: 'application/x-www-form-urlencoded' });
      created.push({ productId, deviceName: name });
      h.expectSchema('http-gateway.schema.json#/$defs/legacyRegisterResponse', a.json, `HTTP answer to /register/dev (${what})`);
      expect([a.json?.code, a.json?.message], `${what} (${a.text.slice(0, 200)})`).toEqual([1010, 'Check signature failed']);
      expect(await exists(h, productId, name), `${what}: nothing created`).toBe(false);
    }
    // the same request correctly signed is accepted, so the refusals above were the signature's
    const ok = fresh('leggood');
    expect((await legacyRegister(h, productId, ok, secret, { nonce: 42 })).json?.code).toBe(0);
  });
});
