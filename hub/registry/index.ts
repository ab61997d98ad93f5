// The hub's registry of products, devices and topic policies in SQLite (better-sqlite3, prepared statements, WAL when file-backed).

import Database from 'better-sqlite3';
import type { CustomClass } from '../acl/classes.js';
import { newProductId } from './ids.js';
import { SCHEMA } from './schema.js';

export interface ProductProperties {
  ProductDescription: string;
  EncryptionType: '1' | '2'; // "1" certificate, "2" key (PSK)
  Region: string;
  ProductType: number;
  Format: string;
}

export interface Product {
  productId: string;
  productName: string;
  properties: ProductProperties;
  createdAt: number;
  forbidden: boolean;
}

export interface DeviceTag {
  Tag: string;
  Type: number;
  Value: string;
  Name?: string;
}

export interface Device {
  productId: string;
  deviceName: string;
  psk: string | null;
  enableState: 0 | 1;
  tags: DeviceTag[];
  createdAt: number;
  loginTime: number;
  firstOnlineTime: number;
  lastOfflineTime: number;
  clientIp: string;
}

export interface DeviceFilter {
  deviceName?: string | undefined;
  enableState?: number | undefined;
}

interface ProductRow {
  product_id: string;
  product_name: string;
  properties: string;
  created_at: number;
  forbidden: number;
}
interface DeviceRow {
  product_id: string;
  device_name: string;
  psk: string | null;
  enable_state: number;
  tags: string;
  created_at: number;
  login_time: number;
  first_online_time: number;
  last_offline_time: number;
  client_ip: string;
}

function toProduct(r: ProductRow): Product {
  return {
    productId: r.product_id,
    productName: r.product_name,
    properties: JSON.parse(r.properties) as ProductProperties,
    createdAt: r.created_at,
    forbidden: r.forbidden !== 0,
  };
}

function toDevice(r: DeviceRow): Device {
  return {
    productId: r.product_id,
    deviceName: r.device_name,
    psk: r.psk,
    enableState: r.enable_state === 0 ? 0 : 1,
    tags: JSON.parse(r.tags) as DeviceTag[],
    createdAt: r.created_at,
    loginTime: r.login_time,
    firstOnlineTime: r.first_online_time,
    lastOfflineTime: r.last_offline_time,
    clientIp: r.client_ip,
  };
}

