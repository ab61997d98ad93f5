// MQTT login of the reference hub: access-rules §1 (signatures, sdkappids, protocol levels, CONNACK codes, keepalive, one session per device).

import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { api, connectDevice, login, portOf, provision, RawClient, sleep, type Device } from './helpers.js';

let hub: RunningHub;
let dev: Device;
let port: number;

beforeAll(async () => {
  hub = await startHub();
  port = portOf(hub.endpoints.mqtt);
  [dev] = (await provision(hub, ['dev1'])) as [Device];
});
afterAll(() => hub.close());

async function connack(fields: Parameters<RawClient['connect']>[0]): Promise<{ code: number | null; raw: RawClient }> {
  const raw = await RawClient.open(port);
  return { code: await raw.connect(fields), raw };
}

async function expectCode(fields: Parameters<RawClient['connect']>[0], code: number) {
  const { code: got, raw } = await connack(fields);
  expect(got).toBe(code);
  if (code !== 0) await raw.closedAt; // refused logins are closed
  raw.close();
}

describe('accepted logins', () => {
  test.each([
    ['hmacsha256', '12010126'],
    ['hmacsha1', '12010126'],
    ['hmacsha256', '21010406'],
    ['hmacsha1', '21010406'],
  ] as const)('%s with sdkappid %s', async (method, sdkappid) => {
    await expectCode(login(dev, { method, sdkappid }), 0);
  });

  test.each([3, 4] as const)('protocol level %i over mqtt.js', async (protocolVersion) => {
    const c = await connectDevice(hub, dev, { protocolVersion });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  test('protocol level 3 (MQIsdp) with a 58-character clientId', async () => {
    const [long] = (await provision(hub, ['a'.repeat(48)])) as [Device];
    await expectCode({ ...login(long), protocolVersion: 3 }, 0);
  });

  test('uppercase hex, LONG_MAX expiry and a 13-digit millisecond expiry', async () => {
    const l = login(dev, { expiry: '9223372036854775807' });
    await expectCode({ ...l, password: l.password.replace(/^[0-9a-f]+/, (h) => h.toUpperCase()) }, 0);
    await expectCode(login(dev, { expiry: String(Date.now()) }), 0);
  });

  test('keepalive 0 and 900 are accepted', async () => {
    await expectCode({ ...login(dev), keepalive: 0 }, 0);
    await expectCode({ ...login(dev), keepalive: 900 }, 0);
  });

  test('MQTT over WebSocket', async () => {
    const c = await connectDevice(hub, dev, { ws: true });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});

describe('refused logins and their CONNACK codes (access-rules §1 table)', () => {
  test('keepalive over 900 s -> 0x03, checked before anything else', async () => {
    await expectCode({ ...login(dev), keepalive: 901 }, 3);
    await expectCode({ clientId: 'x', keepalive: 901 }, 3);
  });

  test.each([
    ['no username and no password', (l: ReturnType<typeof login>) => ({ clientId: l.clientId })],
    ['three fields', (l: ReturnType<typeof login>) => ({ ...l, username: l.username.split(';').slice(0, 3).join(';') })],
    ['five fields', (l: ReturnType<typeof login>) => ({ ...l, username: l.username + ';x' })],
    ['sdkappid not decimal', (l: ReturnType<typeof login>) => ({ ...l, username: l.username.replace(';12010126;', ';1201x126;') })],
    ['connid empty', (l: ReturnType<typeof login>) => ({ ...l, username: l.username.replace(';AbC12;', ';;') })],
    ['connid over 32 chars', (l: ReturnType<typeof login>) => ({ ...l, username: l.username.replace(';AbC12;', `;${'a'.repeat(33)};`) })],
    ['expiry not decimal', (l: ReturnType<typeof login>) => ({ ...l, username: l.username.replace(/;\d+$/, ';12ab') })],
    ['expiry over int64', (l: ReturnType<typeof login>) => ({ ...l, username: l.username.replace(/;\d+$/, ';9223372036854775808') })],
    ['no password', (l: ReturnType<typeof login>) => ({ clientId: l.clientId, username: l.username })],
    ['password without method', (l: ReturnType<typeof login>) => ({ ...l, password: l.password.split(';')[0]! })],
    ['unknown method', (l: ReturnType<typeof login>) => ({ ...l, password: l.password.replace('hmacsha256', 'hmacmd5') })],
    ['uppercase method', (l: ReturnType<typeof login>) => ({ ...l, password: l.password.replace('hmacsha256', 'HMACSHA256') })],
    ['sha1 length with sha256', (l: ReturnType<typeof login>) => ({ ...l, password: l.password.slice(24) })],
  ])('malformed username/password: %s -> 0x04', async (_name, mutate) => {
    await expectCode(mutate(login(dev)), 4);
  });

  test('clientId different from the username field -> 0x02', async () => {
    const l = login(dev);
    await expectCode({ ...l, clientId: l.clientId + 'x' }, 2);
  });

  test('clientId not of the form productId+deviceName -> 0x02 (even with a matching username)', async () => {
    const bad = { productId: 'abcdefghij', deviceName: 'dev1', psk: dev.psk };
    await expectCode(login(bad), 2);
    await expectCode(login({ ...dev, deviceName: 'bad name' }), 2);
  });

  test('unknown product or device -> 0x04', async () => {
    await expectCode(login({ ...dev, deviceName: 'nobody' }), 4);
    await expectCode(login({ ...dev, productId: 'ZZZZZZZZZZ' }), 4);
  });

  test('wrong signature (both algorithms) -> 0x04', async () => {
    const wrongKey = { ...dev, psk: Buffer.alloc(16, 7).toString('base64') };
    await expectCode(login(wrongKey, { method: 'hmacsha256' }), 4);
    await expectCode(login(wrongKey, { method: 'hmacsha1' }), 4);
    // the signature binds the whole username: changing sdkappid after signing fails
    const l = login(dev);
    await expectCode({ ...l, username: l.username.replace(';12010126;', ';21010406;') }, 4);
  });

  test('expiry in the past -> 0x04', async () => {
    await expectCode(login(dev, { expiry: String(Math.floor(Date.now() / 1000) - 5) }), 4);
  });

  test('disabled device -> 0x05; a connected device is disconnected when disabled', async () => {
    const [d] = (await provision(hub, ['victim'])) as [Device];
    const c = await connectDevice(hub, d);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await api(hub, 'UpdateDeviceAvailableState', { ProductId: d.productId, DeviceName: d.deviceName, EnableState: 0 });
    await closed;
    await expectCode(login(d), 5);
    await api(hub, 'UpdateDeviceAvailableState', { ProductId: d.productId, DeviceName: d.deviceName, EnableState: 1 });
    await expectCode(login(d), 0);
  });
});

describe('sessions', () => {
  test('a second login of the same device closes the first', async () => {
    const first = await RawClient.open(port);
    expect(await first.connect(login(dev))).toBe(0);
    const second = await RawClient.open(port);
    expect(await second.connect(login(dev))).toBe(0);
    await first.closedAt;
    expect(first.closed).toBe(true);
    expect(second.closed).toBe(false);
    const info = await api(hub, 'DescribeDevice', { ProductID: dev.productId, DeviceName: dev.deviceName });
    expect(info.Online).toBe(1);
    second.close();
  });

  test('a refused login does not close the device\'s live connection', async () => {
    const live = await RawClient.open(port);
    expect(await live.connect(login(dev))).toBe(0);
    await expectCode({ ...login(dev), password: '0'.repeat(64) + ';hmacsha256' }, 4);
    live.send({ cmd: 'pingreq' });
    expect((await live.next())?.cmd).toBe('pingresp');
    live.close();
  });

  test('silence for 1.5 × keepalive closes the connection (Aedes keepalive*1500)', async () => {
    const raw = await RawClient.open(port);
    const started = Date.now();
    expect(await raw.connect({ ...login(dev), keepalive: 1 })).toBe(0);
    await raw.closedAt;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(3000);
  });

  test('garbage bytes on the MQTT port close that connection only', async () => {
    const junk = await RawClient.open(port);
    junk.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n\xff\xff\xff\xff\xff'));
    await junk.closedAt;
    const broken = await RawClient.open(port);
    broken.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])); // remaining length over 4 bytes
    await broken.closedAt;
    await expectCode(login(dev), 0);
  });
});

/** A hub whose registry already holds a fixed productId/device (the API only issues random ids), clock just before expiry. */
async function hubWithDevice(productId: string, deviceName: string, psk: string, expiry: string): Promise<RunningHub> {
  const { Registry } = await import('../../hub/registry/index.js');
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dataFile = `${await mkdtemp(`${tmpdir()}/hubvec-`)}/hub.db`;
  const reg = new Registry(dataFile);
  const props = { ProductDescription: '', EncryptionType: '2' as const, Region: 'gz', ProductType: 0, Format: 'json' };
  const generated = reg.createProduct('vec', props, 0).productId;
  (reg as any).db.prepare('UPDATE products SET product_id = ? WHERE product_id = ?').run(productId, generated);
  reg.createDevice(productId, deviceName, psk, [], 0);
  reg.close();
  const expirySeconds = Math.min(Number(expiry.slice(0, 15)), 4_000_000_000);
  return startHub({ dataFile, now: () => (expirySeconds - 60) * 1000 });
}

async function expectVector(v: { productId: string; deviceName: string; psk: string; expiry: string; clientId: string; username: string; password: string }) {
  const local = await hubWithDevice(v.productId, v.deviceName, v.psk, v.expiry);
  try {
    const p = portOf(local.endpoints.mqtt);
    const ok = await RawClient.open(p);
    expect(await ok.connect({ clientId: v.clientId, username: v.username, password: v.password })).toBe(0);
    ok.close();
    const tampered = await RawClient.open(p);
    const flipped = v.password.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(await tampered.connect({ clientId: v.clientId, username: v.username, password: flipped })).toBe(4);
    tampered.close();
  } finally {
    await local.close();
  }
}

describe('vectors', () => {
  const c4 = {
    productId: 'ABCDEFGHIJ',
    deviceName: 'dev01',
    psk: 'lDZ6Uqt+I9E0wW7rvDUs7Q==',
    expiry: '1700000000',
    clientId: 'ABCDEFGHIJdev01',
    username: 'ABCDEFGHIJdev01;12010126;ABCDE;1700000000',
  };
  test('protocol.md §1.4 / Appendix C4, hmacsha256', () =>
    expectVector({ ...c4, password: 'cea866bf77c6b473187d68d1a8fce65d617bc2a210e1183621577d8897daa57b;hmacsha256' }));
  test('protocol.md §1.4 / Appendix C4, hmacsha1', () =>
    expectVector({ ...c4, password: '734080aad816ffe1848037620030eb3d130b61af;hmacsha1' }));

  const file = new URL('../../specs/vectors/credentials.json', import.meta.url);
  const vectors = existsSync(file)
    ? ((j: any) => (Array.isArray(j) ? j : j.vectors) as any[])(JSON.parse(readFileSync(file, 'utf8')))
    : [];
  test.skipIf(vectors.length === 0).each(vectors.map((v) => [v.name as string, v]))(
    'specs/vectors/credentials.json: %s',
    (_name, v) => expectVector(v),
  );
});
