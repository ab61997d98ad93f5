// Gateway bindings in the registry's database: which gateway each sub-device is bound to (at most one).

import type Database from 'better-sqlite3';
import type { Registry } from '../../registry/index.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gateway_bindings (
  seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
  gateway_product_id    TEXT NOT NULL,
  gateway_device_name   TEXT NOT NULL,
  product_id            TEXT NOT NULL,
  device_name           TEXT NOT NULL,
  created_at            INTEGER NOT NULL,
  UNIQUE (product_id, device_name)          -- a sub-device has one gateway (GW-004)
);
CREATE INDEX IF NOT EXISTS gateway_bindings_gateway ON gateway_bindings (gateway_product_id, gateway_device_name);
`;

export interface Device { productId: string; deviceName: string }

interface Row { gateway_product_id: string; gateway_device_name: string; product_id: string; device_name: string }

export class BindingStore {
  private readonly st;
  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.st = {
      gatewayOf: db.prepare<[string, string], Row>('SELECT * FROM gateway_bindings WHERE product_id = ? AND device_name = ?'),
      insert: db.prepare('INSERT INTO gateway_bindings (gateway_product_id, gateway_device_name, product_id, device_name, created_at) VALUES (?, ?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM gateway_bindings WHERE gateway_product_id = ? AND gateway_device_name = ? AND product_id = ? AND device_name = ?'),
      count: db.prepare<[string, string], { n: number }>('SELECT COUNT(*) AS n FROM gateway_bindings WHERE gateway_product_id = ? AND gateway_device_name = ?'),
      countOf: db.prepare<[string, string, string | null, string | null], { n: number }>(
        'SELECT COUNT(*) AS n FROM gateway_bindings WHERE gateway_product_id = ? AND gateway_device_name = ? AND (? IS NULL OR product_id = ?)'),
      list: db.prepare<[string, string, string | null, string | null, number, number], Row>(
        'SELECT * FROM gateway_bindings WHERE gateway_product_id = ? AND gateway_device_name = ? AND (? IS NULL OR product_id = ?) ORDER BY seq LIMIT ? OFFSET ?'),
    };
  }

  gatewayOf(productId: string, deviceName: string): Device | undefined {
    const r = this.st.gatewayOf.get(productId, deviceName);
    return r && { productId: r.gateway_product_id, deviceName: r.gateway_device_name };
  }

  isBoundTo(gateway: Device, productId: string, deviceName: string): boolean {
    const g = this.gatewayOf(productId, deviceName);
    return g !== undefined && g.productId === gateway.productId && g.deviceName === gateway.deviceName;
  }

  count(gateway: Device): number {
    return this.st.count.get(gateway.productId, gateway.deviceName)!.n;
  }

  /** Binds several sub-devices of one gateway at once (all or none). */
  bind(gateway: Device, subs: readonly Device[], at: number): void {
    const db = (this.st.insert as unknown as { database: Database.Database }).database;
    db.transaction(() => {
      for (const s of subs) this.st.insert.run(gateway.productId, gateway.deviceName, s.productId, s.deviceName, at);
    })();
  }

  unbind(gateway: Device, sub: Device): boolean {
    return this.st.remove.run(gateway.productId, gateway.deviceName, sub.productId, sub.deviceName).changes > 0;
  }

  list(gateway: Device, productId: string | undefined, offset: number, limit: number): { total: number; devices: Device[] } {
    const p = productId ?? null;
    const total = this.st.countOf.get(gateway.productId, gateway.deviceName, p, p)!.n;
    const devices = this.st.list.all(gateway.productId, gateway.deviceName, p, p, limit, offset).map((r) => ({ productId: r.product_id, deviceName: r.device_name }));
    return { total, devices };
  }
}

const stores = new WeakMap<Registry, BindingStore>();

/** The binding table of this registry, created on first use (DeleteDevice asks it even before the service starts). */
export function bindingsOf(registry: Registry): BindingStore {
  let s = stores.get(registry);
  if (!s) stores.set(registry, (s = new BindingStore(registry.db)));
  return s;
}

/** ProductType 5: a gateway product (protocol.md Appendix A, CreateProduct). */
export const GATEWAY_PRODUCT_TYPE = 5;

export function isGatewayProduct(registry: Registry, productId: string): boolean {
  return registry.getProduct(productId)?.properties.ProductType === GATEWAY_PRODUCT_TYPE;
}
