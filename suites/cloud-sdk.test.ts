// The official Node cloud SDK (tencentcloud-sdk-nodejs, iotcloud 2018-06-14) against the hub, unmodified (compat.md "Cloud API").
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { expect } from 'vitest';
// Only the iotcloud 2018-06-14 client: the package's index loads every service.
import { v20180614 } from 'tencentcloud-sdk-nodejs/tencentcloud/services/iotcloud/v20180614/index.js';
import { req, type Harness } from './support/harness.js';
import { uniqueName } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

/** Resolves every name to the hub's address, so the SDK keeps "iotcloud.tencentcloudapi.com" (and service iotcloud) in its signature. */
function hubAgent(address: string): Agent {
  const lookup: LookupFunction = (_host, options, callback) => {
    const family = address.includes(':') ? 6 : 4;
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  return new Agent({ lookup });
}

function sdkClient(h: Harness): InstanceType<typeof v20180614.Client> {
  const api = new URL(h.target.endpoints.api);
  if (api.protocol !== 'http:') throw new Error('this test drives the SDK over plain HTTP; the target API endpoint is not http://');
  // compat.md: the SDK honours http_proxy; a proxy would take the request off 127.0.0.1
  delete process.env.http_proxy;
  delete process.env.HTTP_PROXY;
  return new v20180614.Client({
    credential: { secretId: h.target.cloudApi.secretId, secretKey: h.target.cloudApi.secretKey },
    region: h.target.cloudApi.region,
    profile: {
      signMethod: 'TC3-HMAC-SHA256',
      httpProfile: {
        endpoint: `iotcloud.tencentcloudapi.com:${api.port || 80}`,
        protocol: 'http://',
        agent: hubAgent(api.hostname.replace(/^\[|\]$/g, '')),
        reqTimeout: 30,
      },
    },
  });
}

/** Runs a call; an action the hub does not serve (InvalidAction) is noted in the evidence and skipped. */
async function optional<T>(h: Harness, action: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (e) {
    if ((e as { code?: string }).code === 'InvalidAction') {
      h.trace.add('note', `${action}: the hub does not serve it (InvalidAction); call skipped`);
      return undefined;
    }
    throw e;
  }
}

req(['API-037'], 'CreateProduct, CreateDevice, PublishMessage, shadow, RRPC and broadcast calls of the official SDK succeed', async (h) => {
  const client = sdkClient(h);
  const product = await client.CreateProduct({ ProductName: uniqueName('sdk').slice(0, 32), ProductProperties: { ProductDescription: 'hubcheck SDK test', EncryptionType: '2' } });
  const productId = product.ProductId!;
  expect(productId, 'ProductId').toEqual(expect.any(String));
  const deviceName = 'sdk_dev';
  try {
    const created = await client.CreateDevice({ ProductId: productId, DeviceName: deviceName });
    expect(created.DevicePsk, 'DevicePsk').toEqual(expect.any(String));
    const creds = { productId, deviceName, psk: created.DevicePsk! };
    const device = await h.device(creds);
    const data = `${productId}/${deviceName}/data`;
    expect(await device.subscribe(`${productId}/${deviceName}/control`, 1)).toBe(1);
    expect(await device.subscribe(`$rrpc/rxd/${productId}/${deviceName}/+`, 1)).toBe(1);
    expect(await device.subscribe(`$broadcast/rxd/${productId}/${deviceName}`, 1)).toBe(1);
    expect(await device.subscribe(data, 1)).toBe(1);

    const published = await optional(h, 'PublishMessage', () => client.PublishMessage({ Topic: `${productId}/${deviceName}/control`, Payload: 'from the sdk', ProductId: productId, DeviceName: deviceName, Qos: 1 }));
    if (published) expect(await device.waitFor((m) => m.payload.toString() === 'from the sdk', ROUND_TRIP_LIMIT_MS), 'PublishMessage reaches the device').toBeDefined();

    const shadow = await optional(h, 'UpdateDeviceShadow', () => client.UpdateDeviceShadow({ ProductId: productId, DeviceName: deviceName, State: JSON.stringify({ desired: { light: 1 } }), ShadowVersion: 0 }));
    if (shadow) {
      const described = await client.DescribeDeviceShadow({ ProductId: productId, DeviceName: deviceName });
      expect(JSON.parse(described.Data!), 'DescribeDeviceShadow.Data holds the desired state').toMatchObject({ payload: { state: { desired: { light: 1 } } } });
    }

    const rrpc = client.PublishRRPCMessage({ ProductId: productId, DeviceName: deviceName, Payload: 'ping' });
    const request = await device.waitFor((m) => m.topic.startsWith(`$rrpc/rxd/${productId}/${deviceName}/`), ROUND_TRIP_LIMIT_MS);
    expect(request, 'the RRPC request reaches the device').toBeDefined();
    await device.publish(request!.topic.replace('$rrpc/rxd/', '$rrpc/txd/'), 'pong', 1);
    const answer = await rrpc;
    expect(Buffer.from(answer.PayloadBase64!, 'base64').toString(), 'PublishRRPCMessage returns the answer').toBe('pong');

    const broadcast = await client.PublishBroadcastMessage({ ProductId: productId, Payload: 'to everyone', Qos: 1 });
    expect(Number.isInteger(broadcast.TaskId), 'TaskId').toBe(true);
    expect(await device.waitFor((m) => m.topic.startsWith('$broadcast/') && m.payload.toString() === 'to everyone', ROUND_TRIP_LIMIT_MS), 'the broadcast reaches the device').toBeDefined();
  } finally {
    await client.DeleteDevice({ ProductId: productId, DeviceName: deviceName }).catch(() => {});
    await client.DeleteProduct({ ProductId: productId }).catch(() => {});
  }
});
