// Login: signatures, expiry, CONNECT fields, one session per device, keepalive (protocol.md §1).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { LoginRefused } from '../src/client/device.js';
import { EXPIRY_LONG_MAX, SDKAPPIDS, deviceLogin, formatUsername, signPassword, type SignMethod } from '../src/protocol/credentials.js';
import { req, reqProperty, type Harness } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const product = useProduct('auth', { devices: ['alice', 'bob', 'carol', 'kicked', 'disabled1', 'disabled2'] });
const now = () => Math.floor(Date.now() / 1000);

/** Logs in and reports the outcome: 0 for accepted, the CONNACK code, or -1 for closed without CONNACK. */
async function outcome(h: Harness, o: Parameters<Harness['connect']>[0]): Promise<number> {
  try {
    const d = await h.connect(o);
    await d.end();
    return 0;
  } catch (e) {
    if (e instanceof LoginRefused) return e.returnCode ?? -1;
    throw e;
  }
}

const accepted = async (h: Harness, creds: DeviceCredentials, login: Parameters<typeof deviceLogin>[1], extra: { protocolVersion?: 3 | 4 } = {}) =>
  outcome(h, { ...deviceLogin(creds, login), ...extra });

describe('signed login', () => {
  reqProperty(['AUTH-001', 'AUTH-002', 'AUTH-005'], 'valid logins are accepted for every sign method, sdkappid and connid',
    [fc.constantFrom<SignMethod>('hmacsha256', 'hmacsha1'), fc.constantFrom(...SDKAPPIDS), fc.stringMatching(/^[A-Za-z0-9]{1,12}$/)],
    async (h, method, sdkappid, connid) => {
      expect(await accepted(h, product.device('alice'), { method, sdkappid, connid })).toBe(0);
    }, { numRuns: 20 });

  req(['AUTH-006'], 'expiry is parsed as a 64-bit integer (C, Python and Java SDK values)', async (h) => {
    for (const expiry of [EXPIRY_LONG_MAX, BigInt(Date.now()), 2147483647n]) {
      expect(await accepted(h, product.device('alice'), { expiry, method: 'hmacsha1', sdkappid: '21010406' }), `expiry ${expiry}`).toBe(0);
    }
  });

  req(['AUTH-007'], 'MQTT 3.1 (MQIsdp, level 3) and 3.1.1 (level 4) logins are accepted', async (h) => {
    expect(await accepted(h, product.device('alice'), {}, { protocolVersion: 3 })).toBe(0);
    expect(await accepted(h, product.device('alice'), {}, { protocolVersion: 4 })).toBe(0);
  });

  req(['AUTH-015'], 'an uppercase hex digest is accepted', async (h) => {
    const login = deviceLogin(product.device('alice'));
    const [hex, method] = login.password.split(';');
    expect(await outcome(h, { ...login, password: `${hex!.toUpperCase()};${method}` })).toBe(0);
  });
});

