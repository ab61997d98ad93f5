// The cloud API's product and device actions: paging, connection and enable state, deletion rules, key and certificate
// devices, chosen PSKs, unknown products, topic-class limits, forbidden products and unserved actions (protocol.md §9.7, Appendix A).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { type CloudApi, apiErrorCode as errorCode } from '../src/client/cloud-api.js';
import { LoginRefused } from '../src/client/device.js';
import { type Harness, req, reqProperty } from './support/harness.js';
import { uniqueName, useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

/** 25 devices: three pages of 10, the last one partial. */
const PAGED = Array.from({ length: 25 }, (_, i) => `pg${String(i).padStart(2, '0')}`);
const paged = useProduct('apipage', { devices: PAGED });
const product = useProduct('apires', { devices: ['online', 'a', 'b', 'c', 'keep'] });
/** One device that reports a firmware version and one that never does (OTA-003's "None-FirmwareVersion"). */
const versions = useProduct('apifw', { devices: ['never', 'told'] });

const UNKNOWN_PRODUCT = 'NOSUCHPRD1';

interface DeviceInfo { DeviceName: string; Online: number; LoginTime: number; EnableState: number; CreateTime: number }
interface DevicePage { TotalCount: number; Devices: DeviceInfo[] }

async function newProduct(api: CloudApi, prefix: string, encryption: '1' | '2' = '2'): Promise<string> {
  const r = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: uniqueName(prefix).slice(0, 32), ProductProperties: { EncryptionType: encryption } });
  return r.ProductId;
}

/** Deletes a product made in a test with whatever devices it still has. */
async function dropProduct(api: CloudApi, productId: string): Promise<void> {
  const { Devices } = await api.call<DevicePage>('DescribeDevices', { ProductId: productId, Offset: 0, Limit: 250 }).catch(() => ({ Devices: [] as DeviceInfo[] }));
  for (const d of Devices) await api.call('DeleteDevice', { ProductId: productId, DeviceName: d.DeviceName }).catch(() => {});
  await api.call('DeleteProduct', { ProductId: productId }).catch(() => {});
}

const describeDevice = (api: CloudApi, productId: string, deviceName: string) => api.call<DeviceInfo>('DescribeDevice', { ProductID: productId, DeviceName: deviceName });

