// Which devices are online anywhere in a hub cluster: one row per (device, worker holding a connection of it) in the
// shared registry file, so any worker answers "online?" (DescribeDevice, PublishMessage, RRPC...) at once and in step
// with the CONNACK, which is only sent after the row is written. A worker clears its own rows when it starts, so the
// devices of a worker that was killed do not stay online once the slot's new worker is up.

import type Database from 'better-sqlite3';

export class Presence {
  private readonly st;

  constructor(db: Database.Database, private readonly workerId: string) {
    db.exec(`CREATE TABLE IF NOT EXISTS presence (
      product_id  TEXT NOT NULL,
      device_name TEXT NOT NULL,
      worker      TEXT NOT NULL,
      PRIMARY KEY (product_id, device_name, worker)
    )`);
    this.st = {
      online: db.prepare('INSERT OR IGNORE INTO presence (product_id, device_name, worker) VALUES (?, ?, ?)'),
      offline: db.prepare('DELETE FROM presence WHERE product_id = ? AND device_name = ? AND worker = ?'),
      isOnline: db.prepare<[string, string], { n: number }>('SELECT 1 AS n FROM presence WHERE product_id = ? AND device_name = ? LIMIT 1'),
      clear: db.prepare('DELETE FROM presence WHERE worker = ?'),
      ofDevice: db.prepare<[string, string], { worker: string }>('SELECT worker FROM presence WHERE product_id = ? AND device_name = ?'),
      ofProduct: db.prepare<[string], { worker: string }>('SELECT DISTINCT worker FROM presence WHERE product_id = ?'),
      ofAll: db.prepare<[], { worker: string }>('SELECT DISTINCT worker FROM presence'),
    };
    this.clear();
  }

  online(productId: string, deviceName: string): void {
    this.st.online.run(productId, deviceName, this.workerId);
  }

  offline(productId: string, deviceName: string): void {
    this.st.offline.run(productId, deviceName, this.workerId);
  }

  isOnline(productId: string, deviceName: string): boolean {
    return this.st.isOnline.get(productId, deviceName) !== undefined;
  }

  /** Workers holding a connection of the device, of any device of the product, or of any device at all. */
  workers(productId?: string, deviceName?: string): string[] {
    const rows = productId === undefined ? this.st.ofAll.all() : deviceName === undefined ? this.st.ofProduct.all(productId) : this.st.ofDevice.all(productId, deviceName);
    return rows.map((r) => r.worker);
  }

  /** Forgets every device this worker held (at start: its predecessor's; at stop: its own). */
  clear(): void {
    this.st.clear.run(this.workerId);
  }
}
