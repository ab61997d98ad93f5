// Gateways and sub-devices (protocol.md §2.7, §4): gateway products, bindings through the API and over $gateway, acting for online sub-devices.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect } from 'vitest';
import { apiErrorCode as code, CloudApi } from '../src/client/cloud-api.js';
import type { Device } from '../src/client/device.js';
import { currentTarget, req, reqProperty, type Harness } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const GATEWAY_PRODUCT_TYPE = 5;
// Sub-device names that are prefixes of each other: acting for s1 must not reach s10 (whole levels compared).
const SUBS = ['s1', 's10', 's2', 'shadowed', 'ota', 'bindme', 'bindme2', 'bindme3', 'deleteme'] as const;
const gw = useProduct('gw', { devices: ['gw1', 'gw2'], productType: GATEWAY_PRODUCT_TYPE });
/** A second gateway product whose gateway has the same device name as the first's. */
const twin = useProduct('gwtwin', { devices: ['gw1'], productType: GATEWAY_PRODUCT_TYPE });
const sub = useProduct('gwsub', { devices: [...SUBS, 'plain'] });
const CAP_PRODUCTS = Array.from({ length: 8 }, (_, i) => useProduct(`gwcap${i}`, { devices: [] }));

// Bindings outlive tests: undo them before the fixtures delete the devices (after-hooks run in reverse order).
afterAll(async () => {
  const t = currentTarget();
  if (!t.endpoints.api || !gw.productId) return;
  const api = new CloudApi({ endpoint: t.endpoints.api, ...t.cloudApi });
  for (const [p, g] of [[gw, 'gw1'], [gw, 'gw2'], [twin, 'gw1']] as const) {
    await api.call('UnbindDevices', { GatewayProductId: p.productId, GatewayDeviceName: g, ProductId: sub.productId, DeviceNames: [...SUBS] }).catch(() => {});
  }
});

const opTopic = (c: DeviceCredentials) => `$gateway/operation/${c.productId}/${c.deviceName}`;
const resultTopic = (c: DeviceCredentials) => `$gateway/operation/result/${c.productId}/${c.deviceName}`;
const entry = (c: DeviceCredentials) => ({ product_id: c.productId, device_name: c.deviceName });
type Answer = { type: string; payload: { devices: { product_id: string; device_name: string; result: number }[]; status?: number } };

async function bindApi(h: Harness, gateway: DeviceCredentials, names: string[], action: 'BindDevices' | 'UnbindDevices' = 'BindDevices') {
  return h.api().call(action, { GatewayProductId: gateway.productId, GatewayDeviceName: gateway.deviceName, ProductId: sub.productId, DeviceNames: names });
}

async function boundNames(h: Harness, gateway: DeviceCredentials): Promise<string[]> {
  const r = await h.api().call<{ TotalCount: number; Devices: { ProductId: string; DeviceName: string }[] }>('DescribeGatewayBindDevices',
    { GatewayProductId: gateway.productId, GatewayDeviceName: gateway.deviceName, Offset: 0, Limit: 250 });
  h.expectSchema('gateway.schema.json#/$defs/describeBindResponse', r, 'DescribeGatewayBindDevices Response');
  expect(r.TotalCount, 'TotalCount').toBe(r.Devices.length);
  return r.Devices.map((d) => d.DeviceName).sort();
}

/** A logged-in gateway subscribed to its result topic. */
async function gatewayDevice(h: Harness, c: DeviceCredentials): Promise<Device> {
  const d = await h.device(c);
  expect(await d.subscribe(resultTopic(c), 1), 'SUBACK for the $gateway result topic').toBe(1);
  return d;
}

/** Publishes a $gateway request and returns the next answer of `type` on the result topic. */
async function ask(h: Harness, d: Device, c: DeviceCredentials, body: unknown, type: string): Promise<Answer> {
  const seen = d.received(resultTopic(c)).length;
  await d.publish(opTopic(c), typeof body === 'string' ? body : JSON.stringify(body), 1);
  const got = await d.waitFor((m) => m.topic === resultTopic(c) && d.received(resultTopic(c)).indexOf(m) >= seen && (JSON.parse(m.payload.toString()) as Answer).type === type, ROUND_TRIP_LIMIT_MS);
  expect(got, `an answer of type ${type} on ${resultTopic(c)}`).toBeDefined();
  const answer = JSON.parse(got!.payload.toString()) as Answer;
  h.expectSchema(type === 'describe_sub_devices' ? 'gateway.schema.json#/$defs/describeAnswer' : 'gateway.schema.json#/$defs/operationAnswer', answer, `MQTT ${resultTopic(c)}`);
  return answer;
}