/** Polls DescribeDevice until `done` holds (a state change the hub makes when it sees the connection close), at most ROUND_TRIP_LIMIT_MS. */
async function describedWhen(api: CloudApi, productId: string, deviceName: string, done: (d: DeviceInfo) => boolean): Promise<DeviceInfo> {
  const until = Date.now() + ROUND_TRIP_LIMIT_MS;
  for (;;) {
    const d = await describeDevice(api, productId, deviceName);
    if (done(d) || Date.now() > until) return d;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('paging', () => {
  req(['API-018'], 'DescribeDevices pages: consecutive pages cover every device once, past the end is empty, Limit 10–250', async (h) => {
    const api = h.api();
    const pages: string[] = [];
    for (const offset of [0, 10, 20]) {
      const p = await api.call<DevicePage>('DescribeDevices', { ProductId: paged.productId, Offset: offset, Limit: 10 });
      expect(p.TotalCount, `TotalCount at Offset ${offset}`).toBe(PAGED.length);
      expect(p.Devices.length, `page at Offset ${offset}`).toBe(Math.min(10, PAGED.length - offset));
      pages.push(...p.Devices.map((d) => d.DeviceName));
    }
    expect([...pages].sort(), 'three pages of 10 hold every device exactly once').toEqual([...PAGED].sort());
    for (const offset of [PAGED.length, PAGED.length + 1, 1000]) {
      const past = await api.call<DevicePage>('DescribeDevices', { ProductId: paged.productId, Offset: offset, Limit: 10 });
      expect(past.Devices, `Offset ${offset}`).toEqual([]);
      expect(past.TotalCount).toBe(PAGED.length);
    }
    for (const limit of [10, 250]) expect(await errorCode(api.call('DescribeDevices', { ProductId: paged.productId, Offset: 0, Limit: limit })), `Limit ${limit}`).toBeUndefined();
    for (const [offset, limit] of [[0, 9], [0, 251], [0, 0], [-1, 10]] as const) {
      expect(await errorCode(api.call('DescribeDevices', { ProductId: paged.productId, Offset: offset, Limit: limit })), `Offset ${offset}, Limit ${limit}`).toMatch(/^InvalidParameterValue/);
      expect(await errorCode(api.call('DescribeProducts', { Offset: offset, Limit: limit })), `DescribeProducts Offset ${offset}, Limit ${limit}`).toMatch(/^InvalidParameterValue/);
    }
  });

  reqProperty(['API-018'], 'any page of DescribeDevices is that slice of the whole list',
    [fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom(0, 9, 10, 11, 24, 25, 26)), fc.constantFrom(10, 11, 12, 20, 24, 25, 26, 100, 250)],
    async (h, offset, limit) => {
      const api = h.api();
      const all = (await api.call<DevicePage>('DescribeDevices', { ProductId: paged.productId, Offset: 0, Limit: 250 })).Devices.map((d) => d.DeviceName);
      const page = await api.call<DevicePage>('DescribeDevices', { ProductId: paged.productId, Offset: offset, Limit: limit });
      expect(page.Devices.map((d) => d.DeviceName), `Offset ${offset}, Limit ${limit}`).toEqual(all.slice(offset, offset + limit));
      expect(page.TotalCount).toBe(PAGED.length);
    }, { numRuns: 25 });

  req(['API-018'], 'DescribeProducts pages: the newest products sit at the end, where Offset puts them', async (h) => {
    const api = h.api();
    type ProductPage = { TotalCount: number; Products: { ProductId: string }[] };
    const page = (offset: number) => api.call<ProductPage>('DescribeProducts', { Offset: offset, Limit: 10 });
    /** Every product id in listing order, page by page (bounded: the account holds at most a few thousand). */
    const listing = async (): Promise<string[]> => {
      const ids: string[] = [];
      for (let offset = 0; offset < 5000; offset += 10) {
        const p = await page(offset);
        ids.push(...p.Products.map((x) => x.ProductId));
        if (offset + 10 >= p.TotalCount) break;
      }
      return ids;
    };
    const older = new Set(await listing());
    const mine: string[] = [];
    try {
      for (let i = 0; i < 3; i++) mine.push(await newProduct(api, 'apipg'));
      // Other suites create and delete products meanwhile (a create and a delete leave TotalCount unchanged), so a page
      // is judged only against a whole listing that was the same just before and just after it was read.
      let judged = false;
      for (let attempt = 0; attempt < 8 && !judged; attempt++) {
        const before = await listing();
        const tail = await page(before.length - 3);
        const head = await page(0);
        const next = await page(1);
        const after = await listing();
        if (before.join() !== after.join() || [tail, head, next].some((p) => p.TotalCount !== before.length)) continue;
        judged = true;
        // Newest last: every product that existed before mine comes before them, mine follow in creation order, and
        // anything after them is newer still (made by another suite meanwhile).
        const at = mine.map((id) => before.indexOf(id));
        expect(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)), `my products ${mine.join(', ')} in creation order in ${before.join(', ')}`).toBe(true);
        expect(before.slice(at[0]).filter((id) => older.has(id)), 'products older than mine listed after them').toEqual([]);
        expect(tail.Products.map((p) => p.ProductId), `Offset ${before.length - 3} of ${before.length}`).toEqual(before.slice(-3));
        expect(head.Products.map((p) => p.ProductId), 'Offset 0').toEqual(before.slice(0, 10));
        expect(next.Products.map((p) => p.ProductId), 'Offset 1 starts one product after Offset 0').toEqual(before.slice(1, 11));
        const past = await page(before.length + 5);
        expect(past.Products).toEqual([]);
      }
      expect(judged, 'the product list kept changing during every attempt').toBe(true);
    } finally {
      for (const pid of mine) await api.call('DeleteProduct', { ProductId: pid }).catch(() => {});
    }
  });
});

