// The cloud management API: authentication, response shapes, products, devices, names, quotas (protocol.md §9, Appendix A).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { type CloudApi, apiErrorCode as errorCode } from '../src/client/cloud-api.js';
import { DEVICE_NAME_RE, PRODUCT_ID_RE, PRODUCT_NAME_RE } from '../src/protocol/credentials.js';
import { req, reqProperty } from './support/harness.js';
import { uniqueName, useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const product = useProduct('api', { devices: ['existing'] });

const LIST = JSON.stringify({ Offset: 0, Limit: 10 });

const createProduct = (api: CloudApi, name: string) =>
  api.call<{ ProductId: string; ProductName: string }>('CreateProduct', { ProductName: name, ProductProperties: { EncryptionType: '2' } });

describe('authentication', () => {
  req(['API-001', 'API-003'], 'signed requests succeed; a wrong signature or SecretId is refused with its code', async (h) => {
    const api = h.api();
    const ok = await api.raw({ action: 'DescribeProducts', body: '{"Offset":0,"Limit":10}' });
    expect(ok.json?.Response?.RequestId, 'RequestId in a success').toEqual(expect.any(String));
    expect(ok.json?.Response?.Error).toBeUndefined();
    const badKey = await api.raw({ action: 'DescribeProducts', body: LIST, secretKey: `${h.target.cloudApi.secretKey}x` });
    expect(badKey.json?.Response?.Error?.Code).toBe('AuthFailure.SignatureFailure');
    expect(badKey.json?.Response?.Error?.Message).toEqual(expect.any(String));
    expect(badKey.json?.Response?.RequestId).toEqual(expect.any(String));
    const badId = await api.raw({ action: 'DescribeProducts', body: LIST, secretId: 'AKIDunknownunknownunknown' });
    expect(badId.json?.Response?.Error?.Code).toMatch(/^AuthFailure\.(SecretIdNotFound|InvalidSecretId)$/);
    const noAuth = await api.raw({ action: 'DescribeProducts', body: LIST, authorization: 'nonsense' });
    expect(noAuth.json?.Response?.Error?.Code).toMatch(/^AuthFailure\./);
  });

  reqProperty(['API-001'], 'a signature over a tampered body is refused', [fc.string({ minLength: 1, maxLength: 20 })], async (h, extra) => {
    const api = h.api();
    const body = JSON.stringify({ Offset: 0, Limit: 10 });
    const tampered = JSON.stringify({ Offset: 0, Limit: 10, Note: extra });
    const { signTc3 } = await import('../src/protocol/cloud-sign.js');
    const timestamp = Math.floor(Date.now() / 1000);
    const auth = signTc3({ ...h.target.cloudApi, service: 'iotcloud', host: h.target.cloudApi.signedHost ?? api.host, timestamp, body }).authorization;
    const answer = await api.raw({ action: 'DescribeProducts', body: tampered, timestamp, authorization: auth });
    expect(answer.json?.Response?.Error?.Code).toBe('AuthFailure.SignatureFailure');
  }, { numRuns: 10 });

  req(['API-002'], 'a timestamp more than 5 minutes off is refused; within it is accepted', async (h) => {
    const api = h.api();
    const now = Math.floor(Date.now() / 1000);
    for (const skew of [-400, 400, -86400]) {
      const a = await api.raw({ action: 'DescribeProducts', body: LIST, timestamp: now + skew });
      expect(a.json?.Response?.Error?.Code, `skew ${skew}s`).toBe('AuthFailure.SignatureExpire');
    }
    for (const skew of [-200, 200]) {
      const a = await api.raw({ action: 'DescribeProducts', body: LIST, timestamp: now + skew });
      expect(a.json?.Response?.Error, `skew ${skew}s`).toBeUndefined();
    }
  });

  req(['API-008'], 'an unknown action and a missing parameter are refused', async (h) => {
    const api = h.api();
    expect(await errorCode(api.call('NoSuchAction', {}))).toBe('InvalidAction');
    expect(await errorCode(api.call('CreateDevice', { ProductId: product.productId }))).toMatch(/^(MissingParameter|InvalidParameter)/);
    expect(await errorCode(api.call('DescribeDevice', { DeviceName: 'existing' }))).toMatch(/^(MissingParameter|InvalidParameter)/);
  });
});

describe('products and devices', () => {
  req(['API-004'], 'a product is created, described, listed and deleted', async (h) => {
    const api = h.api();
    const name = uniqueName('api_p').slice(0, 32);
    const created = await createProduct(api, name);
    expect(created.ProductId).toMatch(PRODUCT_ID_RE);
    expect(created.ProductName).toBe(name);
    const described = await api.call<{ ProductId: string; ProductName: string }>('DescribeProduct', { ProductId: created.ProductId });
    expect(described).toMatchObject({ ProductId: created.ProductId, ProductName: name });
    const listed = await api.call<{ TotalCount: number; Products: { ProductId: string }[] }>('DescribeProducts', { Offset: 0, Limit: 250 });
    expect(listed.TotalCount).toBeGreaterThanOrEqual(1);
    await api.call('DeleteProduct', { ProductId: created.ProductId });
    expect(await errorCode(api.call('DescribeProduct', { ProductId: created.ProductId }))).toBe('ResourceNotFound.ProductNotExist');
  });

  req(['API-005'], 'a device is created with a working PSK, described, listed, and deleted with its connection', async (h) => {
    const api = h.api();
    const name = 'made_here';
    const created = await api.call<{ DeviceName: string; DevicePsk: string }>('CreateDevice', { ProductId: product.productId, DeviceName: name });
    expect(created.DeviceName).toBe(name);
    expect(Buffer.from(created.DevicePsk, 'base64').toString('base64')).toBe(created.DevicePsk);
    expect(Buffer.from(created.DevicePsk, 'base64').length).toBeGreaterThanOrEqual(16);
    const described = await api.call<{ DeviceName: string }>('DescribeDevice', { ProductID: product.productId, DeviceName: name });
    expect(described.DeviceName).toBe(name);
    const listed = await api.call<{ TotalCount: number; Devices: { DeviceName: string }[] }>('DescribeDevices', { ProductId: product.productId, Offset: 0, Limit: 10 });
    expect(listed.Devices.map((d) => d.DeviceName)).toContain(name);
    const session = await h.device({ productId: product.productId, deviceName: name, psk: created.DevicePsk });
    await api.call('DeleteDevice', { ProductId: product.productId, DeviceName: name });
    expect(await session.closesWithin(ROUND_TRIP_LIMIT_MS), 'a deleted device is disconnected').toBe(true);
    expect(await errorCode(api.call('DescribeDevice', { ProductID: product.productId, DeviceName: name }))).toBe('ResourceNotFound.DeviceNotExist');
  });

  const nameChars = fc.constantFrom(...'abcXYZ019:_-'.split(''), ' ', '/', '.', 'é', '#', '$');
  reqProperty(['API-006'], 'generated device names are accepted iff they follow [a-zA-Z0-9:_-]{1,48}',
    [fc.array(nameChars, { minLength: 0, maxLength: 52 }).map((a) => a.join(''))],
    async (h, name) => {
      const api = h.api();
      const code = await errorCode(api.call('CreateDevice', { ProductId: product.productId, DeviceName: name }));
      if (DEVICE_NAME_RE.test(name)) {
        expect([undefined, 'InvalidParameterValue.DeviceAlreadyExist']).toContain(code);
        if (code === undefined) await api.call('DeleteDevice', { ProductId: product.productId, DeviceName: name });
      } else {
        expect(code, `device name ${JSON.stringify(name)}`).toMatch(/^InvalidParameter/);
      }
    }, { numRuns: 60 });

  reqProperty(['API-006'], 'generated product names are accepted iff they follow [a-zA-Z0-9:_-]{1,32}',
    [fc.array(nameChars, { minLength: 0, maxLength: 36 }).map((a) => a.join(''))],
    async (h, name) => {
      const api = h.api();
      // A valid name gets a random tail so runs never collide with each other.
      const candidate = PRODUCT_NAME_RE.test(name) ? `${name.slice(0, 21)}_${uniqueName('').slice(1)}`.slice(0, 32) : name;
      let created: string | undefined;
      const code = await errorCode(createProduct(api, candidate).then((r) => { created = r.ProductId; }));
      if (created) await api.call('DeleteProduct', { ProductId: created });
      expect(code === undefined, `product name ${JSON.stringify(candidate)}`).toBe(PRODUCT_NAME_RE.test(candidate));
      if (code) expect(code).toMatch(/^InvalidParameter/);
    }, { numRuns: 40 });

  req(['API-007'], 'duplicate product and device names are refused with their codes', async (h) => {
    const api = h.api();
    expect(await errorCode(createProduct(api, product.productName))).toBe('InvalidParameterValue.ProductAlreadyExist');
    expect(await errorCode(api.call('CreateDevice', { ProductId: product.productId, DeviceName: 'existing' }))).toBe('InvalidParameterValue.DeviceAlreadyExist');
  });

  req(['API-009'], 'the device quota of a product is enforced', async (h) => {
    const quota = h.target.limits.devicesPerProduct;
    if (quota > 1000) return h.ctx.skip(`the claimed quota (${quota} devices per product) is too large to reach in a test`);
    const api = h.api();
    const p = await createProduct(api, uniqueName('api_quota').slice(0, 32));
    try {
      for (let i = 0; i < quota; i++) await api.call('CreateDevice', { ProductId: p.ProductId, DeviceName: `q${i}` });
      expect(await errorCode(api.call('CreateDevice', { ProductId: p.ProductId, DeviceName: 'one_too_many' }))).toBe('LimitExceeded.DeviceExceedLimit');
    } finally {
      for (let i = 0; i < quota; i++) await api.call('DeleteDevice', { ProductId: p.ProductId, DeviceName: `q${i}` }).catch(() => {});
      await api.call('DeleteProduct', { ProductId: p.ProductId }).catch(() => {});
    }
  }, { timeout: 60_000 });

  req(['API-010'], 'topic policy errors carry their codes', async (h) => {
    const api = h.api();
    await api.call('CreateTopicPolicy', { ProductID: product.productId, TopicName: 'dup', Privilege: 1 });
    expect(await errorCode(api.call('CreateTopicPolicy', { ProductID: product.productId, TopicName: 'dup', Privilege: 1 }))).toBe('InvalidParameterValue.TopicPolicyAlreadyExist');
    for (const bad of ['a+', 'bad topic', '', 'x'.repeat(65), 'a/#']) {
      expect(await errorCode(api.call('CreateTopicPolicy', { ProductID: product.productId, TopicName: bad, Privilege: 1 })), `TopicName ${JSON.stringify(bad)}`).toMatch(/^InvalidParameterValue/);
    }
    expect(await errorCode(api.call('CreateTopicPolicy', { ProductID: product.productId, TopicName: 'okname', Privilege: 4 }))).toMatch(/^InvalidParameterValue/);
    expect(await errorCode(api.call('UpdateTopicPolicy', { ProductID: product.productId, TopicName: 'nope', NewTopicName: 'nope', Privilege: 1 }))).toBe('ResourceNotFound.TopicPolicyNotExist');
  });
});
