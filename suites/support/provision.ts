/** Each suite file works in its own product and devices, created through the cloud API and removed afterwards. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { CloudApi } from '../../src/client/cloud-api.js';
import type { Privilege } from '../../src/protocol/acl.js';
import { currentTarget } from './harness.js';

export interface DeviceCredentials { productId: string; deviceName: string; psk: string }

export interface ProductSpec {
  /** Device names to create. */
  devices: string[];
  /** Custom topic classes (CreateTopicPolicy). */
  policies?: { name: string; privilege: Privilege }[];
}

export interface ProductFixture {
  readonly productId: string;
  readonly productName: string;
  device(name: string): DeviceCredentials;
  /** Creates one more device in this product (removed with the product). */
  addDevice(name: string): Promise<DeviceCredentials>;
}

export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(5).toString('hex')}`;

/** Registers beforeAll/afterAll hooks that create and remove a product with its devices and topic classes. */
export function useProduct(prefix: string, spec: ProductSpec): ProductFixture {
  const devices = new Map<string, DeviceCredentials>();
  let productId = '';
  let productName = '';
  let api: CloudApi;

  const addDevice = async (name: string): Promise<DeviceCredentials> => {
    const r = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId: productId, DeviceName: name });
    const creds = { productId, deviceName: name, psk: r.DevicePsk };
    devices.set(name, creds);
    return creds;
  };

  beforeAll(async () => {
    const target = currentTarget();
    api = new CloudApi({ endpoint: target.endpoints.api, ...target.cloudApi });
    productName = uniqueName(prefix).slice(0, 32);
    const p = await api.call<{ ProductId: string }>('CreateProduct', {
      ProductName: productName,
      ProductProperties: { ProductDescription: 'hubcheck conformance fixture', EncryptionType: '2' },
    });
    productId = p.ProductId;
    for (const policy of spec.policies ?? []) {
      await api.call('CreateTopicPolicy', { ProductID: productId, TopicName: policy.name, Privilege: policy.privilege });
    }
    for (const name of spec.devices) await addDevice(name);
  });

  afterAll(async () => {
    if (!productId) return;
    for (const name of devices.keys()) {
      await api.call('DeleteDevice', { ProductId: productId, DeviceName: name }).catch(() => {});
    }
    await api.call('DeleteProduct', { ProductId: productId }).catch(() => {});
  });

  return {
    get productId() { return productId; },
    get productName() { return productName; },
    device(name: string) {
      const d = devices.get(name);
      if (!d) throw new Error(`fixture has no device ${name}`);
      return d;
    },
    addDevice,
  };
}