describe('device state', () => {
  req(['API-019'], 'DescribeDevice shows Online 0 before login, 1 while connected, 0 after disconnecting, with LoginTime', async (h) => {
    const api = h.api();
    const before = await describeDevice(api, product.productId, 'online');
    expect(before.Online, 'before any login').toBe(0);
    const loginAt = Math.floor(Date.now() / 1000);
    const device = await h.device(product.device('online'));
    const on = await describeDevice(api, product.productId, 'online');
    expect(on.Online, 'while connected').toBe(1);
    expect(on.LoginTime, 'LoginTime in Unix seconds, set by the login').toBeGreaterThanOrEqual(Math.max(on.CreateTime, loginAt - 300));
    expect(on.LoginTime).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 300);
    expect(on.EnableState).toBe(1);
    await device.end();
    const off = await describedWhen(api, product.productId, 'online', (d) => d.Online === 0);
    expect(off.Online, `after the device disconnected (waited up to ${ROUND_TRIP_LIMIT_MS} ms)`).toBe(0);
    const listed = (await api.call<DevicePage>('DescribeDevices', { ProductId: product.productId, Offset: 0, Limit: 10, DeviceName: 'online' })).Devices;
    expect(listed.find((d) => d.DeviceName === 'online')?.Online, 'DescribeDevices agrees').toBe(0);
  });

  req(['API-020'], 'enable state is switched for every device named, singly and in batches, and unknown devices are refused', async (h) => {
    const api = h.api();
    const state = async () => Object.fromEntries(await Promise.all(['a', 'b', 'c', 'keep'].map(async (dn) => [dn, (await describeDevice(api, product.productId, dn)).EnableState])));
    try {
      await api.call('UpdateDevicesEnableState', { ProductID: product.productId, DeviceNames: ['a', 'b'], Status: 0 });
      expect(await state(), 'batch disable of a and b').toEqual({ a: 0, b: 0, c: 1, keep: 1 });
      await api.call('UpdateDeviceAvailableState', { ProductId: product.productId, DeviceName: 'c', EnableState: 0 });
      expect(await state(), 'single disable of c').toEqual({ a: 0, b: 0, c: 0, keep: 1 });
      const disabled = (await api.call<DevicePage>('DescribeDevices', { ProductId: product.productId, Offset: 0, Limit: 10, EnableState: 0 })).Devices.map((d) => d.DeviceName).sort();
      expect(disabled, 'DescribeDevices EnableState 0').toEqual(['a', 'b', 'c']);
      await api.call('UpdateDevicesEnableState', { ProductID: product.productId, DeviceNames: ['c', 'b', 'a'], Status: 1 });
      expect(await state(), 'batch enable of all three').toEqual({ a: 1, b: 1, c: 1, keep: 1 });
      await api.call('UpdateDeviceAvailableState', { ProductId: product.productId, DeviceName: 'b', EnableState: 0 });
      await api.call('UpdateDeviceAvailableState', { ProductId: product.productId, DeviceName: 'b', EnableState: 1 });
      expect(await state(), 'single disable then enable of b').toEqual({ a: 1, b: 1, c: 1, keep: 1 });
      expect(await errorCode(api.call('UpdateDeviceAvailableState', { ProductId: product.productId, DeviceName: 'nobody', EnableState: 0 }))).toBe('ResourceNotFound.DeviceNotExist');
      expect(await errorCode(api.call('UpdateDevicesEnableState', { ProductID: product.productId, DeviceNames: ['nobody'], Status: 0 }))).toBe('ResourceNotFound.DeviceNotExist');
    } finally {
      await api.call('UpdateDevicesEnableState', { ProductID: product.productId, DeviceNames: ['a', 'b', 'c', 'keep'], Status: 1 }).catch(() => {});
    }
  });
});

