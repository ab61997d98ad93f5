// The device HTTP endpoints over HTTPS, and the server names the official SDKs check when they reach the hub through a
// hosts file (protocol.md §1.2, §4, §6.2, §8; compat.md; docs/official-sdks.md).
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import fc from 'fast-check';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { CloudApi } from '../src/client/cloud-api.js';
import { deviceLogin, EXPIRY_LONG_MAX, formatUsername } from '../src/protocol/credentials.js';
import { signGatewayRequest } from '../src/protocol/http-sign.js';
import { gatewayUrl } from './support/gateway.js';
import { currentTarget, req, reqProperty, type CertCredentials, type Harness } from './support/harness.js';
import { uniqueName, useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const product = useProduct('https', { devices: ['poster', 'keytls', 'pskdev', 'logger'] });

/** The hosts the official SDKs connect to (C SDK qcloud_iot_common.h, Python hub/hub.py, Java TXMqttConstants/TXHTTPPulish). */
const mqttHost = (productId: string) => `${productId}.iotcloud.tencentdevices.com`;
const wsHost = (productId: string) => `${productId}.ap-guangzhou.iothub.tencentdevices.com`;
const GATEWAY_HOST = 'ap-guangzhou.gateway.tencentdevices.com';
/** A name no hub's certificate carries (RFC 2606 .invalid): the client must refuse it, or the name checks above prove nothing. */
const FOREIGN_HOST = 'hubcheck-not-this-hub.invalid';

/** A certificate product (EncryptionType "1") with one device, when the target offers certificate devices. */
let cert: CertCredentials | undefined;
let certApi: CloudApi | undefined;

beforeAll(async () => {
  const t = currentTarget();
  if (!t.capabilities.includes('cert-auth') || !t.endpoints.api) return;
  certApi = new CloudApi({ endpoint: t.endpoints.api, ...t.cloudApi });
  const p = await certApi.call<{ ProductId: string }>('CreateProduct', {
    ProductName: uniqueName('httpscert').slice(0, 32),
    ProductProperties: { ProductDescription: 'hubcheck certificate fixture', EncryptionType: '1' },
  });
  const d = await certApi.call<{ DeviceCert: string; DevicePrivateKey: string }>('CreateDevice', { ProductId: p.ProductId, DeviceName: 'cdev' });
  cert = { productId: p.ProductId, deviceName: 'cdev', cert: d.DeviceCert, key: d.DevicePrivateKey };
}, 60_000);

afterAll(async () => {
  if (!cert || !certApi) return;
  await certApi.call('DeleteDevice', { ProductId: cert.productId, DeviceName: cert.deviceName }).catch(() => {});
  await certApi.call('DeleteProduct', { ProductId: cert.productId }).catch(() => {});
});

function needs(h: Harness, capability: string): void {
  if (!h.target.capabilities.includes(capability)) h.ctx.skip(`the target does not offer ${capability}`);
}

function certDevice(h: Harness): CertCredentials {
  needs(h, 'cert-auth');
  if (!cert) throw new Error('the certificate device was not created (the target offers cert-auth but no cloud API to create it)');
  return cert;
}

function httpsEndpoint(h: Harness): string {
  const url = h.target.endpoints.https;
  if (!url) throw new Error('the target offers https-endpoints but declares no endpoints.https: add it to the descriptor, or list https-endpoints under capabilities.missing');
  return url;
}

const trusted = (h: Harness) => (h.target.tls ? { ca: h.target.tls.ca } : {});

/**
 * Connects with mqtt.js to the endpoint's address while naming `servername` in the TLS handshake (SNI) and checking the
 * server certificate against it, as an SDK does after a hosts file maps the name to the hub; then proves the session with a
 * message loop on the device's own data topic.
 */
async function loginByName(h: Harness, url: string, servername: string, who: { productId: string; deviceName: string }, o: IClientOptions): Promise<void> {
  h.trace.add('mqtt.js', `connect ${url} as ${servername}`);
  const secure = { ...trusted(h), servername, rejectUnauthorized: true };
  let client: MqttClient | undefined;
  try {
    client = await mqtt.connectAsync(url, {
      ...secure, ...(url.startsWith('wss:') ? { wsOptions: secure } : {}),
      protocolVersion: 4, reconnectPeriod: 0, connectTimeout: ROUND_TRIP_LIMIT_MS, ...o,
    });
    const topic = `${who.productId}/${who.deviceName}/data`;
    await client.subscribeAsync(topic, { qos: 1 });
    const marker = `names-${randomBytes(4).toString('hex')}`;
    const back = new Promise<boolean>((resolve) => client!.on('message', (t, p) => { if (t === topic && p.toString() === marker) resolve(true); }));
    await client.publishAsync(topic, marker, { qos: 1 });
    const got = await Promise.race([back, new Promise<boolean>((r) => setTimeout(() => r(false), ROUND_TRIP_LIMIT_MS))]);
    expect(got, `message loop over ${url} as ${servername}`).toBe(true);
  } finally {
    await client?.endAsync(true);
  }
}

/** The error code a connection checked against `servername` fails with ('' when it succeeds). */
async function nameRefusal(h: Harness, url: string, servername: string, o: IClientOptions): Promise<string> {
  const secure = { ...trusted(h), servername, rejectUnauthorized: true };
  try {
    const c = await mqtt.connectAsync(url, { ...secure, ...(url.startsWith('wss:') ? { wsOptions: secure } : {}), reconnectPeriod: 0, connectTimeout: ROUND_TRIP_LIMIT_MS, ...o });
    await c.endAsync(true);
    return '';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

const certLogin = (c: CertCredentials): IClientOptions => ({
  clientId: `${c.productId}${c.deviceName}`,
  username: formatUsername({ clientId: `${c.productId}${c.deviceName}`, sdkappid: '12010126', connid: 'names', expiry: EXPIRY_LONG_MAX }),
  cert: c.cert,
  key: c.key,
});

describe('server names the official SDKs check', () => {
  req(['TLS-019'], 'a certificate device logs in over MQTT/TLS with SNI <productId>.iotcloud.tencentdevices.com checked against the CA', async (h) => {
    needs(h, 'tls');
    const c = certDevice(h);
    await loginByName(h, h.endpoint('tls'), mqttHost(c.productId), c, certLogin(c));
    expect(await nameRefusal(h, h.endpoint('tls'), FOREIGN_HOST, certLogin(c)), `a client checking ${FOREIGN_HOST} must refuse the certificate`).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  req(['TLS-019'], 'a key device\'s signed login over MQTT/TLS with SNI <productId>.iotcloud.tencentdevices.com checked against the CA', async (h) => {
    needs(h, 'tls');
    const d = product.device('keytls');
    const login = deviceLogin(d, { method: 'hmacsha1', sdkappid: '21010406' });
    await loginByName(h, h.endpoint('tls'), mqttHost(d.productId), d, login);
    expect(await nameRefusal(h, h.endpoint('tls'), FOREIGN_HOST, login), `a client checking ${FOREIGN_HOST} must refuse the certificate`).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  req(['TLS-019'], 'TLS-PSK with the C SDK\'s SNI <productId>.iotcloud.tencentdevices.com logs in', async (h) => {
    needs(h, 'tls');
    needs(h, 'tls-psk');
    const d = product.device('pskdev');
    const clientId = `${d.productId}${d.deviceName}`;
    await loginByName(h, h.endpoint('tls'), mqttHost(d.productId), d, {
      clientId,
      username: formatUsername({ clientId, sdkappid: '21010406', connid: 'psk01', expiry: EXPIRY_LONG_MAX }),
      // The C SDK's suites; the key is the decoded PSK and authenticates the server (no certificate is sent).
      ciphers: 'PSK-AES128-CBC-SHA:PSK-AES256-CBC-SHA',
      maxVersion: 'TLSv1.2',
      pskCallback: () => ({ identity: clientId, psk: Buffer.from(d.psk, 'base64') }),
      checkServerIdentity: () => undefined,
    } as IClientOptions);
  });

  req(['TLS-020'], 'a certificate device logs in over WSS with SNI <productId>.ap-guangzhou.iothub.tencentdevices.com checked against the CA', async (h) => {
    needs(h, 'wss');
    const c = certDevice(h);
    await loginByName(h, h.endpoint('wss'), wsHost(c.productId), c, certLogin(c));
    expect(await nameRefusal(h, h.endpoint('wss'), FOREIGN_HOST, certLogin(c)), `a client checking ${FOREIGN_HOST} must refuse the certificate`).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  req(['TLS-021'], `HTTPS as ${GATEWAY_HOST}: the certificate verifies for that name, and a publish with that Host is answered`, async (h) => {
    needs(h, 'https-endpoints');
    const c = product.device('poster');
    const body = JSON.stringify({ ProductId: c.productId, DeviceName: c.deviceName, TopicName: `${c.productId}/${c.deviceName}/data`, Payload: 'as-gateway', Qos: 0 });
    const a = await exchange(h, httpsEndpoint(h), { path: '/device/publish', body, headers: signed(c.psk, '/device/publish', body, GATEWAY_HOST), servername: GATEWAY_HOST, host: GATEWAY_HOST });
    expect(a.code, `answer as ${GATEWAY_HOST}: HTTP ${a.status} ${a.text.slice(0, 200)}`).toBeUndefined();
    expect(a.status).toBe(200);
    const foreign = await exchange(h, httpsEndpoint(h), { path: '/device/publish', body, headers: signed(c.psk, '/device/publish', body, FOREIGN_HOST), servername: FOREIGN_HOST, host: FOREIGN_HOST }).then(() => '', (e: NodeJS.ErrnoException) => e.code ?? e.message);
    expect(foreign, `a client checking ${FOREIGN_HOST} must refuse the certificate`).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});

interface Answer { status: number; code: string | undefined; text: string; body: Buffer; headers: IncomingHttpHeaders }
interface Call { method?: string; path: string; body?: string; headers?: Record<string, string>; servername?: string; host?: string }

/** One request on a fresh connection to an http:// or https:// endpoint (https: checked against the target's CA, and `servername` when given). */
function exchange(h: Harness, base: string, c: Call): Promise<Answer> {
  const u = new URL(base);
  const secure = u.protocol === 'https:';
  const method = c.method ?? 'POST';
  const headers: Record<string, string> = { ...(c.host ? { Host: c.host } : {}), ...c.headers };
  if (c.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(c.body));
  h.trace.add(secure ? 'https' : 'http', `→ ${method} ${u.origin}${c.path}${c.servername ? ` (as ${c.servername})` : ''} ${JSON.stringify(headers)} ${(c.body ?? '').slice(0, 200)}`);
  const options = {
    host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port), path: c.path, method, headers, agent: false, timeout: 10_000,
    ...(secure ? { ...trusted(h), ...(c.servername ? { servername: c.servername } : {}) } : {}),
  };
  return new Promise<Answer>((resolve, reject) => {
    const r = (secure ? httpsRequest : httpRequest)(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let code: string | undefined;
        try { code = (JSON.parse(text) as { Response?: { Error?: { Code?: string } } }).Response?.Error?.Code; } catch { code = undefined; }
        h.trace.add(secure ? 'https' : 'http', `← HTTP ${res.statusCode} ${text.slice(0, 240)}`);
        resolve({ status: res.statusCode ?? 0, code, text, body, headers: res.headers });
      });
    });
    r.on('timeout', () => r.destroy(new Error(`no answer from ${u.origin}${c.path} within 10 s`)));
    r.on('error', reject);
    r.end(c.body);
  });
}

/** X-TC-* headers for a gateway request signed with `secret` over `host` (the request Host without its port, HTTP-013). */
function signed(secret: string, path: string, body: string, host: string): Record<string, string> {
  const s = signGatewayRequest({ secret, host, uri: path, algorithm: 'hmacsha256', timestamp: Math.floor(Date.now() / 1000), nonce: Math.floor(Math.random() * 2 ** 31), body });
  return { 'Content-Type': 'application/json; charset=utf-8', ...s.headers };
}

const dataTopic = (c: DeviceCredentials) => `${c.productId}/${c.deviceName}/data`;

describe('device HTTP endpoints over HTTPS', () => {
  req(['HTTP-029'], 'a signed /device/publish over HTTPS reaches the subscriber; a badly signed one is refused and publishes nothing', async (h) => {
    const c = product.device('poster');
    const base = httpsEndpoint(h);
    const host = new URL(base).hostname.replace(/^\[|\]$/g, '');
    const listener = await h.device(c, { label: 'listener' });
    expect(await listener.subscribe(dataTopic(c), 1)).toBe(1);
    const publish = (payload: string, secret: string) => {
      const body = JSON.stringify({ ProductId: c.productId, DeviceName: c.deviceName, TopicName: dataTopic(c), Payload: payload, Qos: 1 });
      return exchange(h, base, { path: '/device/publish', body, headers: signed(secret, '/device/publish', body, host) });
    };
    const good = await publish('https-good', c.psk);
    expect(good.code, `signed publish: HTTP ${good.status} ${good.text.slice(0, 200)}`).toBeUndefined();
    expect(good.status).toBe(200);
    h.expectSchema('http-gateway.schema.json#/$defs/publishResponse', JSON.parse(good.text), 'HTTPS answer to /device/publish');
    const bad = await publish('https-bad', Buffer.from(randomBytes(16)).toString('base64'));
    expect(bad.code, 'badly signed publish refused with Response.Error').toEqual(expect.any(String));
    h.expectSchema('http-gateway.schema.json#/$defs/errorResponse', JSON.parse(bad.text), 'HTTPS answer to a badly signed /device/publish');
    await selfLoop(listener, dataTopic(c));
    expect(listener.received(dataTopic(c)).map((m) => m.payload.toString()).filter((p) => p.startsWith('https-'))).toEqual(['https-good']);
  });

  /** A firmware of the test product on the HTTP endpoint, for the download cases (undefined: the target serves none there). */
  let firmware: Promise<{ path: string; bytes: Buffer } | undefined> | undefined;
  const firmwareOnHttp = (h: Harness) => (firmware ??= (async () => {
    if (!h.target.capabilities.includes('ota') || !h.target.endpoints.api) return undefined;
    const bytes = randomBytes(3000);
    const version = `https.${Date.now() % 100000}`;
    const md5 = createHash('md5').update(bytes).digest('hex');
    // HubcheckFirmwareBase64: the reference hub's extension carrying the bytes (hub/README.md); the real API uploads to COS.
    await h.api().call('UploadFirmware', { ProductID: product.productId, FirmwareVersion: version, Md5sum: md5, FileSize: bytes.length, FirmwareName: `fw-${version}`, FirmwareDescription: 'hubcheck', HubcheckFirmwareBase64: bytes.toString('base64') });
    const { Url } = await h.api().call<{ Url: string }>('GetCOSURL', { ProductID: product.productId, FirmwareVersion: version });
    // The URL may name another listener (the reference hub serves firmware on port 80 when it may); what counts is
    // whether the plain HTTP endpoint serves the same path, since HTTPS must then serve it alike.
    const u = new URL(Url);
    const path = u.pathname + u.search;
    const plain = await exchange(h, gatewayUrl(h), { method: 'GET', path });
    return plain.status === 200 && createHash('md5').update(plain.body).digest('hex') === md5 ? { path, bytes } : undefined;
  })());

  type Kind =
    | 'publish' | 'publish-bad-signature' | 'publish-text-plain' | 'publish-get' | 'publish-no-topic'
    | 'reportlog' | 'reportlog-bad-signature' | 'register' | 'register-get'
    | 'firmware' | 'firmware-range' | 'firmware-range-past-end' | 'firmware-unknown-version' | 'firmware-post'
    | 'unknown-device-path' | 'unknown-path';
  const KINDS: Kind[] = [
    'publish', 'publish-bad-signature', 'publish-text-plain', 'publish-get', 'publish-no-topic',
    'reportlog', 'reportlog-bad-signature', 'register', 'register-get',
    'firmware', 'firmware-range', 'firmware-range-past-end', 'firmware-unknown-version', 'firmware-post',
    'unknown-device-path', 'unknown-path',
  ];

  /** The same request for either endpoint: signed over that endpoint's host, with a fresh nonce each time. */
  async function build(h: Harness, kind: Kind, who: 'known' | 'unknown', base: string): Promise<Call | undefined> {
    const d = product.device('logger');
    const c = { ...d, deviceName: who === 'known' ? d.deviceName : 'no_such_device' };
    const host = new URL(base).hostname.replace(/^\[|\]$/g, '');
    const json = (path: string, o: Record<string, unknown>, secret = c.psk, extra: Partial<Call> = {}): Call => {
      const body = JSON.stringify(o);
      return { path, body, headers: signed(secret, path, body, host), ...extra };
    };
    const wrongKey = Buffer.from('not the device key').toString('base64');
    const pub = { ProductId: c.productId, DeviceName: c.deviceName, TopicName: dataTopic(c), Payload: `alike-${kind}`, Qos: 0 };
    const log = { ProductId: c.productId, DeviceName: c.deviceName, Message: [`INFhubcheck alike ${kind}`] };
    switch (kind) {
      case 'publish': return json('/device/publish', pub);
      case 'publish-bad-signature': return json('/device/publish', pub, wrongKey);
      case 'publish-text-plain': { const r = json('/device/publish', pub); return { ...r, headers: { ...r.headers, 'Content-Type': 'text/plain' } }; }
      case 'publish-get': return { method: 'GET', path: '/device/publish' };
      case 'publish-no-topic': { const { TopicName: _t, ...rest } = pub; return json('/device/publish', rest); }
      case 'reportlog': return json('/device/reportlog', log);
      case 'reportlog-bad-signature': return json('/device/reportlog', log, wrongKey);
      // Signed with the device key, not the ProductSecret: refused (HTTP-023) wherever registration is served
      case 'register': return json('/device/register', { ProductId: c.productId, DeviceName: c.deviceName });
      case 'register-get': return { method: 'GET', path: '/device/register' };
      case 'unknown-device-path': return json('/device/nothing-here', pub);
      case 'unknown-path': return { method: 'GET', path: `/hubcheck-${randomBytes(3).toString('hex')}` };
      default: {
        const fw = await firmwareOnHttp(h);
        if (!fw) return undefined;
        if (kind === 'firmware') return { method: 'GET', path: fw.path };
        if (kind === 'firmware-range') return { method: 'GET', path: fw.path, headers: { Range: 'bytes=100-' } };
        if (kind === 'firmware-range-past-end') return { method: 'GET', path: fw.path, headers: { Range: `bytes=${fw.bytes.length + 10}-` } };
        if (kind === 'firmware-post') return { method: 'POST', path: fw.path, body: '' };
        return { method: 'GET', path: fw.path.replace(/[^/]+$/, 'no-such-version') };
      }
    }
  }

  const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

  reqProperty(['HTTP-030'], 'HTTPS answers every device HTTP request (publish, log upload, registration, firmware, unknown paths) as HTTP does',
    [fc.constantFrom(...KINDS), fc.constantFrom<'known' | 'unknown'>('known', 'known', 'unknown'), fc.boolean()],
    async (h, kind, who, httpsFirst) => {
      const plain = gatewayUrl(h);
      const secure = httpsEndpoint(h);
      const order = httpsFirst ? [secure, plain] : [plain, secure];
      const answers: Record<string, Answer> = {};
      for (const base of order) {
        const call = await build(h, kind, who, base);
        if (!call) return; // no firmware on the HTTP endpoint: nothing to compare
        answers[base] = await exchange(h, base, call);
      }
      const [a, b] = [answers[plain]!, answers[secure]!];
      const view = (x: Answer) => ({ status: x.status, code: x.code, ...(kind.startsWith('firmware') ? { md5: md5(x.body), range: x.headers['content-range'] } : {}) });
      expect(view(b), `${kind} (${who} device) over HTTPS vs HTTP: HTTPS ${b.status} ${b.text.slice(0, 120)} | HTTP ${a.status} ${a.text.slice(0, 120)}`).toEqual(view(a));
    }, { numRuns: 40 });
});
