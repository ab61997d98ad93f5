// MQTT over TLS: signed logins, TLS-PSK, certificate devices (mutual TLS) over TLS and secure WebSocket (protocol.md §1.2, §1.5, §1.6).
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import tls from 'node:tls';
import '../src/client/reflect-shim.js'; // before @peculiar/x509, which needs Reflect metadata when it loads
import * as x509 from '@peculiar/x509';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { apiErrorCode, CloudApi } from '../src/client/cloud-api.js';
import { LoginRefused, type Device } from '../src/client/device.js';
import { createTestCa, issueTestCert, type TestCa } from '../src/client/pki.js';
import { judgeSubscribe, mayPublish, maySubscribeTopic, topicClasses } from '../src/protocol/acl.js';
import { deviceLogin, formatUsername } from '../src/protocol/credentials.js';
import { currentTarget, req, reqProperty, type CertCredentials, type Harness, type Transport } from './support/harness.js';
import { gateway } from './support/gateway.js';
import { uniqueName, useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const keys = useProduct('tls', { devices: ['kactor', 'kpeer', 'psk1', 'psk2'] });

/** A certificate product (EncryptionType "1") with platform-issued certificates, and a customer CA registered for the account. */
const CERT_DEVICES = ['cactor', 'cpeer', 'crevoke', 'cdisable'];
const certs = new Map<string, CertCredentials>();
let certProductId = '';
let customerCa: TestCa | undefined;
let caName = '';
let api: CloudApi;

beforeAll(async () => {
  const target = currentTarget();
  if (!target.capabilities.includes('cert-auth')) return;
  api = new CloudApi({ endpoint: target.endpoints.api, ...target.cloudApi });
  const p = await api.call<{ ProductId: string }>('CreateProduct', {
    ProductName: uniqueName('tlscert').slice(0, 32),
    ProductProperties: { ProductDescription: 'hubcheck certificate fixture', EncryptionType: '1' },
  });
  certProductId = p.ProductId;
  for (const name of CERT_DEVICES) certs.set(name, await createCertDevice(name));
  customerCa = await createTestCa('hubcheck customer CA');
  caName = `hc_${randomBytes(6).toString('hex')}`;
  await api.call('CreatePrivateCA', { CertName: caName, CertText: customerCa.cert });
}, 60_000);

afterAll(async () => {
  if (!certProductId) return;
  for (const name of certs.keys()) await api.call('DeleteDevice', { ProductId: certProductId, DeviceName: name }).catch(() => {});
  await api.call('DeleteProduct', { ProductId: certProductId }).catch(() => {});
  if (caName) await api.call('DeletePrivateCA', { CertName: caName }).catch(() => {});
});

async function createCertDevice(name: string): Promise<CertCredentials> {
  const r = await api.call<{ DeviceCert: string; DevicePrivateKey: string; DevicePsk: string }>('CreateDevice', { ProductId: certProductId, DeviceName: name });
  return { productId: certProductId, deviceName: name, cert: r.DeviceCert, key: r.DevicePrivateKey };
}

const cert = (name: string): CertCredentials => {
  const c = certs.get(name);
  if (!c) throw new Error(`no certificate device ${name}`);
  return c;
};

/** A certificate from the customer CA (or another) with the given CN and validity, for a device of the certificate product. */
async function customerCert(deviceName: string, o: { commonName?: string; notBefore?: Date; notAfter?: Date; ca?: TestCa } = {}): Promise<CertCredentials> {
  const issued = await issueTestCert(o.ca ?? customerCa!, { commonName: o.commonName ?? `${certProductId}${deviceName}`, ...o });
  return { productId: certProductId, deviceName, ...issued };
}

/** 'accepted', 'refused N' (CONNACK N), 'closed' (closed without CONNACK) or 'tls-error CODE' (the handshake failed). */
async function outcome(login: Promise<Device>): Promise<string> {
  try {
    const d = await login;
    await d.end();
    return 'accepted';
  } catch (e) {
    if (e instanceof LoginRefused) return e.returnCode === undefined ? 'closed' : `refused ${e.returnCode}`;
    return `tls-error ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}

const DAY = 86_400_000;

/**
 * A certificate for a device of the certificate product that names the registered customer CA as its issuer but is
 * signed by another key (a CA of the same name), without the authority key identifier that would tell the two apart.
 */
async function forgedCert(deviceName: string): Promise<CertCredentials> {
  const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const forger = await createTestCa(customerCa!.name); // same name, other key (createTestCa set up @peculiar/x509's crypto)
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const forged = await x509.X509CertificateGenerator.create({
    serialNumber: `01${randomBytes(15).toString('hex')}`,
    subject: `CN=${certProductId}${deviceName}`,
    issuer: new x509.X509Certificate(customerCa!.cert).subject,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: forger.key,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64').replace(/.{1,64}/g, '$&\n');
  return { productId: certProductId, deviceName, cert: `${forged.toString('pem')}\n`, key: `-----BEGIN PRIVATE KEY-----\n${der}-----END PRIVATE KEY-----\n` };
}

describe('key devices over TLS', () => {
  req(['TLS-001', 'TLS-002'], 'a signed login over TLS 1.2 is accepted and exchanges messages', async (h) => {
    const creds = keys.device('kactor');
    const device = await h.device(creds, { transport: 'tls', tls: { maxVersion: 'TLSv1.2' }, login: { method: 'hmacsha1', sdkappid: '21010406' } });
    const topic = `${creds.productId}/${creds.deviceName}/data`;
    expect(await device.subscribe(topic, 1)).toBe(1);
    await selfLoop(device, topic);
  });

  req(['TLS-003'], 'TLS 1.0 and TLS 1.1 handshakes succeed', async (h) => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const d = await h.device(keys.device('kactor'), { transport: 'tls', tls: { minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0' }, label: version });
      await d.end();
    }
  });

  req(['TLS-004'], 'over TLS a tampered signature, an expired expiry and an unknown device are refused', async (h) => {
    const creds = keys.device('kactor');
    const login = deviceLogin(creds);
    const tampered = login.password.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(await outcome(h.connect({ ...login, password: tampered, transport: 'tls' }))).not.toBe('accepted');
    const expired = deviceLogin(creds, { expiry: Math.floor(Date.now() / 1000) - 60 });
    expect(await outcome(h.connect({ ...expired, transport: 'tls' }))).not.toBe('accepted');
    const ghost = deviceLogin({ ...creds, deviceName: 'no_such_device' });
    expect(await outcome(h.connect({ ...ghost, transport: 'tls' }))).not.toBe('accepted');
  });
});

describe('TLS-PSK (the C SDK key mode)', () => {
  req(['TLS-005'], 'identity = ClientId and key = decoded PSK with either C SDK suite log in with a username and no password', async (h) => {
    const creds = keys.device('psk1');
    for (const cipher of ['PSK-AES128-CBC-SHA', 'PSK-AES256-CBC-SHA']) {
      const device = await h.pskDevice(creds, { cipher, label: cipher });
      const topic = `${creds.productId}/${creds.deviceName}/data`;
      expect(await device.subscribe(topic, 1)).toBe(1);
      await selfLoop(device, topic);
      await device.end();
    }
  });

  req(['TLS-006'], 'a wrong key or an unknown identity fails the TLS-PSK handshake', async (h) => {
    const creds = keys.device('psk1');
    const cases: [string, Parameters<Harness['pskDevice']>[1]][] = [
      ['random key', { key: randomBytes(16) }],
      ['the Base64 text as key', { key: Buffer.from(creds.psk, 'utf8') }],
      ["another device's key", { key: Buffer.from(keys.device('psk2').psk, 'base64') }],
      ['unknown identity', { identity: `${creds.productId}no_such_device` }],
    ];
    for (const [what, o] of cases) {
      expect(await outcome(h.pskDevice(creds, { ...o, label: what })), what).toMatch(/^tls-error|^closed$/);
    }
  });

  req(['TLS-007'], 'after TLS-PSK as one device, a CONNECT as another device is refused', async (h) => {
    const one = keys.device('psk1');
    const other = keys.device('psk2');
    const otherId = `${other.productId}${other.deviceName}`;
    const username = formatUsername({ clientId: otherId, sdkappid: '21010406', connid: 'psk01', expiry: 9999999999n });
    const r = await outcome(h.pskDevice(one, { clientId: otherId, username, identity: `${one.productId}${one.deviceName}` }));
    expect(r).not.toBe('accepted');
  });
});

describe('certificate devices', () => {
  req(['TLS-008', 'TLS-009', 'TLS-012'], 'CreateDevice returns a certificate and key that log in over mutual TLS whatever the password', async (h) => {
    const c = cert('cactor');
    expect(c.cert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(c.key).toMatch(/^-----BEGIN (RSA |EC )?PRIVATE KEY-----/);
    const topic = `${c.productId}/${c.deviceName}/data`;
    for (const password of [undefined, '', 'not-a-signature;hmacsha256']) {
      const device = await h.certDevice(c, { ...(password !== undefined ? { password } : {}), label: `password ${JSON.stringify(password)}` });
      expect(await device.subscribe(topic, 1)).toBe(1);
      await selfLoop(device, topic);
      await device.end();
    }
  });

  req(['TLS-022'], 'the device certificates CreateDevice issues carry distinct serial numbers', async () => {
    const serials = ['cactor', 'cpeer', 'cdisable', 'crevoke'].map((n) => new x509.X509Certificate(cert(n).cert).serialNumber);
    expect(serials.every((s) => /^[0-9a-f]+$/i.test(s) && !/^0+$/.test(s)), `serial numbers ${serials.join(', ')}`).toBe(true);
    expect(new Set(serials).size, `serial numbers ${serials.join(', ')}`).toBe(serials.length);
  });

  req(['TLS-012', 'WS-009'], 'mqtt.js connects over TLS and over WSS with exactly what CreateDevice returned', async (h) => {
    const c = cert('cactor');
    const clientId = `${c.productId}${c.deviceName}`;
    const username = formatUsername({ clientId, sdkappid: '12010126', connid: 'mqtjs', expiry: 9999999999n });
    for (const url of [h.endpoint('tls'), h.endpoint('wss')]) {
      h.trace.add('mqtt.js', `connect ${url}`);
      const client = await mqtt.connectAsync(url, {
        clientId, username, cert: c.cert, key: c.key, ...(h.target.tls ? { ca: h.target.tls.ca } : {}), reconnectPeriod: 0, connectTimeout: ROUND_TRIP_LIMIT_MS,
      });
      try {
        const topic = `${c.productId}/${c.deviceName}/event`;
        await client.subscribeAsync(`${c.productId}/${c.deviceName}/data`, { qos: 1 });
        const back = new Promise<string>((resolve) => client.on('message', (t, p) => { if (t.endsWith('/data')) resolve(p.toString()); }));
        await client.publishAsync(topic, 'up', { qos: 1 });
        await client.publishAsync(`${c.productId}/${c.deviceName}/data`, 'loop', { qos: 1 });
        const got = await Promise.race([back, new Promise<string>((r) => setTimeout(() => r('timeout'), ROUND_TRIP_LIMIT_MS))]);
        expect(got, `message loop over ${url}`).toBe('loop');
      } finally {
        await client.endAsync(true);
      }
    }
  });

  req(['WS-009'], 'a certificate device logs in over wss:// at /mqtt and exchanges messages', async (h) => {
    const c = cert('cpeer');
    const device = await h.certDevice(c, { transport: 'wss' });
    const topic = `${c.productId}/${c.deviceName}/data`;
    expect(await device.subscribe(topic, 1)).toBe(1);
    await selfLoop(device, topic);
  });

  req(['TLS-011'], 'certificates from an unknown CA, forged in a trusted CA\'s name, expired or not yet valid fail at the TLS layer', async (h) => {
    const stranger = await createTestCa('not registered CA');
    const cases: [string, CertCredentials][] = [
      ['unknown CA', await customerCert('cactor', { ca: stranger })],
      ['issuer name of the registered CA, signed by another key', await forgedCert('cactor')],
      ['expired', await customerCert('cactor', { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) })],
      ['not yet valid', await customerCert('cactor', { notBefore: new Date(Date.now() + 30 * DAY), notAfter: new Date(Date.now() + 60 * DAY) })],
    ];
    for (const [what, c] of cases) {
      for (const transport of ['tls', 'wss'] as const) {
        // The handshake fails (or the connection closes right after it): never a CONNACK, accepting or refusing the CONNECT.
        expect(await outcome(h.certDevice(c, { transport, label: `${what} ${transport}` })), `${what} over ${transport}`).toMatch(/^(closed|tls-error)/);
      }
    }
  });

  req(['TLS-015'], 'a certificate from a registered customer CA with CN = productId+deviceName logs in', async (h) => {
    const c = await customerCert('cactor');
    expect(await outcome(h.certDevice(c))).toBe('accepted');
  });

  req(['TLS-010'], 'a certificate whose CN (or registered fingerprint) names another device is refused', async (h) => {
    const actorId = `${certProductId}cactor`;
    const otherCn = await customerCert('cactor', { commonName: `${certProductId}cpeer` });
    expect(await outcome(h.certDevice(otherCn, { label: 'CN of cpeer as cactor' })), 'customer CA, CN of another device').not.toBe('accepted');
    const odd = await customerCert('cactor', { commonName: 'not-a-client-id' });
    expect(await outcome(h.certDevice(odd, { label: 'CN not a ClientId' })), 'customer CA, CN not a ClientId').not.toBe('accepted');
    // the platform certificate of cpeer presented with cactor's ClientId
    const peer = cert('cpeer');
    const username = formatUsername({ clientId: actorId, sdkappid: '12010126', connid: 'swap1', expiry: 9999999999n });
    expect(await outcome(h.certDevice(peer, { clientId: actorId, username, label: 'cpeer cert as cactor' })), 'platform certificate of another device').not.toBe('accepted');
  });

  req(['TLS-014'], 'a certificate login still needs ClientId = productId+deviceName and a 4-field username', async (h) => {
    const c = cert('cactor');
    expect(await outcome(h.certDevice(c, { username: 'just-a-name', label: 'username of 1 field' }))).not.toBe('accepted');
    expect(await outcome(h.certDevice(c, { clientId: 'hubcheck-any', label: 'clientId not productId+deviceName' }))).not.toBe('accepted');
  });

  req(['TLS-017'], 'disabled and deleted certificate devices are refused; a recreated device refuses its old certificate', async (h) => {
    const disabled = cert('cdisable');
    await h.api().call('UpdateDeviceAvailableState', { ProductId: certProductId, DeviceName: 'cdisable', EnableState: 0 });
    expect(await outcome(h.certDevice(disabled)), 'disabled').not.toBe('accepted');
    await h.api().call('UpdateDeviceAvailableState', { ProductId: certProductId, DeviceName: 'cdisable', EnableState: 1 });
    expect(await outcome(h.certDevice(disabled)), 're-enabled').toBe('accepted');

    const old = cert('crevoke');
    expect(await outcome(h.certDevice(old)), 'before deletion').toBe('accepted');
    await h.api().call('DeleteDevice', { ProductId: certProductId, DeviceName: 'crevoke' });
    expect(await outcome(h.certDevice(old)), 'deleted').not.toBe('accepted');
    const fresh = await createCertDevice('crevoke');
    certs.set('crevoke', fresh);
    expect(await outcome(h.certDevice(old)), 'old certificate after re-creation').not.toBe('accepted');
    expect(await outcome(h.certDevice(fresh)), 'new certificate').toBe('accepted');
  }, { timeout: 30_000 });

  req(['TLS-013'], 'DescribeDeviceClientKey gives a certificate device\'s key once (again after re-creation), never a key device\'s', async (h) => {
    const api = h.api();
    const samePem = (a: string, b: string) => createPrivateKey(a).export({ type: 'pkcs8', format: 'pem' }) === createPrivateKey(b).export({ type: 'pkcs8', format: 'pem' });
    const ask = { ProductId: certProductId, DeviceName: 'ckey' };
    for (const round of ['created', 're-created']) {
      if (round === 're-created') await api.call('DeleteDevice', ask);
      const created = await createCertDevice('ckey');
      certs.set('ckey', created);
      const { ClientKey } = await api.call<{ ClientKey: string }>('DescribeDeviceClientKey', ask);
      expect(samePem(ClientKey, created.key), `the key CreateDevice returned (${round})`).toBe(true);
      const device = await h.certDevice({ ...created, key: ClientKey }, { label: `fetched key (${round})` });
      await device.end();
      expect(await apiErrorCode(api.call('DescribeDeviceClientKey', ask)), `a second call (${round})`).toBe('UnsupportedOperation.ClientCertAlreadyGot');
    }
    const k = keys.device('kactor');
    expect(await apiErrorCode(api.call('DescribeDeviceClientKey', { ProductId: k.productId, DeviceName: k.deviceName })), 'a key (PSK) device').toBe('UnsupportedOperation.WrongProductAuthType');
  }, { timeout: 30_000 });

  req(['TLS-018'], 'a certificate device without its certificate is refused (password over TCP, TLS without a certificate)', async (h) => {
    const c = cert('cactor');
    const clientId = `${c.productId}${c.deviceName}`;
    const username = formatUsername({ clientId, sdkappid: '12010126', connid: 'nocrt', expiry: 9999999999n });
    expect(await outcome(h.connect({ clientId, username, password: 'anything', transport: 'tcp' })), 'TCP').not.toBe('accepted');
    expect(await outcome(h.connect({ clientId, username, password: 'anything', transport: 'tls' })), 'TLS without certificate').not.toBe('accepted');
  });
});

/** One way a device logs in: which device kind and transport. */
type Way = 'tcp' | 'ws' | 'tls-password' | 'tls-psk' | 'cert-tls' | 'cert-wss';
const WAY_CAPABILITY: Record<Way, string[]> = {
  tcp: ['signed-login'], ws: ['websocket'], 'tls-password': ['tls'], 'tls-psk': ['tls-psk'], 'cert-tls': ['cert-auth'], 'cert-wss': ['wss', 'cert-auth'],
};
const SHAPES = ['{p}/{d}/control', '{p}/{d}/event', '{p}/{d}/data', '{p}/{d}/unknown', '{p}/{d}/+', '{p}/{d}/#', '$shadow/operation/{p}/{d}', '$ota/update/{p}/{d}'];

/** Logs `who` in the way given (key devices: tcp/ws/tls-password/tls-psk; certificate devices: cert-tls/cert-wss). */
function login(h: Harness, way: Way, who: DeviceCredentials | CertCredentials, label: string): Promise<Device> {
  if ('cert' in who) return h.certDevice(who, { transport: way === 'cert-wss' ? 'wss' : 'tls', label });
  if (way === 'tls-psk') return h.pskDevice(who, { label });
  const transport: Transport = way === 'ws' ? 'ws' : way === 'tls-password' ? 'tls' : 'tcp';
  return h.device(who, { transport, label });
}

describe('the same topic rules over every transport', () => {
  const offered = (): Way[] => {
    const t = currentTarget();
    return (Object.keys(WAY_CAPABILITY) as Way[]).filter((w) => WAY_CAPABILITY[w].every((c) => t.capabilities.includes(c)));
  };
  reqProperty(['TLS-016'], 'SUBSCRIBE and PUBLISH outcomes per transport agree with the model (device × owner × topic class)',
    [fc.nat(), fc.constantFrom('self', 'peer', 'stranger' as const), fc.constantFrom(...SHAPES), fc.constantFrom<'publish' | 'subscribe'>('publish', 'subscribe'), fc.constantFrom<0 | 1>(0, 1)],
    async (h, pick, ownerKind, shape, action, qos) => {
      const ways = offered();
      const way = ways[pick % ways.length]!;
      const certWay = way.startsWith('cert');
      const actor: DeviceCredentials | CertCredentials = certWay ? cert('cactor') : keys.device('kactor');
      const peer: DeviceCredentials | CertCredentials = certWay ? cert('cpeer') : keys.device('kpeer');
      const stranger: DeviceCredentials | CertCredentials = certWay ? keys.device('kpeer') : (certs.get('cpeer') ?? keys.device('psk2'));
      const owner = ownerKind === 'self' ? actor : ownerKind === 'peer' ? peer : stranger;
      const topic = shape.replace('{p}', owner.productId).replace('{d}', owner.deviceName);
      const actorClasses = topicClasses(actor);
      const device = await login(h, way, actor, `actor ${way}`);
      if (action === 'subscribe') {
        const expected = judgeSubscribe(actor, actorClasses, topic, qos);
        expect(await device.subscribe(topic, qos), `SUBACK for ${topic} over ${way}`).toBe(expected.granted ? qos : 0x80);
        expect(device.isOpen).toBe(true);
        return;
      }
      if (topic.includes('+') || topic.includes('#')) return; // not a topic name
      const allowed = mayPublish(actorClasses, topic);
      const ownerListens = maySubscribeTopic(topicClasses(owner), topic);
      const listener = ownerKind === 'self' ? device : await login(h, 'cert' in owner ? 'cert-tls' : 'tcp', owner, 'owner');
      const ownerData = `${owner.productId}/${owner.deviceName}/data`;
      if (ownerListens) expect(await listener.subscribe(topic, 1)).toBe(1);
      expect(await listener.subscribe(ownerData, 1)).toBe(1);
      const payload = `tls-${randomBytes(4).toString('hex')}`;
      const sent = device.publishTracked(topic, payload);
      await device.publish(`${actor.productId}/${actor.deviceName}/event`, 'after', 1);
      await selfLoop(listener, ownerData);
      expect(sent.acked(), `PUBACK for ${topic} over ${way}`).toBe(allowed);
      if (ownerListens) expect(listener.messages.some((m) => m.topic === topic && m.payload.toString() === payload), `delivery of ${topic}`).toBe(allowed);
      expect(device.isOpen).toBe(true);
    }, { numRuns: 60 });
});

describe('handshake details', () => {
  req(['TLS-002'], 'the server certificate verifies against the declared CA', async (h) => {
    const u = new URL(h.endpoint('tls'));
    const socket = tls.connect({ host: u.hostname, port: Number(u.port), maxVersion: 'TLSv1.2', ...(h.target.tls ? { ca: h.target.tls.ca } : {}) });
    try {
      await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
      expect(socket.authorized).toBe(true);
      expect(socket.getProtocol()).toBe('TLSv1.2');
    } finally {
      socket.destroy();
    }
  });
});

describe('HTTP gateway', () => {
  req(['HTTP-006'], 'a certificate device signs /device/publish with RSA-SHA256; a signature under another key is refused', async (h) => {
    if (!h.target.capabilities.includes('http-gateway')) return h.ctx.skip('the target does not offer http-gateway');
    const c = cert('cpeer');
    const topic = `${c.productId}/${c.deviceName}/data`;
    const listener = await h.certDevice(c, { label: 'listener' });
    expect(await listener.subscribe(topic, 1)).toBe(1);
    const body = (payload: string) => ({ ProductId: c.productId, DeviceName: c.deviceName, TopicName: topic, Payload: payload, Qos: 1 });
    const ok = await gateway(h).call({ path: '/device/publish', body: body('rsa-good'), secret: c.key, algorithm: 'rsa-sha256' });
    expect(ok.json?.Response?.Error, `rsa-sha256 answer: HTTP ${ok.status} ${ok.text.slice(0, 200)}`).toBeUndefined();
    const bad = await gateway(h).call({ path: '/device/publish', body: body('rsa-bad'), secret: cert('cactor').key, algorithm: 'rsa-sha256' });
    expect(bad.json?.Response?.Error?.Code, 'signed with another device\'s key').toEqual(expect.any(String));
    await selfLoop(listener, topic);
    const got = listener.received(topic).map((m) => m.payload.toString()).filter((p) => p.startsWith('rsa-'));
    expect(got).toEqual(['rsa-good']);
  });
});