describe('products and their devices', () => {
  req(['API-021'], 'a product with a device cannot be deleted; without it, it can', async (h) => {
    const api = h.api();
    const pid = await newProduct(api, 'apidel');
    try {
      await api.call('CreateDevice', { ProductId: pid, DeviceName: 'last' });
      expect(await errorCode(api.call('DeleteProduct', { ProductId: pid }))).toBe('UnauthorizedOperation.DevicesExistUnderProduct');
      expect((await api.call<{ ProductId: string }>('DescribeProduct', { ProductId: pid })).ProductId, 'the product is still there').toBe(pid);
      expect((await describeDevice(api, pid, 'last')).DeviceName, 'and so is its device').toBe('last');
      await api.call('DeleteDevice', { ProductId: pid, DeviceName: 'last' });
      expect(await errorCode(api.call('DeleteProduct', { ProductId: pid })), 'DeleteProduct once the last device is gone').toBeUndefined();
      expect(await errorCode(api.call('DescribeProduct', { ProductId: pid }))).toBe('ResourceNotFound.ProductNotExist');
    } finally {
      await dropProduct(api, pid);
    }
  });

  req(['API-022'], 'EncryptionType "2" gives key devices, "1" certificate devices, and DescribeProduct reports it', async (h) => {
    const api = h.api();
    const keyPid = await newProduct(api, 'apikey', '2');
    const certPid = await newProduct(api, 'apicrt', '1');
    try {
      for (const [pid, type] of [[keyPid, '2'], [certPid, '1']] as const) {
        const described = await api.call<{ ProductProperties: { EncryptionType: string | number } }>('DescribeProduct', { ProductId: pid });
        expect(String(described.ProductProperties.EncryptionType), `product ${pid}`).toBe(type);
      }
      const key = await api.call<{ DevicePsk: string; DeviceCert: string; DevicePrivateKey: string }>('CreateDevice', { ProductId: keyPid, DeviceName: 'k1' });
      expect(key.DevicePsk, 'a key device gets a PSK').toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      expect(key.DeviceCert ?? '', 'and no certificate').toBe('');
      const cert = await api.call<{ DevicePsk: string; DeviceCert: string; DevicePrivateKey: string }>('CreateDevice', { ProductId: certPid, DeviceName: 'c1' });
      expect(cert.DeviceCert, 'a certificate device gets a certificate').toMatch(/-----BEGIN CERTIFICATE-----/);
      expect(cert.DevicePrivateKey, 'and its private key').toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
      expect(cert.DevicePsk ?? '', 'and no PSK').toBe('');
      const psk = Buffer.alloc(16, 5).toString('base64');
      expect(await errorCode(api.call('CreateDevice', { ProductId: certPid, DeviceName: 'c2', DefinedPsk: psk })), 'DefinedPsk for a certificate product').toBe('UnauthorizedOperation.ProductNotSupportPSK');
      expect(await errorCode(describeDevice(api, certPid, 'c2')), 'the refused device was not created').toBe('ResourceNotFound.DeviceNotExist');
    } finally {
      await dropProduct(api, keyPid);
      await dropProduct(api, certPid);
    }
  });

  req(['API-023'], 'CreateDevice with DefinedPsk gives that PSK, which logs in; a PSK that is not Base64 or over 48 bytes is refused', async (h) => {
    const api = h.api();
    const psk = Buffer.from(Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 255)).toString('base64');
    const dn = `psk_${uniqueName('').slice(1, 9)}`;
    try {
      const made = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId: product.productId, DeviceName: dn, DefinedPsk: psk });
      expect(made.DevicePsk, 'the answer carries the chosen PSK').toBe(psk);
      expect((await api.call<{ DevicePsk: string }>('DescribeDevice', { ProductID: product.productId, DeviceName: dn })).DevicePsk, 'DescribeDevice too').toBe(psk);
      const device = await h.device({ productId: product.productId, deviceName: dn, psk });
      expect(device.isOpen, 'the device logs in with the chosen PSK').toBe(true);
      await device.end();
      const b48 = Buffer.alloc(48, 7).toString('base64');
      const b49 = Buffer.alloc(49, 7).toString('base64');
      expect(await errorCode(api.call('CreateDevice', { ProductId: product.productId, DeviceName: `${dn}_48`, DefinedPsk: b48 })), '48 bytes').toBeUndefined();
      expect(await errorCode(api.call('CreateDevice', { ProductId: product.productId, DeviceName: `${dn}_49`, DefinedPsk: b49 })), '49 bytes').toMatch(/^InvalidParameterValue/);
      for (const bad of ['not base64!', 'abc', 'YWJj=', '====']) {
        expect(await errorCode(api.call('CreateDevice', { ProductId: product.productId, DeviceName: `${dn}_bad`, DefinedPsk: bad })), `DefinedPsk ${JSON.stringify(bad)}`).toBe('InvalidParameterValue.DefinedPskNotBase64');
      }
    } finally {
      for (const name of [dn, `${dn}_48`, `${dn}_49`, `${dn}_bad`]) await api.call('DeleteDevice', { ProductId: product.productId, DeviceName: name }).catch(() => {});
    }
  });

  req(['API-038'], 'CreateDevice keeps Attribute.Tags: DescribeDevice returns each Tag, Type, Value and Name as given', async (h) => {
    const api = h.api();
    const dn = `tag_${uniqueName('').slice(1, 9)}`;
    const tags = [{ Tag: 'count', Type: 1, Value: '42' }, { Tag: 'note', Type: 2, Value: 'hello', Name: 'Note' }];
    try {
      await api.call('CreateDevice', { ProductId: product.productId, DeviceName: dn, Attribute: { Tags: tags } });
      const described = (await api.call<{ Tags: unknown[] }>('DescribeDevice', { ProductID: product.productId, DeviceName: dn })).Tags;
      expect(described, 'an int tag (Type 1) and a string tag (Type 2)').toEqual(tags.map((t) => expect.objectContaining(t)));
    } finally {
      await api.call('DeleteDevice', { ProductId: product.productId, DeviceName: dn }).catch(() => {});
    }
  });

  req(['OTA-003'], 'DescribeDevices with FirmwareVersion "None-FirmwareVersion" lists the devices that never reported a version', async (h) => {
    const api = h.api();
    const { productId } = versions;
    const version = `nv.${Date.now() % 100000}`;
    const device = await h.device(versions.device('told'));
    try {
      const update = `$ota/update/${productId}/told`;
      expect(await device.subscribe(update, 1)).toBe(1);
      await device.publish(`$ota/report/${productId}/told`, JSON.stringify({ type: 'report_version', report: { version } }), 1);
      // the report_version_rsp answers the report once it is recorded (OTA-002)
      const rsp = await device.waitFor((m) => m.topic === update && m.payload.toString('utf8').includes('report_version_rsp'), ROUND_TRIP_LIMIT_MS);
      expect(rsp, `a report_version_rsp on ${update}`).toBeDefined();
    } finally {
      await device.end();
    }
    const listed = async (firmware: string) => {
      const page = await api.call<DevicePage>('DescribeDevices', { ProductId: productId, Offset: 0, Limit: 10, FirmwareVersion: firmware });
      return { total: page.TotalCount, names: page.Devices.map((d) => d.DeviceName) };
    };
    expect(await listed('None-FirmwareVersion'), 'the device that never reported a version, only').toEqual({ total: 1, names: ['never'] });
    expect(await listed(version), `the device that reported ${version}`).toEqual({ total: 1, names: ['told'] });
  });

  req(['API-024'], 'device actions on an unknown product or device fail with ResourceNotFound', async (h) => {
    const api = h.api();
    expect(await errorCode(api.call('CreateDevice', { ProductId: UNKNOWN_PRODUCT, DeviceName: 'x' }))).toBe('ResourceNotFound.ProductNotExist');
    expect(await errorCode(api.call('DescribeDevice', { ProductID: UNKNOWN_PRODUCT, DeviceName: 'x' }))).toBe('ResourceNotFound.ProductNotExist');
    expect(await errorCode(api.call('DescribeDevices', { ProductId: UNKNOWN_PRODUCT, Offset: 0, Limit: 10 }))).toBe('ResourceNotFound.ProductNotExist');
    expect(await errorCode(api.call('DescribeDevice', { ProductID: product.productId, DeviceName: 'nobody' }))).toBe('ResourceNotFound.DeviceNotExist');
  });

  req(['API-036'], 'a product description of 500 characters is accepted, one of 501 refused', async (h) => {
    const api = h.api();
    const made: string[] = [];
    try {
      const ok = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: uniqueName('apidsc').slice(0, 32), ProductProperties: { EncryptionType: '2', ProductDescription: 'd'.repeat(500) } });
      made.push(ok.ProductId);
      const code = await errorCode(api.call<{ ProductId: string }>('CreateProduct', { ProductName: uniqueName('apidsc').slice(0, 32), ProductProperties: { EncryptionType: '2', ProductDescription: 'd'.repeat(501) } }).then((r) => { made.push(r.ProductId); }));
      expect(code, '501 characters').toMatch(/^InvalidParameterValue/);
    } finally {
      for (const pid of made) await api.call('DeleteProduct', { ProductId: pid }).catch(() => {});
    }
  });

  req(['API-041'], 'CreateProduct keeps Format, ProductType and ProductDescription as given; left out, Format is "json" and ProductType 0', async (h) => {
    const api = h.api();
    interface Props { Format?: string; ProductType?: number; ProductDescription?: string }
    const made: string[] = [];
    const create = async (given: Props) => {
      const r = await api.call<{ ProductId: string; ProductProperties: Props }>('CreateProduct', { ProductName: uniqueName('apifmt').slice(0, 32), ProductProperties: { EncryptionType: '2', ...given } });
      made.push(r.ProductId);
      return r;
    };
    const described = async (pid: string) => (await api.call<{ ProductProperties: Props }>('DescribeProduct', { ProductId: pid })).ProductProperties;
    try {
      const defaults = await create({});
      expect(defaults.ProductProperties, 'CreateProduct without Format or ProductType').toMatchObject({ Format: 'json', ProductType: 0 });
      expect(await described(defaults.ProductId), 'DescribeProduct of a product created without Format or ProductType').toMatchObject({ Format: 'json', ProductType: 0 });
      for (const given of [{ Format: 'custom', ProductType: 0, ProductDescription: 'custom format' }, { Format: 'json', ProductDescription: 'json format' }] as const) {
        const r = await create(given);
        expect(r.ProductProperties, `CreateProduct with ${JSON.stringify(given)}`).toMatchObject(given);
        expect(await described(r.ProductId), `DescribeProduct of the product created with ${JSON.stringify(given)}`).toMatchObject(given);
      }
    } finally {
      for (const pid of made) await api.call('DeleteProduct', { ProductId: pid }).catch(() => {});
    }
  });
});