async function one(h: Harness, d: Device, gateway: DeviceCredentials, type: string, target: DeviceCredentials, extra: Record<string, unknown> = {}): Promise<number> {
  const a = await ask(h, d, gateway, { type, payload: { devices: [{ ...entry(target), ...extra }] } }, type);
  expect(a.payload.devices.map((e) => [e.product_id, e.device_name]), 'the answer names the requested device').toEqual([[target.productId, target.deviceName]]);
  return a.payload.devices[0]!.result;
}

type Encoding = 'raw' | 'hex';
function bindEntry(c: DeviceCredentials, o: { method?: 'hmacsha1' | 'hmacsha256'; encoding?: Encoding; timestamp?: number; key?: string; random?: number } = {}) {
  const method = o.method ?? 'hmacsha1';
  const random = o.random ?? Math.floor(Math.random() * 2 ** 31);
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const digest = createHmac(method === 'hmacsha1' ? 'sha1' : 'sha256', o.key ?? c.psk).update(`${c.productId}${c.deviceName};${random};${timestamp}`).digest();
  const signature = o.encoding === 'hex' ? Buffer.from(digest.toString('hex')).toString('base64') : digest.toString('base64');
  return { signature, random, timestamp, signmethod: method, authtype: 'psk' };
}

describe('gateway products and bindings through the API', () => {
  req(['GW-001'], 'ProductType 5 creates a gateway product that DescribeProduct shows as such', async (h) => {
    const p = await h.api().call<{ ProductProperties: { ProductType: number } }>('DescribeProduct', { ProductId: gw.productId });
    expect(p.ProductProperties.ProductType).toBe(GATEWAY_PRODUCT_TYPE);
  });

  req(['GW-002', 'GW-005', 'GW-020'], 'BindDevices binds, again changes nothing, blocks DeleteDevice, and UnbindDevices undoes it', async (h) => {
    const g = gw.device('gw2');
    await bindApi(h, g, ['deleteme']);
    await bindApi(h, g, ['deleteme']);
    expect(await boundNames(h, g)).toEqual(['deleteme']);
    expect(await code(h.api().call('DeleteDevice', { ProductId: sub.productId, DeviceName: 'deleteme' })), 'deleting a bound sub-device').toBe('UnauthorizedOperation.DeviceHasAlreadyBindGateway');
    expect(await code(h.api().call('DeleteDevice', { ProductId: gw.productId, DeviceName: 'gw2' })), 'deleting a gateway with sub-devices').toBe('UnauthorizedOperation.GatewayHasBindedDevices');
    await bindApi(h, g, ['deleteme'], 'UnbindDevices');
    expect(await boundNames(h, g)).toEqual([]);
    // unbound, another gateway may take it
    await bindApi(h, gw.device('gw1'), ['deleteme']);
    await bindApi(h, gw.device('gw1'), ['deleteme'], 'UnbindDevices');
  });

  req(['GW-002'], 'DescribeGatewayBindDevices pages with Offset and Limit and refuses a negative Offset', async (h) => {
    const g = gw.device('gw2');
    const names = ['s1', 's10', 's2'];
    await bindApi(h, g, names);
    try {
      const page = (Offset: number, Limit: number) => h.api().call<{ TotalCount: number; Devices: { ProductId: string; DeviceName: string }[] }>('DescribeGatewayBindDevices',
        { GatewayProductId: g.productId, GatewayDeviceName: g.deviceName, Offset, Limit });
      const seen: string[] = [];
      for (let offset = 0; offset < names.length; offset++) {
        const r = await page(offset, 1);
        expect([r.TotalCount, r.Devices.length], `TotalCount and page size at Offset ${offset}, Limit 1`).toEqual([names.length, 1]);
        seen.push(r.Devices[0]!.DeviceName);
      }
      expect([...seen].sort(), 'one-device pages neither repeat nor skip a sub-device').toEqual(names);
      const rest = (await page(1, 10)).Devices.map((d) => d.DeviceName);
      expect(rest, 'Offset 1 gives the sub-devices after the first, in the same order').toEqual(seen.slice(1));
      expect((await page(names.length, 10)).Devices, 'an Offset past the end').toEqual([]);
      expect(await code(page(-1, 10)), 'a negative Offset').toBe('InvalidParameterValue');
    } finally {
      await bindApi(h, g, names, 'UnbindDevices');
    }
  });

  req(['GW-002'], 'DescribeGatewayBindDevices with ProductId lists only that product\'s sub-devices', async (h) => {
    const g = gw.device('gw2');
    const other = CAP_PRODUCTS[0]!;
    await other.addDevice('pfilter');
    const bind = (p: typeof sub, names: string[], action: 'BindDevices' | 'UnbindDevices' = 'BindDevices') =>
      h.api().call(action, { GatewayProductId: g.productId, GatewayDeviceName: g.deviceName, ProductId: p.productId, DeviceNames: names });
    await bind(sub, ['s1', 's2']);
    await bind(other, ['pfilter']);
    try {
      const list = async (productId: string) => {
        const r = await h.api().call<{ TotalCount: number; Devices: { ProductId: string; DeviceName: string }[] }>('DescribeGatewayBindDevices',
          { GatewayProductId: g.productId, GatewayDeviceName: g.deviceName, ProductId: productId, Offset: 0, Limit: 250 });
        h.expectSchema('gateway.schema.json#/$defs/describeBindResponse', r, 'DescribeGatewayBindDevices Response');
        return { total: r.TotalCount, devices: r.Devices.map((d) => `${d.ProductId}/${d.DeviceName}`).sort() };
      };
      expect(await list(sub.productId), `ProductId ${sub.productId}`).toEqual({ total: 2, devices: [`${sub.productId}/s1`, `${sub.productId}/s2`] });
      expect(await list(other.productId), `ProductId ${other.productId}`).toEqual({ total: 1, devices: [`${other.productId}/pfilter`] });
    } finally {
      await bind(sub, ['s1', 's2'], 'UnbindDevices');
      await bind(other, ['pfilter'], 'UnbindDevices');
    }
  });

  req(['GW-004'], 'a gateway takes 1500 sub-devices and BindDevices or bind past that fails, binding none', async (h) => {
    const g = gw.device('gw2');
    // 1501 devices over several products: targets may cap devices per product (the embedded hub at 200)
    const groups = CAP_PRODUCTS.map((p, k) => ({ p, names: Array.from({ length: k < 7 ? 190 : 171 }, (_, i) => `cap${i}`) }));
    const made = new Map<string, DeviceCredentials>();
    for (const { p, names } of groups) {
      for (let i = 0; i < names.length; i += 50) {
        for (const c of await Promise.all(names.slice(i, i + 50).map((n) => p.addDevice(n)))) made.set(`${c.productId}/${c.deviceName}`, c);
      }
    }
    const bind = (p: typeof sub, names: string[], action: 'BindDevices' | 'UnbindDevices' = 'BindDevices') =>
      h.api().call(action, { GatewayProductId: g.productId, GatewayDeviceName: g.deviceName, ProductId: p.productId, DeviceNames: names });
    const count = async () => (await h.api().call<{ TotalCount: number }>('DescribeGatewayBindDevices', { GatewayProductId: g.productId, GatewayDeviceName: g.deviceName, Limit: 10 })).TotalCount;
    try {
      for (const { p, names } of groups.slice(0, 7)) await bind(p, names); // 1330
      const last = groups[7]!;
      await bind(last.p, last.names.slice(0, 169)); // 1499
      expect(await code(bind(last.p, last.names.slice(169, 171))), 'the 1500th with the 1501st').toBe('FailedOperation.BindDeviceOverLimit');
      expect(await count(), 'a refused BindDevices binds none of its devices').toBe(1499);
      await bind(last.p, [last.names[169]!]);
      expect(await count(), 'exactly 1500').toBe(1500);
      expect(await code(bind(last.p, [last.names[170]!])), 'one more').toBe('FailedOperation.BindDeviceOverLimit');
      // the same limit over $gateway/operation: a correctly signed bind of the 1501st is answered 808
      const extra = made.get(`${last.p.productId}/${last.names[170]!}`)!;
      const d = await gatewayDevice(h, g);
      expect(await one(h, d, g, 'bind', extra, bindEntry(extra)), 'a bind over MQTT to a gateway holding 1500').toBe(808);
      expect(await count(), 'still exactly 1500').toBe(1500);
    } finally {
      for (const { p, names } of groups) await bind(p, names, 'UnbindDevices').catch(() => {});
    }
  }, { timeout: 180_000 });

  req(['GW-003'], 'BindDevices refuses non-gateways, unknown products and devices, a bad Skey, and devices of another gateway', async (h) => {
    const api = h.api();
    const call = (o: Record<string, unknown>) => code(api.call('BindDevices', { GatewayProductId: gw.productId, GatewayDeviceName: 'gw1', ProductId: sub.productId, DeviceNames: ['bindme3'], ...o }));
    expect(await call({ GatewayProductId: sub.productId, GatewayDeviceName: 'plain' }), 'a gateway of an ordinary product').toBe('InvalidParameterValue.ProductIsNotGateway');
    expect(await call({ GatewayProductId: 'NOSUCHPROD' }), 'unknown gateway product').toBe('ResourceNotFound.ProductNotExist');
    expect(await call({ GatewayDeviceName: 'nosuchgw' }), 'unknown gateway device').toBe('ResourceNotFound.DeviceNotExist');
    expect(await call({ ProductId: 'NOSUCHPROD' }), 'unknown sub-device product').toBe('ResourceNotFound.ProductNotExist');
    expect(await call({ DeviceNames: ['bindme3', 'nosuchdev'] }), 'unknown sub-device').toBe('ResourceNotFound.DeviceNotExist');
    expect(await call({ Skey: 7 }), 'a Skey that is not a string').toBe('InvalidParameterValue');
    expect(await boundNames(h, gw.device('gw1')), 'nothing bound by a refused call').not.toContain('bindme3');
    await bindApi(h, gw.device('gw2'), ['bindme3']);
    expect(await call({}), 'a device of another gateway').toBe('UnauthorizedOperation.DeviceHasAlreadyBindGateway');
    await bindApi(h, gw.device('gw2'), ['bindme3'], 'UnbindDevices');
    // another gateway of the same name in another gateway product is another gateway too
    await bindApi(h, twin.device('gw1'), ['bindme3']);
    expect(await call({}), 'a device of a same-named gateway in another product').toBe('UnauthorizedOperation.DeviceHasAlreadyBindGateway');
    await bindApi(h, twin.device('gw1'), ['bindme3'], 'UnbindDevices');
  });
});

