/**
 * Each suite file works in its own product and devices: created through the cloud API and removed
 * afterwards, or, on a hub without an API, made up (provisioning: any) or taken from the
 * descriptor's fixtures (provisioning: fixtures). The work is done by src/target/provisioning.ts,
 * which the probe shares.
 */
import { afterAll, beforeAll } from 'vitest';
import { createNamespace, uniqueName, type DeviceCredentials, type Namespace, type NamespaceSpec } from '../../src/target/provisioning.js';
import { currentTarget } from './harness.js';

export { uniqueName, type DeviceCredentials };

export type ProductSpec = NamespaceSpec;

export interface ProductFixture {
  readonly productId: string;
  readonly productName: string;
  device(name: string): DeviceCredentials;
  /** Creates one more device in this product (removed with the product). */
  addDevice(name: string): Promise<DeviceCredentials>;
}

/** Registers beforeAll/afterAll hooks that create and remove a product with its devices and topic classes. */
export function useProduct(prefix: string, spec: ProductSpec): ProductFixture {
  let ns: Namespace | undefined;
  const ready = (): Namespace => {
    if (!ns) throw new Error(`the ${prefix} fixture is not provisioned yet (used outside a test?)`);
    return ns;
  };

  beforeAll(async () => {
    ns = await createNamespace(currentTarget(), prefix, spec);
  });

  afterAll(async () => {
    await ns?.cleanup();
  });

  return {
    get productId() { return ns?.productId ?? ''; },
    get productName() { return ns?.productName ?? ''; },
    device(name: string) {
      const d = ready().devices.get(name);
      if (!d) throw new Error(`fixture has no device ${name}`);
      return d;
    },
    addDevice: (name: string) => ready().addDevice(name),
  };
}