describe('topic classes and forbidden products', () => {
  req(['API-026'], 'the 100th topic class of a product is created, the 101st refused', async (h) => {
    const api = h.api();
    const pid = await newProduct(api, 'apitop');
    try {
      for (let i = 1; i <= 100; i++) {
        const code = await errorCode(api.call('CreateTopicPolicy', { ProductID: pid, TopicName: `t${i}`, Privilege: 3 }));
        expect(code, `topic class ${i}`).toBeUndefined();
      }
      expect(await errorCode(api.call('CreateTopicPolicy', { ProductID: pid, TopicName: 't101', Privilege: 3 }))).toBe('LimitExceeded.TopicPolicyExceedLimit');
      // not created: an update of it finds nothing
      expect(await errorCode(api.call('UpdateTopicPolicy', { ProductID: pid, TopicName: 't101', NewTopicName: 't101', Privilege: 1 }))).toBe('ResourceNotFound.TopicPolicyNotExist');
    } finally {
      await dropProduct(api, pid);
    }
  });

  req(['API-027'], 'SetProductsForbiddenStatus forbids a product (its devices are refused at login) and lifts the ban', async (h) => {
    const api = h.api();
    const pid = await newProduct(api, 'apifbd');
    const login = async (creds: { productId: string; deviceName: string; psk: string }) => {
      try {
        const d = await h.device(creds);
        await d.end();
        return 'accepted';
      } catch (e) {
        if (e instanceof LoginRefused) return 'refused';
        throw e;
      }
    };
    try {
      const { DevicePsk } = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId: pid, DeviceName: 'f1' });
      const creds = { productId: pid, deviceName: 'f1', psk: DevicePsk };
      expect(await login(creds), 'before').toBe('accepted');
      await api.call('SetProductsForbiddenStatus', { ProductID: [pid], Status: 1 });
      expect(await login(creds), 'while the product is forbidden').toBe('refused');
      await api.call('SetProductsForbiddenStatus', { ProductID: [pid], Status: 0 });
      expect(await login(creds), 'after the ban is lifted').toBe('accepted');
      expect(await errorCode(api.call('SetProductsForbiddenStatus', { ProductID: [UNKNOWN_PRODUCT], Status: 1 }))).toBe('ResourceNotFound.ProductNotExist');
    } finally {
      await api.call('SetProductsForbiddenStatus', { ProductID: [pid], Status: 0 }).catch(() => {});
      await dropProduct(api, pid);
    }
  });
});