describe('$gateway/operation', () => {
  req(['GW-006', 'GW-010', 'GW-015'], 'online and offline are answered per device, describe lists the sub-devices, DescribeDevice follows', async (h) => {
    const g = gw.device('gw1');
    await bindApi(h, g, ['s1', 's2']);
    const d = await gatewayDevice(h, g);
    const described = await ask(h, d, g, { type: 'describe_sub_devices' }, 'describe_sub_devices');
    expect(described.payload.devices.filter((e) => e.product_id === sub.productId).map((e) => e.device_name).sort()).toEqual(['s1', 's2']);
    const online = async (name: string) => (await h.api().call<{ Online: number }>('DescribeDevice', { ProductID: sub.productId, DeviceName: name })).Online;
    expect(await one(h, d, g, 'online', sub.device('s1')), 'online of a bound sub-device').toBe(0);
    expect(await online('s1'), 'DescribeDevice Online after online').toBe(1);
    expect(await one(h, d, g, 'online', sub.device('s10')), 'online of a device not bound to this gateway').toBe(-1);
    expect(await online('s10')).toBe(0);
    expect(await one(h, d, g, 'online', { productId: sub.productId, deviceName: 'nosuch', psk: '' }), 'online of an unknown device').toBe(802);
    expect(await one(h, d, g, 'offline', sub.device('s1')), 'offline').toBe(0);
    expect(await online('s1'), 'DescribeDevice Online after offline').toBe(0);
    expect(await one(h, d, g, 'offline', sub.device('s2')), 'offline of a bound sub-device that is not online').toBe(0);
    expect(await one(h, d, g, 'online', sub.device('s2'))).toBe(0);
    await d.end();
    // the gateway's connection closing takes its sub-devices offline
    // the hub learns of the close asynchronously: poll, bounded by the round-trip limit
    for (const until = Date.now() + ROUND_TRIP_LIMIT_MS; Date.now() < until && (await online('s2')) === 1;) await new Promise((r) => setTimeout(r, 100));
    expect(await online('s2'), 'DescribeDevice Online once the gateway is gone').toBe(0);
    await bindApi(h, g, ['s1', 's2'], 'UnbindDevices');
  });

  // Every run tries every flaw (in a random order), so no flaw's check rests on the generator happening to draw it.
  const BIND_FLAWS = ['ok', 'wrong-key', 'tampered', 'expired', 'decoded-key', 'bad-method'] as const;
  reqProperty(['GW-007', 'GW-008'], 'bind is accepted with the SDKs\' signatures and refused with its result code otherwise',
    [fc.constantFrom('hmacsha1' as const, 'hmacsha256' as const), fc.constantFrom<Encoding>('raw', 'hex'), fc.shuffledSubarray([...BIND_FLAWS], { minLength: BIND_FLAWS.length })],
    async (h, method, encoding, flaws) => {
      const g = gw.device('gw1');
      const target = sub.device('bindme');
      const d = await gatewayDevice(h, g);
      for (const flaw of flaws) {
        await bindApi(h, g, ['bindme'], 'UnbindDevices');
        const now = Math.floor(Date.now() / 1000);
        const e = bindEntry(target, {
          method, encoding,
          ...(flaw === 'wrong-key' ? { key: sub.device('bindme2').psk } : {}),
          ...(flaw === 'decoded-key' ? { key: Buffer.from(target.psk, 'base64').toString('latin1') } : {}),
          ...(flaw === 'expired' ? { timestamp: now - 3600 } : {}),
        });
        const sent = flaw === 'tampered' ? { ...e, random: e.random + 1 } : flaw === 'bad-method' ? { ...e, signmethod: 'md5' } : e;
        const result = await one(h, d, g, 'bind', target, sent);
        const expected = { ok: 0, 'wrong-key': 803, tampered: 803, 'decoded-key': 803, expired: 805, 'bad-method': 804 }[flaw];
        expect(result, `bind with ${method}/${encoding}, ${flaw}`).toBe(expected);
        expect((await boundNames(h, g)).includes('bindme'), `${flaw}: bound exactly when accepted`).toBe(expected === 0);
      }
    }, { numRuns: 6 });

  req(['GW-008', 'GW-009'], 'bind refuses unknown and already bound devices; unbind answers with its own type', async (h) => {
    const g = gw.device('gw1');
    const other = gw.device('gw2');
    const d = await gatewayDevice(h, g);
    const target = sub.device('bindme2');
    expect(await one(h, d, g, 'bind', { productId: sub.productId, deviceName: 'nosuch', psk: target.psk }, bindEntry({ ...target, deviceName: 'nosuch' })), 'unknown device').toBe(802);
    expect(await one(h, d, g, 'bind', target, bindEntry(target))).toBe(0);
    expect(await one(h, d, g, 'bind', target, bindEntry(target)), 'bound to this gateway already').toBe(809);
    const od = await gatewayDevice(h, other);
    expect(await one(h, od, other, 'bind', target, bindEntry(target)), 'bound to another gateway').toBe(806);
    expect(await one(h, od, other, 'unbind', target), 'unbind by a gateway it is not bound to').toBe(-1);
    expect(await one(h, d, g, 'unbind', target), 'unbind').toBe(0);
    expect(await boundNames(h, g)).not.toContain('bindme2');
  });

  req(['GW-011'], 'BindDevices and UnbindDevices notify the online gateway with change notices', async (h) => {
    const g = gw.device('gw2');
    const d = await gatewayDevice(h, g);
    for (const [action, status] of [['BindDevices', 1], ['UnbindDevices', 0]] as const) {
      const seen = d.received(resultTopic(g)).length;
      await bindApi(h, g, ['bindme3'], action);
      const m = await d.waitFor((x) => x.topic === resultTopic(g) && d.received(resultTopic(g)).indexOf(x) >= seen, ROUND_TRIP_LIMIT_MS);
      expect(m, `a change notice after ${action}`).toBeDefined();
      const notice = JSON.parse(m!.payload.toString()) as Answer;
      h.expectSchema('gateway.schema.json#/$defs/changeNotice', notice, `MQTT ${resultTopic(g)}`);
      expect([notice.type, notice.payload.status, notice.payload.devices.map((e) => e.device_name)]).toEqual(['change', status, ['bindme3']]);
      await d.publish(opTopic(g), JSON.stringify({ type: 'change', payload: { status, devices: [{ ...entry(sub.device('bindme3')), result: 0 }] } }), 1);
    }
    expect(d.isOpen, 'the acknowledgement is accepted').toBe(true);
  });

  req(['GW-018'], 'a device of an ordinary product is answered 808', async (h) => {
    const plain = sub.device('plain');
    const d = await gatewayDevice(h, plain);
    expect(await one(h, d, plain, 'online', sub.device('s1'))).toBe(808);
    expect(await one(h, d, plain, 'bind', sub.device('bindme3'), bindEntry(sub.device('bindme3')))).toBe(808);
    expect(await boundNames(h, gw.device('gw1'))).not.toContain('bindme3');
  });

  reqProperty(['GW-019'], 'malformed requests get 801 per entry or no answer, and the next request is answered',
    [fc.oneof(
      fc.constantFrom('not json', '{"payload":{}}', '{"type":"online"}', '{"type":"online","payload":{"devices":"x"}}', '[]', 'null'),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    ), fc.constantFrom<unknown>(null, 7, 'x', {}, { product_id: 1, device_name: 'a' }, { product_id: 'A', device_name: ['b'] })],
    async (h, junk, badEntry) => {
      const g = gw.device('gw1');
      const d = await gatewayDevice(h, g);
      await d.publish(opTopic(g), junk, 1);
      const a = await ask(h, d, g, { type: 'offline', payload: { devices: [badEntry] } }, 'offline');
      expect(a.payload.devices.map((e) => e.result), `entry ${JSON.stringify(badEntry)}`).toEqual([801]);
      expect(await one(h, d, g, 'offline', sub.device('s10')), 'a later request is answered').toBe(-1);
    }, { numRuns: 15 });

  req(['GW-019'], 'a bind entry whose signature, random or timestamp has the wrong type is answered 801 and binds nothing', async (h) => {
    const g = gw.device('gw1');
    const target = sub.device('bindme');
    await bindApi(h, g, ['bindme'], 'UnbindDevices');
    const d = await gatewayDevice(h, g);
    const e = bindEntry(target, { random: 5 });
    // signed over the text the wrong-typed value prints as, so only the type is wrong
    const flawed: [string, Record<string, unknown>][] = [
      ['random as a string', { ...e, random: '5' }],
      ['random as a fraction', { ...bindEntry(target, { random: 5 }), random: 5.5 }],
      ['timestamp as a string', { ...e, timestamp: String(e.timestamp) }],
      ['no signature', { ...e, signature: undefined }],
      ['signature as a number', { ...e, signature: 7 }],
    ];
    for (const [what, fields] of flawed) {
      expect(await one(h, d, g, 'bind', target, fields), what).toBe(801);
      expect(await boundNames(h, g), `nothing bound by a bind with ${what}`).not.toContain('bindme');
    }
  });
});

