// Connection counts of a hub cluster (LIM-014): each worker counts its own open connections, by source address and
// in total (address '*'), in a table of the shared registry file, and judges a new one by the sums over all workers.
// A worker clears its own rows when it starts, so the connections of a worker killed with kill -9 stop counting once
// the slot's new worker is up (node:cluster restarts it at once), and when it stops.

import type Database from 'better-sqlite3';
import type { ConnectionTally } from './connections.js';

/** The row of a worker's total; no source address is written this way. */
const TOTAL = '*';

export function sharedTally(db: Database.Database, workerId: string): ConnectionTally & { clear(): void } {
  db.exec(`CREATE TABLE IF NOT EXISTS connection_counts (
    address TEXT NOT NULL,
    worker  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (address, worker)
  )`);
  const st = {
    up: db.prepare('INSERT INTO connection_counts (address, worker, n) VALUES (?, ?, 1) ON CONFLICT(address, worker) DO UPDATE SET n = n + 1'),
    down: db.prepare('UPDATE connection_counts SET n = n - 1 WHERE address = ? AND worker = ?'),
    drop: db.prepare('DELETE FROM connection_counts WHERE address = ? AND worker = ? AND n <= 0'),
    sum: db.prepare<[string], { n: number | null }>('SELECT SUM(n) AS n FROM connection_counts WHERE address = ?'),
    clear: db.prepare('DELETE FROM connection_counts WHERE worker = ?'),
  };
  const add = db.transaction((address: string) => {
    st.up.run(address, workerId);
    st.up.run(TOTAL, workerId);
    return { total: st.sum.get(TOTAL)?.n ?? 0, here: st.sum.get(address)?.n ?? 0 };
  });
  const remove = db.transaction((address: string) => {
    st.down.run(address, workerId);
    st.drop.run(address, workerId); // the table holds the addresses connected now, not every one ever seen
    st.down.run(TOTAL, workerId);
  });
  const clear = () => void st.clear.run(workerId);
  clear();
  return {
    add: (address) => add.immediate(address),
    remove: (address) => remove.immediate(address),
    clear,
  };
}
