// The cloud API of the reference hub: TC3 signatures, the envelope, each action's happy path and its main errors.

import { createHash } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { canonicalRequest, tc3Signature } from '../../hub/api/sign.js';
import { api, apiError, callApi, connectDevice, provision, type Device } from './helpers.js';

let hub: RunningHub;

beforeAll(async () => {
  hub = await startHub({ quotas: { productsPerAccount: 1000, devicesPerProduct: 3 } });
});
afterAll(() => hub.close());

describe('TC3-HMAC-SHA256', () => {
  test('protocol.md §9.4 / Appendix C7 vector', () => {
    const body = '{"ProductId":"ABCDEFGHIJ","DeviceName":"dev01"}';
    const canonical = canonicalRequest({
      method: 'POST',
      query: '',
      headers: [['content-type', 'application/json'], ['host', 'iotcloud.tencentcloudapi.com']],
      hashedPayload: createHash('sha256').update(body).digest('hex'),
    });
    expect(createHash('sha256').update(canonical).digest('hex')).toBe('67405d446fa490cf47024f173068eb52ffa429e463b069215299f5dfdd6986e8');
    expect(tc3Signature('Gu5t9xGARNpq86cd98joQYCN3EXAMPLE', 1551113065, 'iotcloud', canonical)).toBe(
      '9208fbc72125d6d8d6a053b58175a39be81dc602137d1626e954adbd35864153',
    );
  });

  test('a signature over the host with or without the port is accepted (compat.md)', async () => {
    expect((await callApi(hub, 'DescribeProducts', { Offset: 0, Limit: 10 })).Response.Error).toBeUndefined();
    expect((await callApi(hub, 'DescribeProducts', { Offset: 0, Limit: 10 }, { signHostWithoutPort: true })).Response.Error).toBeUndefined();
  });

  test('bad signature, stale or future timestamp, unknown SecretId, missing Authorization', async () => {
    const p = { Offset: 0, Limit: 10 };
    expect(await apiError(hub, 'DescribeProducts', p, { secretKey: 'wrong' })).toBe('AuthFailure.SignatureFailure');
    const now = Math.floor(Date.now() / 1000);
    expect(await apiError(hub, 'DescribeProducts', p, { timestamp: now - 301 })).toBe('AuthFailure.SignatureExpire');
    expect(await apiError(hub, 'DescribeProducts', p, { timestamp: now + 301 })).toBe('AuthFailure.SignatureExpire');
    expect((await callApi(hub, 'DescribeProducts', p, { timestamp: now - 290 })).Response.Error).toBeUndefined();
    expect(await apiError(hub, 'DescribeProducts', p, { secretId: 'AKIDnobody' })).toBe('AuthFailure.SecretIdNotFound');
    expect(await apiError(hub, 'DescribeProducts', p, { headers: { Authorization: '' } })).toBe('AuthFailure.InvalidAuthorization');
    expect(await apiError(hub, 'DescribeProducts', p, { headers: { Authorization: 'Bearer x' } })).toBe('AuthFailure.InvalidAuthorization');
    // the body is bound by the signature
    expect(await apiError(hub, 'DescribeProducts', p, { sendBody: JSON.stringify({ Offset: 1, Limit: 10 }) })).toBe('AuthFailure.SignatureFailure');
  });

  test('unknown action, wrong version, missing headers', async () => {
    expect(await apiError(hub, 'GetDeviceShadow', {})).toBe('InvalidAction');
    expect(await apiError(hub, 'DescribeProducts', { Offset: 0, Limit: 10 }, { version: '2021-04-08' })).toBe('NoSuchVersion');
    expect(await apiError(hub, 'DescribeProducts', {}, { headers: { 'X-TC-Action': '' } })).toBe('MissingParameter');
  });

  test('malformed JSON, a non-object body and a body over 1 MiB get clean errors', async () => {
    expect(await apiError(hub, 'DescribeProducts', null, { rawBody: '{"Offset": 0,' })).toBe('InvalidRequest');
    expect(await apiError(hub, 'DescribeProducts', null, { rawBody: '[1,2]' })).toBe('InvalidRequest');
    const big = JSON.stringify({ ProductName: 'x'.repeat(1024 * 1024) });
    expect(await apiError(hub, 'CreateProduct', null, { rawBody: big })).toBe('RequestSizeLimitExceeded');
  });

  test('non-POST and other paths', async () => {
    const get = await fetch(hub.endpoints.api);
    expect(get.status).toBe(200);
    expect(((await get.json()) as any).Response.Error.Code).toBe('UnsupportedProtocol');
    const other = await fetch(hub.endpoints.api + '/device/no-such-route', { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect(((await other.json()) as any).Response.Error.Code).toBe('InvalidRequest');
  });

  test('garbage bytes on the HTTP port do not hurt the hub', async () => {
    const url = new URL(hub.endpoints.api);
    await new Promise<void>((resolve) => {
      const s = netConnect(Number(url.port), url.hostname, () => s.write(Buffer.from([0, 1, 2, 255, 13, 10, 13, 10])));
      s.on('data', () => {});
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    expect((await callApi(hub, 'DescribeProducts', { Offset: 0, Limit: 10 })).Response.Error).toBeUndefined();
  });
});

describe('products', () => {
  test('CreateProduct / DescribeProduct / DescribeProducts / DeleteProduct', async () => {
    const created = await api(hub, 'CreateProduct', { ProductName: 'fruit_1', ProductProperties: { ProductDescription: 'test', EncryptionType: '2' } });
    expect(created.ProductId).toMatch(/^[A-Z0-9]{10}$/);
    expect(created.ProductName).toBe('fruit_1');
    expect(created.ProductProperties).toMatchObject({ ProductDescription: 'test', EncryptionType: '2', Region: 'gz', ProductType: 0, Format: 'json' });
    expect(created.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    const d = await api(hub, 'DescribeProduct', { ProductId: created.ProductId });
    expect(d).toMatchObject({ ProductId: created.ProductId, ProductName: 'fruit_1', ProductMetadata: { CreationDate: expect.any(Number) } });
    const list = await api(hub, 'DescribeProducts', { Offset: 0, Limit: 250 });
    expect(list.Products.map((p: any) => p.ProductId)).toContain(created.ProductId);
    expect(list.TotalCount).toBe(list.Products.length);
    await api(hub, 'DeleteProduct', { ProductId: created.ProductId });
    expect(await apiError(hub, 'DescribeProduct', { ProductId: created.ProductId })).toBe('ResourceNotFound.ProductNotExist');
  });

  test('CreateProduct errors', async () => {
    expect(await apiError(hub, 'CreateProduct', {})).toBe('MissingParameter');
    expect(await apiError(hub, 'CreateProduct', { ProductName: 'bad name' })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'CreateProduct', { ProductName: 'x'.repeat(33) })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'CreateProduct', { ProductName: 'ok', ProductProperties: { EncryptionType: 2 } })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'CreateProduct', { ProductName: 'ok', ProductProperties: { Bogus: 1 } })).toBe('UnknownParameter');
    expect(await apiError(hub, 'CreateProduct', { ProductName: 'ok', Productname: 'x' })).toBe('UnknownParameter');
    await api(hub, 'CreateProduct', { ProductName: 'dup' });
    expect(await apiError(hub, 'CreateProduct', { ProductName: 'dup' })).toBe('InvalidParameterValue.ProductAlreadyExist');
  });

  test('DescribeProducts paging limits', async () => {
    expect(await apiError(hub, 'DescribeProducts', { Offset: 0, Limit: 9 })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'DescribeProducts', { Offset: 0, Limit: 251 })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'DescribeProducts', { Offset: -1, Limit: 10 })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'DescribeProducts', { Offset: 0, Limit: '10' })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'DescribeProducts', { Offset: 0 })).toBe('MissingParameter');
  });

  test('DeleteProduct with devices is refused', async () => {
    const [d] = (await provision(hub, ['x'])) as [Device];
    expect(await apiError(hub, 'DeleteProduct', { ProductId: d.productId })).toBe('UnauthorizedOperation.DevicesExistUnderProduct');
    await api(hub, 'DeleteDevice', { ProductId: d.productId, DeviceName: 'x' });
    await api(hub, 'DeleteProduct', { ProductId: d.productId });
    expect(await apiError(hub, 'DeleteProduct', { ProductId: d.productId })).toBe('ResourceNotFound.ProductNotExist');
  });

  test('product quota', async () => {
    const small = await startHub({ quotas: { productsPerAccount: 2 } });
    try {
      await api(small, 'CreateProduct', { ProductName: 'a' });
      await api(small, 'CreateProduct', { ProductName: 'b' });
      expect(await apiError(small, 'CreateProduct', { ProductName: 'c' })).toBe('LimitExceeded.ProductExceedLimit');
    } finally {
      await small.close();
    }
  });
});