describe('refused logins', () => {
  req(['AUTH-003'], 'an expired signature is refused', async (h) => {
    for (const age of [1, 3600, 10 * 365 * 86400]) {
      expect(await accepted(h, product.device('alice'), { expiry: now() - age }), `expired ${age}s ago`).not.toBe(0);
    }
  });

  const tamper = fc.oneof(
    fc.record({ kind: fc.constant('digest' as const), index: fc.nat(63), flip: fc.integer({ min: 1, max: 15 }) }),
    fc.record({ kind: fc.constant('username-field' as const), field: fc.constantFrom(1, 2, 3) }),
    fc.record({ kind: fc.constant('other-key' as const) }),
    fc.record({ kind: fc.constant('method-swap' as const) }),
  );
  reqProperty(['AUTH-004'], 'generated tampering of the signature is refused', [tamper, fc.constantFrom<SignMethod>('hmacsha256', 'hmacsha1')],
    async (h, t, method) => {
      const alice = product.device('alice');
      const login = deviceLogin(alice, { method });
      let { username, password } = login;
      const [hex, m] = password.split(';') as [string, string];
      switch (t.kind) {
        case 'digest': {
          const i = t.index % hex.length;
          const digit = ((parseInt(hex[i]!, 16) + t.flip) % 16).toString(16);
          password = `${hex.slice(0, i)}${digit}${hex.slice(i + 1)};${m}`;
          break;
        }
        case 'username-field': {
          // Change one signed field after signing: the signature no longer covers the username sent.
          const fields = username.split(';');
          fields[t.field] = t.field === 3 ? String(BigInt(fields[3]!) + 1n) : `${fields[t.field]}1`;
          username = fields.join(';');
          break;
        }
        case 'other-key':
          password = signPassword(username, product.device('bob').psk, method);
          break;
        case 'method-swap':
          password = `${hex};${m === 'hmacsha256' ? 'hmacsha1' : 'hmacsha256'}`;
          break;
      }
      expect(await outcome(h, { clientId: login.clientId, username, password })).not.toBe(0);
    }, { numRuns: 40 });

  req(['AUTH-008'], 'a ClientId that differs from the username\'s first field is refused', async (h) => {
    const alice = product.device('alice');
    const bob = product.device('bob');
    const login = deviceLogin(alice);
    expect(await outcome(h, { ...login, clientId: `${bob.productId}${bob.deviceName}` })).not.toBe(0);
    expect(await outcome(h, { ...login, clientId: `${login.clientId}x` })).not.toBe(0);
  });

  req(['AUTH-009'], 'an unknown device or product is refused', async (h) => {
    const ghost = { ...product.device('alice'), deviceName: 'no_such_device' };
    expect(await outcome(h, deviceLogin(ghost))).not.toBe(0);
    const otherProduct = { ...product.device('alice'), productId: 'ZZZZZZZZZ9' };
    expect(await outcome(h, deviceLogin(otherProduct))).not.toBe(0);
  });

  const malformed = fc.constantFrom(
    (u: string) => ({ username: u.split(';').slice(0, 3).join(';') }),
    (u: string) => ({ username: `${u};extra` }),
    (u: string) => ({ username: u.replace(/;[0-9]+$/, ';soon') }),
    (u: string) => ({ username: u.replace(/;[0-9]+;/, ';appid;') }),
    (u: string) => ({ username: u.replace(/;[0-9]+$/, ';99999999999999999999999') }),
    (_u: string) => ({ username: undefined, password: undefined }),
    (_u: string) => ({ password: undefined }),
    (_u: string) => ({ password: 'not-a-signature' }),
    (_u: string) => ({ password: 'abcdef;hmacmd5' }),
  );
  reqProperty(['AUTH-011'], 'malformed usernames and passwords are refused', [malformed], async (h, mutate) => {
    const login = deviceLogin(product.device('alice'));
    const changed = { ...login, ...mutate(login.username) };
    // Keep the signature consistent with a changed username so only the format is wrong.
    if (changed.username !== undefined && changed.username !== login.username && changed.password === login.password) {
      changed.password = signPassword(changed.username, product.device('alice').psk);
    }
    expect(await outcome(h, changed)).not.toBe(0);
  }, { numRuns: 18 });
});

describe('device state', () => {
  req(['AUTH-010'], 'a disabled device is refused, and a connected one is disconnected when disabled', async (h) => {
    const api = h.api();
    const d1 = product.device('disabled1');
    const connected = await h.device(d1);
    await api.call('UpdateDeviceAvailableState', { ProductId: d1.productId, DeviceName: d1.deviceName, EnableState: 0 });
    expect(await connected.closesWithin(ROUND_TRIP_LIMIT_MS), 'connected device disconnected after disabling').toBe(true);
    expect(await accepted(h, d1, {})).not.toBe(0);
    await api.call('UpdateDeviceAvailableState', { ProductId: d1.productId, DeviceName: d1.deviceName, EnableState: 1 });
    expect(await accepted(h, d1, {}), 'accepted again once re-enabled').toBe(0);

    const d2 = product.device('disabled2');
    await api.call('UpdateDevicesEnableState', { ProductID: d2.productId, DeviceNames: [d2.deviceName], Status: 0 });
    expect(await accepted(h, d2, {})).not.toBe(0);
  });

  req(['AUTH-012'], 'a second login of the same device closes the first', async (h) => {
    const creds = product.device('kicked');
    const first = await h.device(creds, { label: 'first' });
    const second = await h.device(creds, { label: 'second' });
    expect(await first.closesWithin(ROUND_TRIP_LIMIT_MS), 'older connection closed').toBe(true);
    expect(second.isOpen, 'newer connection open').toBe(true);
    const topic = `${creds.productId}/${creds.deviceName}/data`;
    expect(await second.subscribe(topic, 1)).toBe(1);
  });
});

describe('keepalive', () => {
  req(['AUTH-013'], 'KeepAlive 0–900 s is accepted and above 900 s refused', async (h) => {
    const carol = product.device('carol');
    for (const keepalive of [0, 1, 240, 900]) {
      expect(await outcome(h, { ...deviceLogin(carol), keepalive }), `keepalive ${keepalive}`).toBe(0);
    }
    for (const keepalive of [901, 1200, 65535]) {
      expect(await outcome(h, { ...deviceLogin(carol), keepalive }), `keepalive ${keepalive}`).not.toBe(0);
    }
  });

  req(['AUTH-014'], 'a silent connection is closed after 1.5 × KeepAlive, not after 1 ×', async (h) => {
    const bob = product.device('bob');
    const raw = await h.raw('silent');
    const login = deviceLogin(bob);
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 2, ...login });
    const connack = await raw.next(ROUND_TRIP_LIMIT_MS);
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 0 });
    // Still open past one KeepAlive (2 s), closed by 1.5 × KeepAlive (3 s) plus a margin.
    expect(await raw.closesWithin(2300), 'still open after 2.3 s').toBe(false);
    expect(await raw.closesWithin(1700), 'closed by 4 s').toBe(true);
  }, { timeout: 10_000 });
});
