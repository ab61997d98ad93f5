// Connection counts of a hub cluster (LIM-014): each worker counts its own open connections, by source address and
// in total, in Redis, and judges a new one by the sums over all workers. A Lua script counts and sums in one step, so
// two workers admitting at once cannot both take the last place, and no worker ever waits on another: the counts were
// a table of the shared registry file, whose write lock the workers took turns on (sleeping in SQLite's busy handler,
// event loop and all) twice per connection.
//
// Keys (in the cluster's Redis database):
//   hubcheck:connections:by:<address>   hash   workerId -> connections open from the address ('*': all addresses)
//   hubcheck:connections:of:<workerId>  set    the addresses the worker holds connections from
// A worker clears its own counts when it starts, so the connections of a worker killed with kill -9 stop counting once
// the slot's new worker is up (node:cluster restarts it at once), and when it stops.

import type { Redis } from 'ioredis';
import type { ConnectionTally } from './connections.js';

const PREFIX = 'hubcheck:connections:';
/** The "address" of a worker's total. */
const TOTAL = '*';
const byKey = (address: string) => `${PREFIX}by:${address}`;

// KEYS: by:<address> by:* of:<worker>; ARGV: worker address. Returns { total, here } with this connection counted.
const ADD = `
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('SADD', KEYS[3], ARGV[2])
local function sum(key)
  local n = 0
  for _, v in ipairs(redis.call('HVALS', key)) do n = n + tonumber(v) end
  return n
end
return { sum(KEYS[2]), sum(KEYS[1]) }`;

// KEYS: by:<address> by:* of:<worker>; ARGV: worker address. An address without connections leaves no trace.
const REMOVE = `
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[3], ARGV[2])
end
if redis.call('HINCRBY', KEYS[2], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return 0`;

type Scripted = Redis & {
  hcConnAdd(...args: string[]): Promise<[number, number]>;
  hcConnRemove(...args: string[]): Promise<number>;
};

export interface SharedTally extends ConnectionTally {
  add(address: string): Promise<{ total: number; here: number }>;
  /** Forgets every connection this worker counted (at start: its predecessor's; at stop: its own). */
  clear(): Promise<void>;
}

/** The tally of one worker; clear() it before the first connection is admitted. */
export function sharedTally(redis: Redis, workerId: string): SharedTally {
  const r = redis as Scripted;
  if (typeof r.hcConnAdd !== 'function') {
    r.defineCommand('hcConnAdd', { numberOfKeys: 3, lua: ADD });
    r.defineCommand('hcConnRemove', { numberOfKeys: 3, lua: REMOVE });
  }
  const ofKey = `${PREFIX}of:${workerId}`;
  const keys = (address: string) => [byKey(address), byKey(TOTAL), ofKey, workerId, address];
  return {
    async add(address) {
      const [total, here] = await r.hcConnAdd(...keys(address));
      return { total, here };
    },
    async remove(address) {
      await r.hcConnRemove(...keys(address));
    },
    async clear() {
      const addresses = await r.smembers(ofKey);
      const m = r.multi();
      for (const a of addresses) m.hdel(byKey(a), workerId);
      await m.hdel(byKey(TOTAL), workerId).del(ofKey).exec();
    },
  };
}