describe('devices', () => {
  test('CreateDevice / DescribeDevice / DescribeDevices / DeleteDevice', async () => {
    const p = await api(hub, 'CreateProduct', { ProductName: 'devices_1' });
    const pid = p.ProductId as string;
    const c = await api(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'dev:1_a-b', Attribute: { Tags: [{ Tag: 'note', Type: 2, Value: 'v' }] } });
    expect(c.DeviceName).toBe('dev:1_a-b');
    expect(Buffer.from(c.DevicePsk, 'base64')).toHaveLength(16);
    const defined = await api(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'defined', DefinedPsk: 'AAECAwQFBgcICQoLDA0ODw==' });
    expect(defined.DevicePsk).toBe('AAECAwQFBgcICQoLDA0ODw==');
    const info = await api(hub, 'DescribeDevice', { ProductID: pid, DeviceName: 'dev:1_a-b' });
    expect(info).toMatchObject({ DeviceName: 'dev:1_a-b', Online: 0, EnableState: 1, DevicePsk: c.DevicePsk, Tags: [{ Tag: 'note', Type: 2, Value: 'v' }] });
    const list = await api(hub, 'DescribeDevices', { ProductId: pid, Offset: 0, Limit: 10 });
    expect(list.TotalCount).toBe(2);
    expect((await api(hub, 'DescribeDevices', { ProductId: pid, Offset: 0, Limit: 10, DeviceName: 'efin' })).Devices.map((d: any) => d.DeviceName)).toEqual(['defined']);
    expect((await api(hub, 'DescribeDevices', { ProductId: pid, Offset: 1, Limit: 10 })).Devices).toHaveLength(1);
    await api(hub, 'DeleteDevice', { ProductId: pid, DeviceName: 'defined' });
    expect(await apiError(hub, 'DescribeDevice', { ProductID: pid, DeviceName: 'defined' })).toBe('ResourceNotFound.DeviceNotExist');
    expect(await apiError(hub, 'DeleteDevice', { ProductId: pid, DeviceName: 'defined' })).toBe('ResourceNotFound.DeviceNotExist');
  });

  test('CreateDevice errors and the device quota', async () => {
    const pid = (await api(hub, 'CreateProduct', { ProductName: 'devices_2' })).ProductId;
    expect(await apiError(hub, 'CreateDevice', { ProductId: 'NOSUCHPROD', DeviceName: 'a' })).toBe('ResourceNotFound.ProductNotExist');
    expect(await apiError(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'x'.repeat(49) })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'a/b' })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'CreateDevice', { ProductId: pid })).toBe('MissingParameter');
    expect(await apiError(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'a', DefinedPsk: 'not base64!' })).toBe('InvalidParameterValue.DefinedPskNotBase64');
    await api(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'a' });
    expect(await apiError(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'a' })).toBe('InvalidParameterValue.DeviceAlreadyExist');
    await api(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'b' });
    await api(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'c' });
    expect(await apiError(hub, 'CreateDevice', { ProductId: pid, DeviceName: 'd' })).toBe('LimitExceeded.DeviceExceedLimit');
  });

  test('ProductID vs ProductId spelling is enforced with a hint', async () => {
    const r = await callApi(hub, 'DescribeDevice', { ProductId: 'ABCDEFGHIJ', DeviceName: 'a' });
    expect(r.Response.Error?.Code).toBe('UnknownParameter');
    expect(r.Response.Error?.Message).toContain('did you mean ProductID');
  });

  test('UpdateDeviceAvailableState and UpdateDevicesEnableState', async () => {
    const [d1, d2] = (await provision(hub, ['e1', 'e2'])) as [Device, Device];
    const c = await connectDevice(hub, d2);
    expect((await api(hub, 'DescribeDevice', { ProductID: d2.productId, DeviceName: 'e2' })).Online).toBe(1);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    await api(hub, 'UpdateDevicesEnableState', { ProductID: d1.productId, DeviceNames: ['e1', 'e2'], Status: 0 });
    await closed;
    const off = await api(hub, 'DescribeDevices', { ProductId: d1.productId, Offset: 0, Limit: 10, EnableState: 0 });
    expect(off.TotalCount).toBe(2);
    expect(await apiError(hub, 'UpdateDevicesEnableState', { ProductID: d1.productId, DeviceNames: ['e1', 'ghost'], Status: 1 })).toBe('ResourceNotFound.DeviceNotExist');
    expect((await api(hub, 'DescribeDevice', { ProductID: d1.productId, DeviceName: 'e1' })).EnableState).toBe(0); // all or none
    expect(await apiError(hub, 'UpdateDevicesEnableState', { ProductID: d1.productId, DeviceNames: [], Status: 1 })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'UpdateDeviceAvailableState', { ProductId: d1.productId, DeviceName: 'e1', EnableState: 2 })).toBe('InvalidParameterValue');
    await api(hub, 'UpdateDeviceAvailableState', { ProductId: d1.productId, DeviceName: 'e1', EnableState: 1 });
    expect((await api(hub, 'DescribeDevice', { ProductID: d1.productId, DeviceName: 'e1' })).EnableState).toBe(1);
    expect(await apiError(hub, 'UpdateDeviceAvailableState', { ProductId: d1.productId, DeviceName: 'ghost', EnableState: 1 })).toBe('ResourceNotFound.DeviceNotExist');
  });
});

