// Which products have a broadcast being delivered (BCAST-007), across the workers of a hub cluster: one row per
// running task in the shared registry file, taken with a single INSERT so that two workers cannot both start one.
// A worker clears its own rows when it starts, so the task of a worker killed mid-broadcast does not block the
// product forever once the slot's new worker is up; a row older than STALE_MS is taken over in any case.

import type { Registry } from '../../registry/index.js';

export interface RunningTasks {
  /** Marks a broadcast to the product as running; false when one already is. */
  start(productId: string): boolean;
  end(productId: string): void;
}

/** Far longer than handing one broadcast to the broker takes; only a task whose worker died is this old. */
const STALE_MS = 60_000;

export function clusterTasks(registry: Registry, workerId: string): RunningTasks {
  const db = registry.db;
  db.exec(`CREATE TABLE IF NOT EXISTS broadcast_tasks (
    product_id TEXT PRIMARY KEY,
    worker     TEXT NOT NULL,
    started_ms INTEGER NOT NULL
  )`);
  const st = {
    dropStale: db.prepare('DELETE FROM broadcast_tasks WHERE product_id = ? AND started_ms < ?'),
    take: db.prepare('INSERT OR IGNORE INTO broadcast_tasks (product_id, worker, started_ms) VALUES (?, ?, ?)'),
    end: db.prepare('DELETE FROM broadcast_tasks WHERE product_id = ? AND worker = ?'),
    clear: db.prepare('DELETE FROM broadcast_tasks WHERE worker = ?'),
  };
  st.clear.run(workerId);
  return {
    start(productId) {
      const now = Date.now();
      st.dropStale.run(productId, now - STALE_MS);
      return st.take.run(productId, workerId, now).changes === 1;
    },
    end(productId) {
      st.end.run(productId, workerId);
    },
  };
}