describe('acting for sub-devices', () => {
  // The corners: bound and online, bound but offline, online attempted while unbound, another gateway's, a name that prefixes another.
  reqProperty(['GW-012', 'GW-013'], 'a gateway uses exactly the topics of its bound, online sub-devices',
    [fc.constantFrom('s1', 's10'), fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom('data', 'event', 'control')],
    async (h, name, bound, putOnline, otherGateway, cls) => {
      const g = gw.device('gw1');
      const owner = otherGateway ? gw.device('gw2') : g;
      await bindApi(h, g, ['s1', 's10'], 'UnbindDevices');
      await bindApi(h, gw.device('gw2'), ['s1', 's10'], 'UnbindDevices');
      if (bound) await bindApi(h, owner, [name]);
      const d = await gatewayDevice(h, g);
      const target = sub.device(name);
      const other = sub.device(name === 's1' ? 's10' : 's1');
      if (putOnline) expect(await one(h, d, g, 'online', target), 'online').toBe(bound && !otherGateway ? 0 : -1);
      const acting = bound && putOnline && !otherGateway;
      const topic = `${target.productId}/${target.deviceName}/${cls}`;
      // default classes: data both ways, event publish only, control subscribe only — as the sub-device itself
      const canSub = acting && cls !== 'event';
      expect(await d.subscribe(topic, 1), `SUBSCRIBE ${cls} of ${name}`).toBe(canSub ? 1 : 0x80);
      expect(await d.subscribe(`${other.productId}/${other.deviceName}/data`, 1), `the other, unbound name ${other.deviceName}`).toBe(0x80);
      const own = `${g.productId}/${g.deviceName}/data`;
      expect(await d.subscribe(own, 1)).toBe(1);
      if (acting && cls === 'data') {
        await d.publish(topic, 'as-sub', 1);
        expect(await d.waitFor((m) => m.topic === topic && m.payload.toString() === 'as-sub', ROUND_TRIP_LIMIT_MS), 'the gateway publishes and receives the sub-device topic').toBeDefined();
      } else if (!acting) {
        // The sub-device itself listens on its data topic: the gateway's refused PUBLISH must not reach it.
        const data = `${target.productId}/${target.deviceName}/data`;
        const listener = await h.device(target, { label: 'the sub-device itself' });
        expect(await listener.subscribe(data, 1)).toBe(1);
        d.publishTracked(data, 'refused'); // a refused QoS 1 PUBLISH gets no PUBACK (ACL-008)
        // Barrier: the gateway's later PUBLISH on its own topic is acknowledged, then the listener's self-loop returns.
        const later = d.publishTracked(own, 'after');
        await d.conn.until(() => later.acked(), ROUND_TRIP_LIMIT_MS);
        expect(later.acked(), 'PUBACK for the gateway\'s own topic after the refused one').toBe(true);
        await selfLoop(listener, data);
        expect(listener.messages.some((m) => m.topic === data && m.payload.toString() === 'refused'), `the gateway's PUBLISH on ${data} reaches no one`).toBe(false);
      }
      await bindApi(h, owner, ['s1', 's10'], 'UnbindDevices');
    }, { numRuns: 20, timeout: 120_000 });

  req(['GW-013'], 'while a sub-device is online through it, the gateway\'s filters that name no device are judged as its own', async (h) => {
    const g = gw.device('gw1');
    const target = sub.device('s2');
    await bindApi(h, g, ['s2']);
    try {
      const d = await gatewayDevice(h, g);
      expect(await one(h, d, g, 'online', target)).toBe(0);
      expect(await d.subscribe('#', 1), 'SUBSCRIBE #').toBe(0x80);
      expect(await d.subscribe(`${target.productId}/+/data`, 1), 'SUBSCRIBE with + in the deviceName level').toBe(0x80);
      await d.unsubscribe(`${target.productId}/+/data`); // resolves on its UNSUBACK
      const own = `${g.productId}/${g.deviceName}/data`;
      expect(await d.subscribe(own, 1)).toBe(1);
      await selfLoop(d, own);
      expect(d.isOpen, 'the connection stays open').toBe(true);
      expect(await one(h, d, g, 'offline', target), 'and its requests are still answered').toBe(0);
    } finally {
      await bindApi(h, g, ['s2'], 'UnbindDevices');
    }
  });

  reqProperty(['GW-014'], 'offline and unbind stop existing subscriptions at once', [fc.constantFrom('offline', 'unbind', 'UnbindDevices')], async (h, how) => {
    const g = gw.device('gw1');
    const target = sub.device('s2');
    await bindApi(h, g, ['s2']);
    const d = await gatewayDevice(h, g);
    expect(await one(h, d, g, 'online', target)).toBe(0);
    const topic = `${target.productId}/${target.deviceName}/data`;
    expect(await d.subscribe(topic, 1)).toBe(1);
    const direct = await h.device(target); // the sub-device itself, also subscribed: its own copy is the barrier
    expect(await direct.subscribe(topic, 1)).toBe(1);
    await selfLoop(direct, topic);
    expect(await d.waitFor((m) => m.topic === topic, ROUND_TRIP_LIMIT_MS), 'delivered while online').toBeDefined();
    if (how === 'UnbindDevices') {
      await bindApi(h, g, ['s2'], 'UnbindDevices');
      await d.waitFor((m) => m.topic === resultTopic(g) && m.payload.toString().includes('"change"'), ROUND_TRIP_LIMIT_MS);
    } else {
      expect(await one(h, d, g, how, target)).toBe(0);
    }
    const before = d.received(topic).length;
    await selfLoop(direct, topic);
    const own = `${g.productId}/${g.deviceName}/data`;
    expect(await d.subscribe(own, 1)).toBe(1);
    await selfLoop(d, own);
    expect(d.received(topic).length - before, `nothing on ${topic} after ${how}`).toBe(0);
    expect(await d.subscribe(topic, 1), 'a new subscription is refused').toBe(0x80);
    await bindApi(h, g, ['s2'], 'UnbindDevices');
  }, { numRuns: 3 });

  req(['GW-016'], 'the gateway reads and updates a sub-device shadow on its topics', async (h) => {
    const g = gw.device('gw1');
    const target = sub.device('shadowed');
    await bindApi(h, g, ['shadowed']);
    const d = await gatewayDevice(h, g);
    expect(await one(h, d, g, 'online', target)).toBe(0);
    const result = `$shadow/operation/result/${target.productId}/${target.deviceName}`;
    expect(await d.subscribe(result, 1)).toBe(1);
    await d.publish(`$shadow/operation/${target.productId}/${target.deviceName}`, JSON.stringify({ type: 'update', clientToken: 'gw-1', state: { reported: { lamp: 'on' } } }), 1);
    const m = await d.waitFor((x) => x.topic === result && x.payload.toString().includes('gw-1'), ROUND_TRIP_LIMIT_MS);
    expect(m, 'the shadow answer reaches the gateway on the sub-device result topic').toBeDefined();
    expect((JSON.parse(m!.payload.toString()) as { result: number }).result).toBe(0);
    const shadow = await h.api().call<{ Data: string }>('DescribeDeviceShadow', { ProductId: target.productId, DeviceName: target.deviceName });
    expect(JSON.parse(shadow.Data).payload.state.reported, 'the sub-device\'s shadow changed').toEqual({ lamp: 'on' });
    await bindApi(h, g, ['shadowed'], 'UnbindDevices');
  });

  req(['GW-017'], 'the gateway reports a sub-device firmware version and gets the answer on $ota/update', async (h) => {
    const g = gw.device('gw1');
    const target = sub.device('ota');
    await bindApi(h, g, ['ota']);
    const d = await gatewayDevice(h, g);
    expect(await one(h, d, g, 'online', target)).toBe(0);
    const update = `$ota/update/${target.productId}/${target.deviceName}`;
    expect(await d.subscribe(update, 1)).toBe(1);
    await d.publish(`$ota/report/${target.productId}/${target.deviceName}`, JSON.stringify({ type: 'report_version', report: { version: '2.4.6' } }), 1);
    expect(await d.waitFor((x) => x.topic === update && x.payload.toString().includes('report_version_rsp'), ROUND_TRIP_LIMIT_MS), 'the answer reaches the gateway').toBeDefined();
    const described = await h.api().call<{ Version: string }>('DescribeDevice', { ProductID: target.productId, DeviceName: target.deviceName });
    expect(described.Version, 'recorded as the sub-device\'s version').toBe('2.4.6');
    await bindApi(h, g, ['ota'], 'UnbindDevices');
  });
});