describe('topic policies', () => {
  test('CreateTopicPolicy / UpdateTopicPolicy and their errors', async () => {
    const pid = (await api(hub, 'CreateProduct', { ProductName: 'topics_1' })).ProductId;
    await api(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: 'a/+/b_1', Privilege: 3 });
    expect(await apiError(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: 'a/+/b_1', Privilege: 1 })).toBe('InvalidParameterValue.TopicPolicyAlreadyExist');
    expect(await apiError(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: 'data', Privilege: 1 })).toBe('InvalidParameterValue.TopicPolicyAlreadyExist');
    for (const bad of ['', 'a//b', 'a/b+', '#', 'a/#', 'sp ace', 'x'.repeat(65), 'a-b']) {
      expect(await apiError(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: bad, Privilege: 1 }), bad).toMatch(/^(InvalidParameterValue|MissingParameter)$/);
    }
    expect(await apiError(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: 'ok', Privilege: 4 })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'CreateTopicPolicy', { ProductID: 'NOSUCHPROD', TopicName: 'ok', Privilege: 1 })).toBe('ResourceNotFound.ProductNotExist');
    await api(hub, 'UpdateTopicPolicy', { ProductID: pid, TopicName: 'a/+/b_1', NewTopicName: 'renamed', Privilege: 1 });
    expect(await apiError(hub, 'UpdateTopicPolicy', { ProductID: pid, TopicName: 'a/+/b_1', NewTopicName: 'x', Privilege: 1 })).toBe('ResourceNotFound.TopicPolicyNotExist');
    await api(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: 'other', Privilege: 1 });
    expect(await apiError(hub, 'UpdateTopicPolicy', { ProductID: pid, TopicName: 'renamed', NewTopicName: 'other', Privilege: 1 })).toBe('InvalidParameterValue.TopicPolicyAlreadyExist');
  });

  test('at most 100 custom topics per product', async () => {
    const pid = (await api(hub, 'CreateProduct', { ProductName: 'topics_2' })).ProductId;
    for (let i = 0; i < 100; i++) await api(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: `t${i}`, Privilege: 1 });
    expect(await apiError(hub, 'CreateTopicPolicy', { ProductID: pid, TopicName: 't100', Privilege: 1 })).toBe('LimitExceeded.TopicPolicyExceedLimit');
  });
});
