// Connection bounds: how many sockets the hub holds open, in total and per source address, and how long a socket may
// take to deliver its whole CONNECT. Judged when the socket is accepted, before any MQTT byte is read.

import type { Duplex } from 'node:stream';
import type { Faults } from '../faults.js';

export interface ConnectionBounds {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  connectDeadlineMs: number;
}

export interface ConnectionGuard {
  /**
   * Counts a new socket from `address`: false (and the socket destroyed) when a bound is reached; otherwise starts the
   * CONNECT deadline and returns a function to call once the whole CONNECT has been read.
   */
  admit(socket: Duplex, address: string): false | (() => void);
  /** Open sockets counted now (for tests and the abuse bench). */
  readonly open: number;
}

export function createConnectionGuard(bounds: ConnectionBounds, faults: Faults, log: (line: string) => void): ConnectionGuard {
  const perAddress = new Map<string, number>();
  let open = 0;
  return {
    get open() {
      return open;
    },
    admit(socket, rawAddress) {
      const address = rawAddress.replace(/^::ffff:/, '');
      const here = perAddress.get(address) ?? 0;
      if (!faults.has('no-connection-cap')) {
        let refusal: string | undefined;
        if (open >= bounds.maxConnections) refusal = `${open} connections are open, the most the hub holds`; // LIM-014
        else if (here >= bounds.maxConnectionsPerAddress) refusal = `${here} connections from ${address} are open, the most one address may hold`; // LIM-014
        if (refusal) {
          log(`mqtt: refusing a connection from ${address}: ${refusal}`);
          socket.destroy();
          return false;
        }
      }
      open++;
      perAddress.set(address, here + 1);
      let timer: NodeJS.Timeout | undefined;
      if (!faults.has('no-connect-deadline')) {
        // LIM-015: the whole CONNECT must arrive within the deadline, however slowly its bytes trickle in
        timer = setTimeout(() => {
          log(`mqtt: closing a connection from ${address}: no complete CONNECT within ${bounds.connectDeadlineMs} ms`);
          socket.destroy();
        }, bounds.connectDeadlineMs);
        timer.unref();
      }
      socket.once('close', () => {
        clearTimeout(timer);
        open--;
        const n = (perAddress.get(address) ?? 1) - 1;
        if (n > 0) perAddress.set(address, n);
        else perAddress.delete(address);
      });
      return () => clearTimeout(timer);
    },
  };
}
