// Shadow documents in the registry's SQLite database: one row per device, removed with the device (ON DELETE CASCADE).

import type Database from 'better-sqlite3';
import type { ShadowDoc } from './document.js';

// Its own table, created on start; the composite key references the devices table's UNIQUE (product_id, device_name).
const MIGRATION = `
CREATE TABLE IF NOT EXISTS shadow_documents (
  product_id   TEXT NOT NULL,
  device_name  TEXT NOT NULL,
  document     TEXT NOT NULL,           -- JSON ShadowDoc, times in ms
  PRIMARY KEY (product_id, device_name),
  FOREIGN KEY (product_id, device_name) REFERENCES devices(product_id, device_name) ON DELETE CASCADE
);
`;

export class ShadowStore {
  private readonly st;
  constructor(db: Database.Database) {
    db.exec(MIGRATION);
    this.st = {
      get: db.prepare<[string, string], { document: string }>('SELECT document FROM shadow_documents WHERE product_id = ? AND device_name = ?'),
      put: db.prepare(
        `INSERT INTO shadow_documents (product_id, device_name, document) VALUES (?, ?, ?)
         ON CONFLICT(product_id, device_name) DO UPDATE SET document = excluded.document`,
      ),
    };
  }

  get(productId: string, deviceName: string): ShadowDoc | undefined {
    const row = this.st.get.get(productId, deviceName);
    return row ? (JSON.parse(row.document) as ShadowDoc) : undefined;
  }

  put(productId: string, deviceName: string, doc: ShadowDoc): void {
    this.st.put.run(productId, deviceName, JSON.stringify(doc));
  }
}
