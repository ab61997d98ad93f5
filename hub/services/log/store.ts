// The log service's SQLite tables (in the registry's database): each device's log level and the uploaded log lines, kept 7 days.

import type Database from 'better-sqlite3';

/** Uploaded logs are kept 7 days (protocol.md §6.2, S-LIMITS "云日志"). */
export const LOG_RETENTION_MS = 7 * 24 * 3600 * 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS device_log_levels (
  product_id   TEXT NOT NULL,
  device_name  TEXT NOT NULL,
  log_level    INTEGER NOT NULL,        -- 0 no upload, 1 error, 2 warning, 3 info, 4 debug
  PRIMARY KEY (product_id, device_name)
);
CREATE TABLE IF NOT EXISTS device_logs (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  product_id   TEXT NOT NULL,
  device_name  TEXT NOT NULL,
  level        TEXT NOT NULL,           -- DEBUG, INFO, WARN, ERROR (from the DBG/INF/WRN/ERR tag)
  content      TEXT NOT NULL,
  at_ms        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS device_logs_time ON device_logs (at_ms);
`;

export interface LogLine { productId: string; deviceName: string; level: string; content: string; atMs: number }

export interface LogQuery {
  minMs: number;
  maxMs: number;
  productId?: string;
  deviceName?: string;
  level?: string;
  words: string[];
  offset: number;
  limit: number;
}

interface Row { seq: number; product_id: string; device_name: string; level: string; content: string; at_ms: number }

export class LogStore {
  private readonly st;
  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.st = {
      getLevel: db.prepare<[string, string], { log_level: number }>('SELECT log_level FROM device_log_levels WHERE product_id = ? AND device_name = ?'),
      setLevel: db.prepare('INSERT INTO device_log_levels (product_id, device_name, log_level) VALUES (?, ?, ?) ON CONFLICT(product_id, device_name) DO UPDATE SET log_level = excluded.log_level'),
      insert: db.prepare('INSERT INTO device_logs (product_id, device_name, level, content, at_ms) VALUES (?, ?, ?, ?, ?)'),
      purge: db.prepare('DELETE FROM device_logs WHERE at_ms < ?'),
      query: db.prepare<[number, number, string | null, string | null, string | null, string | null, string | null, string | null], Row>(
        `SELECT * FROM device_logs WHERE at_ms >= ? AND at_ms <= ?
           AND (? IS NULL OR product_id = ?) AND (? IS NULL OR device_name = ?) AND (? IS NULL OR level = ?)
         ORDER BY seq`,
      ),
    };
  }

  /** A device whose level was never set gets 0: upload nothing until asked (LOG-002). */
  level(productId: string, deviceName: string): number {
    return this.st.getLevel.get(productId, deviceName)?.log_level ?? 0;
  }

  setLevel(productId: string, deviceName: string, level: number): void {
    this.st.setLevel.run(productId, deviceName, level);
  }

  /** Stores lines atomically and drops those past retention. */
  add(lines: readonly LogLine[], nowMs: number): void {
    this.db.transaction(() => {
      for (const l of lines) this.st.insert.run(l.productId, l.deviceName, l.level, l.content, l.atMs);
      this.st.purge.run(nowMs - LOG_RETENTION_MS);
    })();
  }

  /** Lines in [minMs, maxMs] matching every key and word (words: case-insensitive substrings of the content). */
  find(q: LogQuery, nowMs: number): { lines: LogLine[]; more: boolean } {
    const min = Math.max(q.minMs, nowMs - LOG_RETENTION_MS);
    const p = q.productId ?? null;
    const d = q.deviceName ?? null;
    const lv = q.level ?? null;
    const words = q.words.map((w) => w.toLowerCase());
    const all = this.st.query.all(min, q.maxMs, p, p, d, d, lv, lv).filter((r) => words.every((w) => r.content.toLowerCase().includes(w)));
    const page = all.slice(q.offset, q.offset + q.limit);
    return {
      lines: page.map((r) => ({ productId: r.product_id, deviceName: r.device_name, level: r.level, content: r.content, atMs: r.at_ms })),
      more: q.offset + q.limit < all.length,
    };
  }
}
