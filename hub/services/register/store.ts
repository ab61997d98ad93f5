// Dynamic-registration settings of each product (RegisterType, RegisterLimit, ProductSecret) and the devices registration created, in the registry's database.

import { randomInt } from 'node:crypto';
import type { Registry } from '../../registry/index.js';

export type RegisterType = 0 | 1 | 2;

export interface DynregSettings {
  /** 0 off, 1 only devices created beforehand, 2 unknown names are created too (protocol.md Appendix A). */
  registerType: RegisterType;
  /** With RegisterType 2: how many devices registration may create in the product. */
  registerLimit: number;
  /** Signs /device/register and /register/dev; its first 16 characters are the AES key of the answer. */
  productSecret: string;
}

/** Defaults of a product created without them: registration off; the limit of the Appendix A example answer. */
export const DEFAULT_REGISTER_TYPE: RegisterType = 0;
export const DEFAULT_REGISTER_LIMIT = 10_000;
/** A ProductSecret: the C SDK needs at least 16 characters (the AES key) and holds at most 32 (MAX_SIZE_OF_PRODUCT_SECRET). */
export const PRODUCT_SECRET = { pattern: /^[\x21-\x7e]{16,32}$/, expected: '16–32 printable ASCII characters (its first 16 are the AES key)' };

const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A generated ProductSecret: 24 characters [A-Za-z0-9], like the samples (`hzvf5LF9S0isvBhDSauWMaIk`). */
export function newProductSecret(): string {
  let out = '';
  for (let i = 0; i < 24; i++) out += SECRET_CHARS[randomInt(SECRET_CHARS.length)];
  return out;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS product_dynreg (
  product_id      TEXT PRIMARY KEY,
  register_type   INTEGER NOT NULL,     -- 0 off, 1 pre-created devices only, 2 unknown names are created
  register_limit  INTEGER NOT NULL,
  product_secret  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dynreg_devices (
  product_id   TEXT NOT NULL,
  device_name  TEXT NOT NULL,
  PRIMARY KEY (product_id, device_name)
);
`;

interface Row { register_type: number; register_limit: number; product_secret: string }

export class DynregStore {
  private readonly st;
  constructor(private readonly registry: Registry) {
    const db = registry.db;
    db.exec(SCHEMA);
    this.st = {
      get: db.prepare<[string], Row>('SELECT register_type, register_limit, product_secret FROM product_dynreg WHERE product_id = ?'),
      put: db.prepare(`INSERT INTO product_dynreg (product_id, register_type, register_limit, product_secret) VALUES (?, ?, ?, ?)
        ON CONFLICT(product_id) DO UPDATE SET register_type = excluded.register_type, register_limit = excluded.register_limit, product_secret = excluded.product_secret`),
      forgetDevices: db.prepare('DELETE FROM dynreg_devices WHERE product_id = ?'),
      addDevice: db.prepare('INSERT OR IGNORE INTO dynreg_devices (product_id, device_name) VALUES (?, ?)'),
      // devices registration created that still exist (a deleted one frees its place)
      countDevices: db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM dynreg_devices r
        JOIN devices d ON d.product_id = r.product_id AND d.device_name = r.device_name WHERE r.product_id = ?`),
    };
  }

  /** A product's settings; a product that has none yet (created before this table existed) gets the defaults and a new secret. */
  settings(productId: string): DynregSettings {
    const r = this.st.get.get(productId);
    if (r) return { registerType: r.register_type as RegisterType, registerLimit: r.register_limit, productSecret: r.product_secret };
    return this.init(productId, {});
  }

  /** Settings of a new product: what CreateProduct was given, defaults for the rest (a product id may be reused after a delete). */
  init(productId: string, given: Partial<DynregSettings>): DynregSettings {
    const s: DynregSettings = {
      registerType: given.registerType ?? DEFAULT_REGISTER_TYPE,
      registerLimit: given.registerLimit ?? DEFAULT_REGISTER_LIMIT,
      productSecret: given.productSecret ?? newProductSecret(),
    };
    this.registry.db.transaction(() => {
      this.st.put.run(productId, s.registerType, s.registerLimit, s.productSecret);
      this.st.forgetDevices.run(productId);
    })();
    return s;
  }

  update(productId: string, registerType: RegisterType, registerLimit: number): DynregSettings {
    const s = { ...this.settings(productId), registerType, registerLimit };
    this.st.put.run(productId, s.registerType, s.registerLimit, s.productSecret);
    return s;
  }

  /** Devices registration created in the product that still exist (counted against RegisterLimit). */
  createdCount(productId: string): number {
    return this.st.countDevices.get(productId)!.n;
  }

  markCreated(productId: string, deviceName: string): void {
    this.st.addDevice.run(productId, deviceName);
  }
}

const STORES = new WeakMap<Registry, DynregStore>();

/** The store of this registry (its tables are created on first use, so CreateProduct works with or without the service). */
export function dynregStore(registry: Registry): DynregStore {
  let s = STORES.get(registry);
  if (!s) STORES.set(registry, (s = new DynregStore(registry)));
  return s;
}

/** The ProductProperties fields of dynamic registration, as CreateProduct and DescribeProduct answer them. */
export function dynregProperties(s: DynregSettings): { RegisterType: number; ProductSecret: string; RegisterLimit: number } {
  return { RegisterType: s.registerType, ProductSecret: s.productSecret, RegisterLimit: s.registerLimit };
}
