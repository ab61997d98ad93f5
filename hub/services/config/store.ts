// Each product's remote configuration (switch and content) in the registry's SQLite database.

import type Database from 'better-sqlite3';

const MIGRATION = `
CREATE TABLE IF NOT EXISTS config_products (
  product_id  TEXT PRIMARY KEY REFERENCES products(product_id) ON DELETE CASCADE,
  enabled     INTEGER NOT NULL DEFAULT 0,
  content     TEXT,                      -- compact JSON object; NULL when never set
  updated_at  INTEGER NOT NULL
);
`;

export interface ProductConfig { enabled: boolean; content: string | null }

export class ConfigStore {
  private readonly st;
  constructor(db: Database.Database) {
    db.exec(MIGRATION);
    this.st = {
      get: db.prepare<[string], { enabled: number; content: string | null }>('SELECT enabled, content FROM config_products WHERE product_id = ?'),
      put: db.prepare(
        `INSERT INTO config_products (product_id, enabled, content, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(product_id) DO UPDATE SET enabled = excluded.enabled, content = excluded.content, updated_at = excluded.updated_at`,
      ),
    };
  }

  get(productId: string): ProductConfig | undefined {
    const r = this.st.get.get(productId);
    return r && { enabled: r.enabled !== 0, content: r.content };
  }

  put(productId: string, enabled: boolean, content: string | null, at: number): void {
    this.st.put.run(productId, enabled ? 1 : 0, content, at);
  }
}
