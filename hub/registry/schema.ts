// The registry's SQLite schema: products, devices, custom topic policies and a small key/value meta table.

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  product_id    TEXT NOT NULL UNIQUE,
  product_name  TEXT NOT NULL UNIQUE,
  properties    TEXT NOT NULL,           -- JSON ProductProperties as returned by the API
  created_at    INTEGER NOT NULL,        -- Unix seconds
  forbidden     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS devices (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  product_id        TEXT NOT NULL REFERENCES products(product_id),
  device_name       TEXT NOT NULL,
  psk               TEXT,                -- base64; NULL for devices of certificate products
  enable_state      INTEGER NOT NULL DEFAULT 1,
  tags              TEXT NOT NULL DEFAULT '[]',
  created_at        INTEGER NOT NULL,
  login_time        INTEGER NOT NULL DEFAULT 0,
  first_online_time INTEGER NOT NULL DEFAULT 0,
  last_offline_time INTEGER NOT NULL DEFAULT 0,
  client_ip         TEXT NOT NULL DEFAULT '',
  UNIQUE (product_id, device_name)
);
CREATE TABLE IF NOT EXISTS topic_policies (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  product_id  TEXT NOT NULL REFERENCES products(product_id),
  topic_name  TEXT NOT NULL,
  privilege   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (product_id, topic_name)
);
`;
