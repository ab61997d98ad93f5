/**
 * Devices for suites and the probe: created through the cloud API (provisioning cloud-api), made up
 * for a broker that accepts any device (any), or taken from the descriptor's fixtures (fixtures).
 * Vitest-free, so the probe and the suites share it (suites/support/provision.ts wraps it in hooks).
 */
import { randomBytes } from 'node:crypto';
import { CloudApi } from '../client/cloud-api.js';
import type { Privilege } from '../protocol/acl.js';
import { deviceLogin, type Login, type LoginOptions } from '../protocol/credentials.js';
import type { ResolvedTarget } from './resolved.js';

export interface DeviceCredentials { productId: string; deviceName: string; psk: string }

export interface NamespaceSpec {
  devices: string[];
  /** Custom topic classes (CreateTopicPolicy); hubs without an API have no topic classes to create. */
  policies?: { name: string; privilege: Privilege }[];
  /** ProductProperties.ProductType of the created product (5: a gateway product); hubs without an API ignore it. */
  productType?: number;
}

export interface Namespace {
  productId: string;
  productName: string;
  devices: Map<string, DeviceCredentials>;
  addDevice(name: string): Promise<DeviceCredentials>;
  /** Removes what was created (nothing for made-up or fixture devices). */
  cleanup(): Promise<void>;
}

export const uniqueName = (prefix: string): string => `${prefix}_${randomBytes(5).toString('hex')}`;

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** A made-up product id of the protocol's form: ten upper-case letters or digits. */
export function fakeProductId(): string {
  return [...randomBytes(10)].map((b) => ID_CHARS[b % ID_CHARS.length]).join('');
}

export async function createNamespace(target: ResolvedTarget, prefix: string, spec: NamespaceSpec): Promise<Namespace> {
  const mode = target.provisioning ?? 'cloud-api';
  if (mode === 'any') return madeUp(prefix, spec);
  if (mode === 'fixtures') return fromFixtures(target, prefix, spec);
  return throughApi(target, prefix, spec);
}

async function throughApi(target: ResolvedTarget, prefix: string, spec: NamespaceSpec): Promise<Namespace> {
  const api = new CloudApi({ endpoint: target.endpoints.api, ...target.cloudApi });
  const devices = new Map<string, DeviceCredentials>();
  const productName = uniqueName(prefix).slice(0, 32);
  const p = await api.call<{ ProductId: string }>('CreateProduct', {
    ProductName: productName,
    ProductProperties: { ProductDescription: 'hubcheck conformance fixture', EncryptionType: '2', ...(spec.productType !== undefined ? { ProductType: spec.productType } : {}) },
  });
  const productId = p.ProductId;
  const addDevice = async (name: string): Promise<DeviceCredentials> => {
    const r = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId: productId, DeviceName: name });
    const creds = { productId, deviceName: name, psk: r.DevicePsk };
    devices.set(name, creds);
    return creds;
  };
  const cleanup = async () => {
    for (const name of devices.keys()) await api.call('DeleteDevice', { ProductId: productId, DeviceName: name }).catch(() => {});
    await api.call('DeleteProduct', { ProductId: productId }).catch(() => {});
  };
  try {
    for (const policy of spec.policies ?? []) {
      await api.call('CreateTopicPolicy', { ProductID: productId, TopicName: policy.name, Privilege: policy.privilege });
    }
    for (const name of spec.devices) await addDevice(name);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { productId, productName, devices, addDevice, cleanup };
}

function madeUp(prefix: string, spec: NamespaceSpec): Namespace {
  const productId = fakeProductId();
  const devices = new Map<string, DeviceCredentials>();
  const addDevice = async (name: string) => {
    const creds = { productId, deviceName: name, psk: randomBytes(16).toString('base64') };
    devices.set(name, creds);
    return creds;
  };
  for (const name of spec.devices) void addDevice(name);
  return { productId, productName: uniqueName(prefix).slice(0, 32), devices, addDevice, cleanup: async () => {} };
}

function fromFixtures(target: ResolvedTarget, prefix: string, spec: NamespaceSpec): Namespace {
  const all = target.fixtures ?? [];
  const productId = all[0]?.productId ?? '';
  // Suites expect one product: only the first product's devices are used, in the order listed.
  const pool = all.filter((d) => d.productId === productId);
  const devices = new Map<string, DeviceCredentials>();
  let next = 0;
  const addDevice = async (name: string) => {
    const f = pool[next++];
    if (!f) throw new Error(`fixtures: the suite ${prefix} needs more devices of product ${productId} than the descriptor's fixtures.devices lists (${pool.length}); add more`);
    const creds = { ...f };
    devices.set(name, creds);
    return creds;
  };
  for (const name of spec.devices) {
    const f = pool[next++];
    if (!f) throw new Error(`fixtures: the suite ${prefix} needs ${spec.devices.length} devices of one product; fixtures.devices lists ${pool.length} of product ${productId}`);
    devices.set(name, { ...f });
  }
  return { productId, productName: prefix, devices, addDevice, cleanup: async () => {} };
}

/** What a device puts in CONNECT on this target: a signed login, or the plain broker's credentials (or none). */
export function loginFor(target: ResolvedTarget, creds: DeviceCredentials, o: LoginOptions = {}): Login | { clientId: string; username?: string; password?: string } {
  if (target.capabilities.includes('plain-login')) {
    return { clientId: `${creds.productId}${creds.deviceName}`, ...(target.plainLogin ?? {}) };
  }
  return deviceLogin(creds, o);
}
