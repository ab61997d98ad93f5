// Connection bounds: how many sockets the hub holds open, in total and per source address, and how long a socket may
// take to deliver its whole CONNECT. Judged when the socket is accepted, before any MQTT byte is read.

import type { Duplex } from 'node:stream';
import type { Faults } from '../faults.js';

export interface ConnectionBounds {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  connectDeadlineMs: number;
  /** Where open connections are counted: by default this process alone; in a cluster every worker's (hub/bounds/shared-connections.ts). */
  tally?: ConnectionTally;
}

/** Open connections, in total and by source address; a cluster's tally answers asynchronously (it asks Redis). */
export interface ConnectionTally {
  /** Counts one more connection from `address`; returns the counts with it. */
  add(address: string): Counts | Promise<Counts>;
  remove(address: string): void | Promise<void>;
}

interface Counts {
  total: number;
  here: number;
}

/** The counts of this process alone. */
export function localTally(): ConnectionTally {
  const perAddress = new Map<string, number>();
  let total = 0;
  return {
    add(address) {
      const here = (perAddress.get(address) ?? 0) + 1;
      perAddress.set(address, here);
      return { total: ++total, here };
    },
    remove(address) {
      total--;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n > 0) perAddress.set(address, n);
      else perAddress.delete(address);
    },
  };
}

export interface ConnectionGuard {
  /**
   * Counts a new socket from `address`: false (and the socket destroyed) when a bound is reached; otherwise starts the
   * CONNECT deadline and returns a function to call once the whole CONNECT has been read. With a cluster's tally the
   * verdict comes as a promise; nothing is read from the socket before it.
   */
  admit(socket: Duplex, address: string): Admission | Promise<Admission>;
  /** Open sockets counted now (for tests and the abuse bench). */
  readonly open: number;
}

type Admission = false | (() => void);

export function createConnectionGuard(bounds: ConnectionBounds, faults: Faults, log: (line: string) => void): ConnectionGuard {
  const tally = bounds.tally ?? localTally();
  let open = 0;
  const uncounted = (socket: Duplex, address: string, err: unknown): false => {
    // a cluster's shared counts that cannot be updated (Redis unreachable): the bound cannot be judged, so the
    // connection is refused rather than held uncounted; the worker keeps running
    log(`mqtt: refusing a connection from ${address}: the connection counts cannot be updated (${(err as Error).message})`);
    socket.destroy();
    return false;
  };
  const remove = (address: string) => {
    const failed = (err: unknown) => log(`mqtt: cannot count the close of a connection from ${address}: ${(err as Error).message}`); // e.g. closed during shutdown
    try {
      const done = tally.remove(address);
      if (done) done.catch(failed);
    } catch (err) {
      failed(err);
    }
  };
  const judge = (socket: Duplex, address: string, counts: Counts, acceptedAt: number): Admission => {
    if (socket.destroyed) {
      remove(address); // closed while it was being counted
      return false;
    }
    if (!faults.has('no-connection-cap')) {
      let refusal: string | undefined;
      if (counts.total > bounds.maxConnections) refusal = `${counts.total - 1} connections are open, the most the hub holds`; // LIM-014
      else if (counts.here > bounds.maxConnectionsPerAddress) refusal = `${counts.here - 1} connections from ${address} are open, the most one address may hold`; // LIM-014
      if (refusal) {
        remove(address);
        log(`mqtt: refusing a connection from ${address}: ${refusal}`);
        socket.destroy();
        return false;
      }
    }
    open++;
    let timer: NodeJS.Timeout | undefined;
    if (!faults.has('no-connect-deadline')) {
      // LIM-015: the whole CONNECT must arrive within the deadline from the accept, however slowly its bytes trickle in
      timer = setTimeout(() => {
        log(`mqtt: closing a connection from ${address}: no complete CONNECT within ${bounds.connectDeadlineMs} ms`);
        socket.destroy();
      }, Math.max(0, bounds.connectDeadlineMs - (performance.now() - acceptedAt)));
      timer.unref();
    }
    socket.once('close', () => {
      clearTimeout(timer);
      open--;
      remove(address);
    });
    return () => clearTimeout(timer);
  };
  return {
    get open() {
      return open;
    },
    admit(socket, rawAddress) {
      const address = rawAddress.replace(/^::ffff:/, '');
      const acceptedAt = performance.now();
      // counted first, then judged: two workers of a cluster admitting at once cannot both take the last place
      let counts: Counts | Promise<Counts>;
      try {
        counts = tally.add(address);
      } catch (err) {
        return uncounted(socket, address, err);
      }
      if (counts instanceof Promise) return counts.then((c) => judge(socket, address, c, acceptedAt), (err: unknown) => uncounted(socket, address, err));
      return judge(socket, address, counts, acceptedAt);
    },
  };
}