/** LIKE pattern for a substring search, with the LIKE metacharacters escaped. */
function likeContains(s: string): string {
  return '%' + s.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/** Devices getDevice keeps in memory; past this the cache starts again (bounded memory). */
const DEVICE_CACHE_SIZE = 4096;

export class Registry {
  /** Device services keep their own tables in this same database (e.g. hub/services/log). */
  readonly db: Database.Database;
  private readonly policyCache = new Map<string, readonly CustomClass[]>();
  private readonly policyVersions = new Map<string, number>();
  /**
   * Devices read by getDevice, by productId/deviceName: the HTTP gateway reads one per request. Every write to the
   * devices table goes through this class and drops what it touches; a registry shared with other processes (a
   * cluster's workers) keeps none, as they change the file without telling it.
   */
  private readonly deviceCache: Map<string, Device> | null;
  private readonly st;

  /**
   * `shared`: other processes (the workers of a hub cluster) write the same file, so the policy version is read from
   * the file on every call instead of counted in memory; the parsed policies stay cached per version.
   */
  constructor(file: string, private readonly shared = false) {
    this.deviceCache = shared ? null : new Map();
    this.db = new Database(file);
    if (file !== ':memory:' && file !== '') {
      this.db.pragma('journal_mode = WAL');
      // WAL with NORMAL syncs at checkpoints, not on every login's online mark: durable across crashes of the
      // process, and logins are no longer capped by fsync latency (~250/s on disk with FULL).
      this.db.pragma('synchronous = NORMAL');
    }
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.st = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      bumpPolicyVersion: db.prepare("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"),
      countProducts: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM products'),
      productById: db.prepare<[string], ProductRow>('SELECT * FROM products WHERE product_id = ?'),
      productByName: db.prepare<[string], ProductRow>('SELECT * FROM products WHERE product_name = ?'),
      listProducts: db.prepare<[number, number], ProductRow>('SELECT * FROM products ORDER BY seq LIMIT ? OFFSET ?'),
      insertProduct: db.prepare(
        'INSERT INTO products (product_id, product_name, properties, created_at) VALUES (?, ?, ?, ?)',
      ),
      deleteProduct: db.prepare('DELETE FROM products WHERE product_id = ?'),
      deleteProductPolicies: db.prepare('DELETE FROM topic_policies WHERE product_id = ?'),
      setForbidden: db.prepare('UPDATE products SET forbidden = ? WHERE product_id = ?'),
      countDevices: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM devices WHERE product_id = ?'),
      device: db.prepare<[string, string], DeviceRow>('SELECT * FROM devices WHERE product_id = ? AND device_name = ?'),
      insertDevice: db.prepare(
        'INSERT INTO devices (product_id, device_name, psk, tags, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteDevice: db.prepare('DELETE FROM devices WHERE product_id = ? AND device_name = ?'),
      setEnable: db.prepare('UPDATE devices SET enable_state = ? WHERE product_id = ? AND device_name = ?'),
      markOnline: db.prepare(
        `UPDATE devices SET login_time = ?, client_ip = ?,
           first_online_time = CASE first_online_time WHEN 0 THEN ? ELSE first_online_time END
         WHERE product_id = ? AND device_name = ?`,
      ),
      markOffline: db.prepare('UPDATE devices SET last_offline_time = ? WHERE product_id = ? AND device_name = ?'),
      countFiltered: db.prepare<[string, string | null, string | null, number | null, number | null], { n: number }>(
        `SELECT COUNT(*) AS n FROM devices WHERE product_id = ?
           AND (? IS NULL OR device_name LIKE ? ESCAPE '\\') AND (? IS NULL OR enable_state = ?)`,
      ),
      listFiltered: db.prepare<
        [string, string | null, string | null, number | null, number | null, number, number],
        DeviceRow
      >(
        `SELECT * FROM devices WHERE product_id = ?
           AND (? IS NULL OR device_name LIKE ? ESCAPE '\\') AND (? IS NULL OR enable_state = ?)
         ORDER BY seq LIMIT ? OFFSET ?`,
      ),
      policies: db.prepare<[string], { topic_name: string; privilege: number }>(
        'SELECT topic_name, privilege FROM topic_policies WHERE product_id = ? ORDER BY seq',
      ),
      insertPolicy: db.prepare(
        'INSERT INTO topic_policies (product_id, topic_name, privilege, created_at) VALUES (?, ?, ?, ?)',
      ),
      updatePolicy: db.prepare(
        'UPDATE topic_policies SET topic_name = ?, privilege = ? WHERE product_id = ? AND topic_name = ?',
      ),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  getMeta(key: string): string | undefined {
    return this.st.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.st.setMeta.run(key, value);
  }

  // ---- products

  countProducts(): number {
    return this.st.countProducts.get()!.n;
  }

  getProduct(productId: string): Product | undefined {
    const r = this.st.productById.get(productId);
    return r && toProduct(r);
  }

  getProductByName(name: string): Product | undefined {
    const r = this.st.productByName.get(name);
    return r && toProduct(r);
  }

  listProducts(offset: number, limit: number): Product[] {
    return this.st.listProducts.all(limit, offset).map(toProduct);
  }

  /** Inserts a product under a fresh random ProductId (retried on the unlikely collision). */
  createProduct(name: string, properties: ProductProperties, createdAt: number): Product {
    for (;;) {
      const productId = newProductId();
      if (this.st.productById.get(productId)) continue;
      this.st.insertProduct.run(productId, name, JSON.stringify(properties), createdAt);
      return this.getProduct(productId)!;
    }
  }

  deleteProduct(productId: string): void {
    this.deviceCache?.clear(); // its devices go with it (the fault api-delete-product-with-devices leaves none behind either)
    this.db.transaction(() => {
      this.st.deleteProductPolicies.run(productId);
      this.st.deleteProduct.run(productId);
    })();
    this.bumpPolicies(productId);
  }

  setProductForbidden(productId: string, forbidden: boolean): void {
    this.st.setForbidden.run(forbidden ? 1 : 0, productId);
  }

  // ---- devices

  countDevices(productId: string): number {
    return this.st.countDevices.get(productId)!.n;
  }

  getDevice(productId: string, deviceName: string): Device | undefined {
    const cache = this.deviceCache;
    if (!cache) return this.readDevice(productId, deviceName);
    const key = productId + '/' + deviceName;
    let device = cache.get(key);
    if (device) return device;
    device = this.readDevice(productId, deviceName);
    if (device) {
      if (cache.size >= DEVICE_CACHE_SIZE) cache.clear();
      cache.set(key, device);
    }
    return device;
  }

  private readDevice(productId: string, deviceName: string): Device | undefined {
    const r = this.st.device.get(productId, deviceName);
    return r && toDevice(r);
  }

  /** Drops a cached device before its row changes (the change may be rolled back: the next read finds the row as it is). */
  private forgetDevice(productId: string, deviceName: string): void {
    this.deviceCache?.delete(productId + '/' + deviceName);
  }

  createDevice(productId: string, deviceName: string, psk: string | null, tags: DeviceTag[], createdAt: number): Device {
    this.forgetDevice(productId, deviceName);
    this.st.insertDevice.run(productId, deviceName, psk, JSON.stringify(tags), createdAt);
    // not cached: a transaction around this insert may still roll it back
    return this.readDevice(productId, deviceName)!;
  }

  deleteDevice(productId: string, deviceName: string): void {
    this.forgetDevice(productId, deviceName);
    this.st.deleteDevice.run(productId, deviceName);
  }

  /** Sets EnableState for several devices of one product atomically. */
  setEnableState(productId: string, deviceNames: readonly string[], state: 0 | 1): void {
    for (const dn of deviceNames) this.forgetDevice(productId, dn);
    this.db.transaction(() => {
      for (const dn of deviceNames) this.st.setEnable.run(state, productId, dn);
    })();
  }

  listDevices(productId: string, filter: DeviceFilter, offset: number, limit: number): { total: number; devices: Device[] } {
    const name = filter.deviceName ?? null;
    const like = name === null ? null : likeContains(name);
    const state = filter.enableState ?? null;
    const total = this.st.countFiltered.get(productId, name, like, state, state)!.n;
    const devices = this.st.listFiltered.all(productId, name, like, state, state, limit, offset).map(toDevice);
    return { total, devices };
  }

  markOnline(productId: string, deviceName: string, at: number, clientIp: string): void {
    this.forgetDevice(productId, deviceName);
    this.st.markOnline.run(at, clientIp, at, productId, deviceName);
  }

  markOffline(productId: string, deviceName: string, at: number): void {
    this.forgetDevice(productId, deviceName);
    this.st.markOffline.run(at, productId, deviceName);
  }

  // ---- custom topic policies (cached per product; the version lets sessions cache their classes)

  policies(productId: string): readonly CustomClass[] {
    let cached = this.policyCache.get(productId);
    if (cached && this.shared && this.policyVersions.get(productId) !== this.policyVersion(productId)) cached = undefined;
    if (!cached) {
      if (this.shared) this.policyVersions.set(productId, this.policyVersion(productId));
      cached = this.st.policies.all(productId).map((r) => ({ topicName: r.topic_name, privilege: r.privilege }));
      this.policyCache.set(productId, cached);
    }
    return cached;
  }

  policyVersion(productId: string): number {
    if (this.shared) return Number(this.getMeta(`policy-version:${productId}`) ?? 0);
    return this.policyVersions.get(productId) ?? 0;
  }

  createPolicy(productId: string, topicName: string, privilege: number, createdAt: number): void {
    this.st.insertPolicy.run(productId, topicName, privilege, createdAt);
    this.bumpPolicies(productId);
  }

  updatePolicy(productId: string, topicName: string, newTopicName: string, privilege: number): void {
    this.st.updatePolicy.run(newTopicName, privilege, productId, topicName);
    this.bumpPolicies(productId);
  }

  private bumpPolicies(productId: string): void {
    this.policyCache.delete(productId);
    if (this.shared) {
      // one statement, so two workers bumping at once both count
      this.st.bumpPolicyVersion.run(`policy-version:${productId}`);
      return;
    }
    this.policyVersions.set(productId, this.policyVersion(productId) + 1);
  }
}