/** Values for Appendix A parameters that name nothing that exists. */
const NONE: Record<string, unknown> = {
  ProductId: UNKNOWN_PRODUCT, ProductID: UNKNOWN_PRODUCT, GatewayProductId: UNKNOWN_PRODUCT, DeviceName: 'no_such_device', GatewayDeviceName: 'no_such_gateway',
  DeviceNames: ['no_such_device'], FirmwareVersion: 'no_such_version', TaskId: 987654321, Id: 'no_such_task', RuleName: 'no_such_rule_hubcheck',
  Name: 'no_such_resource', Offset: 0, Limit: 10, Payload: 'eA==', Qos: 0, Port: 1, Topic: `${UNKNOWN_PRODUCT}/no_such_device/event`,
  State: '{"state":{"desired":{"x":1}}}', ShadowVersion: 0, TopicName: 'no_such_topic', NewTopicName: 'no_such_topic', Privilege: 1, Status: 0,
  EnableState: 1, DeviceType: 0, ParametersType: 0, FirmwareName: 'none', Md5sum: '0'.repeat(32), FileSize: 1, RegisterType: 1, RegisterLimit: 10,
  TaskType: 'PublishMessage', DeviceNameFilter: 'no_such_device', ScheduleTimeInSeconds: 0, Tasks: { PublishMessageTask: { Topic: 'event', Payload: 'x' } },
  TopicRulePayload: { Sql: `SELECT * FROM '${UNKNOWN_PRODUCT}/no_such_device/event'`, Actions: '[]', RuleDisabled: true },
};
/** Every 2018-06-14 action (protocol.md §9.7) with its required parameters, except those that succeed without naming anything that exists (lists, logs, CreateProduct, CreateTopicRule, GetUserResourceInfo). */
const ACTIONS_ABOUT_SOMETHING: Record<string, string[]> = {
  BatchUpdateFirmware: ['ProductID', 'FirmwareVersion'], BindDevices: ['GatewayProductId', 'GatewayDeviceName', 'ProductId', 'DeviceNames'],
  CancelDeviceFirmwareTask: ['ProductID', 'DeviceName', 'FirmwareVersion', 'TaskId'], CancelTask: ['Id'], CreateDevice: ['ProductId', 'DeviceName'],
  CreateLoraDevice: ['ProductId', 'DeviceName', 'DeviceType'], CreateMultiDevice: ['ProductId', 'DeviceNames'], CreateMultiDevicesTask: ['ProductId', 'ParametersType'],
  CreateTask: ['TaskType', 'ProductId', 'DeviceNameFilter', 'ScheduleTimeInSeconds', 'Tasks'], CreateTaskFileUrl: ['ProductId'],
  CreateTopicPolicy: ['ProductID', 'TopicName', 'Privilege'], DeleteDevice: ['ProductId', 'DeviceName'], DeleteDeviceResource: ['ProductID', 'Name', 'DeviceName'],
  DeleteLoraDevice: ['ProductId', 'DeviceName'], DeleteProduct: ['ProductId'], DeleteTopicRule: ['RuleName'], DescribeDevice: ['ProductID', 'DeviceName'],
  DescribeDeviceClientKey: ['ProductId', 'DeviceName'], DescribeDeviceResource: ['DeviceName', 'ProductID', 'Name'], DescribeDeviceShadow: ['ProductId', 'DeviceName'],
  DescribeDevices: ['ProductId', 'Offset', 'Limit'], DescribeFirmware: ['ProductID', 'FirmwareVersion'], DescribeFirmwareTask: ['ProductID', 'FirmwareVersion', 'TaskId'],
  DescribeFirmwareTaskDevices: ['ProductID', 'FirmwareVersion'], DescribeFirmwareTaskDistribution: ['ProductID', 'FirmwareVersion', 'TaskId'],
  DescribeFirmwareTaskStatistics: ['ProductID', 'FirmwareVersion'], DescribeFirmwareTasks: ['ProductID', 'FirmwareVersion', 'Offset', 'Limit'],
  DescribeLoraDevice: ['ProductId', 'DeviceName'], DescribeMultiDevTask: ['TaskId', 'ProductId'], DescribeMultiDevices: ['ProductId', 'TaskId', 'Offset', 'Limit'],
  DescribeProduct: ['ProductId'], DescribeProductResource: ['ProductID', 'Name'], DescribeProductTask: ['ProductId', 'TaskId'], DescribeProductTasks: ['ProductId', 'Offset', 'Limit'],
  DescribePushResourceTaskStatistics: ['ProductID', 'Name'], DescribeResourceTasks: ['ProductID', 'Name', 'Offset', 'Limit'], DescribeTask: ['Id'],
  DisableTopicRule: ['RuleName'], DownloadDeviceResource: ['ProductID', 'Name', 'DeviceName'], EditFirmware: ['ProductID', 'FirmwareVersion', 'FirmwareName'],
  EnableTopicRule: ['RuleName'], GetCOSURL: ['ProductID', 'FirmwareVersion'], PublishAsDevice: ['ProductId', 'DeviceName', 'Port', 'Payload'],
  PublishBroadcastMessage: ['ProductId', 'Payload', 'Qos'], PublishMessage: ['Topic', 'Payload', 'ProductId', 'DeviceName'], PublishRRPCMessage: ['ProductId', 'DeviceName', 'Payload'],
  PublishToDevice: ['ProductId', 'DeviceName', 'Port', 'Payload'], ReplaceTopicRule: ['RuleName', 'TopicRulePayload'], ResetDeviceState: ['ProductId', 'DeviceNames'],
  RetryDeviceFirmwareTask: ['ProductID', 'DeviceName', 'FirmwareVersion', 'TaskId'], SetProductsForbiddenStatus: ['ProductID', 'Status'],
  UnbindDevices: ['GatewayProductId', 'GatewayDeviceName', 'ProductId', 'DeviceNames'], UpdateDeviceAvailableState: ['ProductId', 'DeviceName', 'EnableState'],
  UpdateDeviceShadow: ['ProductId', 'DeviceName', 'State', 'ShadowVersion'], UpdateDevicesEnableState: ['ProductID', 'DeviceNames', 'Status'],
  UpdateProductDynamicRegister: ['ProductId', 'RegisterType', 'RegisterLimit'], UpdateTopicPolicy: ['ProductID', 'TopicName', 'NewTopicName', 'Privilege'],
  UploadFirmware: ['ProductID', 'FirmwareVersion', 'Md5sum', 'FileSize'],
};

describe('unserved actions', () => {
  req(['API-028'], 'every 2018-06-14 action about a product, device, task, rule or firmware that does not exist fails', async (h: Harness) => {
    const api = h.api();
    const succeeded: string[] = [];
    for (const [action, names] of Object.entries(ACTIONS_ABOUT_SOMETHING)) {
      const params = Object.fromEntries(names.map((n) => [n, n === 'ProductID' && action === 'SetProductsForbiddenStatus' ? [UNKNOWN_PRODUCT] : NONE[n]]));
      const code = await errorCode(api.call(action, params));
      h.trace.add('note', `${action}: ${code ?? 'success'}`);
      if (code === undefined) succeeded.push(action);
    }
    expect(succeeded, 'actions that answered a success about things that do not exist').toEqual([]);
  });
});
