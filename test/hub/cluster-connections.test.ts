// Connection counts of a cluster (LIM-014): two workers' tallies on one Redis see each other's connections, a
// restarted worker of the same slot forgets what its killed predecessor counted, and admissions racing for the last
// place cannot both win.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { sharedTally } from '../../hub/bounds/shared-connections.js';
import { redisMissing, usePrivateRedis } from './redis-server.js';

const missing = redisMissing();
if (missing) console.warn(`cluster-connections: skipped: ${missing}`);

describe.skipIf(missing !== undefined)('connection counts in Redis', () => {
  const redis = usePrivateRedis();
  // one connection per worker, as the workers hold
  const conns: Redis[] = [];
  const conn = () => {
    const c = new Redis(redis.url);
    conns.push(c);
    return c;
  };
  const tally = async (workerId: string) => {
    const t = sharedTally(conn(), workerId);
    await t.clear();
    return t;
  };
  beforeAll(() => void conn());
  beforeEach(async () => void (await conns[0]!.flushdb()));
  afterAll(() => {
    for (const c of conns.splice(0)) c.disconnect();
  });

  test('counts by address and in total are the sums over the workers', async () => {
    const w0 = await tally('h:0');
    const w1 = await tally('h:1');
    expect(await w0.add('127.0.0.2')).toEqual({ total: 1, here: 1 });
    expect(await w1.add('127.0.0.2')).toEqual({ total: 2, here: 2 });
    expect(await w1.add('127.0.0.3')).toEqual({ total: 3, here: 1 });
    await w0.remove('127.0.0.2');
    expect(await w0.add('127.0.0.3')).toEqual({ total: 3, here: 2 });
    await w1.remove('127.0.0.2');
    expect(await w1.add('127.0.0.2')).toEqual({ total: 3, here: 1 });
  });

  test('a worker restarted in the same slot (after kill -9) clears what its predecessor counted; the others stay', async () => {
    const killed = await tally('h:0');
    const other = await tally('h:1');
    for (let i = 0; i < 5; i++) await killed.add('127.0.0.9');
    await other.add('127.0.0.9');
    const restarted = await tally('h:0'); // no remove() ever came for the killed worker's connections
    expect(await restarted.add('127.0.0.9')).toEqual({ total: 2, here: 2 });
  });

  test('closed connections leave no keys for their addresses', async () => {
    const w = await tally('h:0');
    for (let i = 0; i < 100; i++) await w.add(`127.0.1.${i}`);
    for (let i = 0; i < 100; i++) await w.remove(`127.0.1.${i}`);
    expect((await conns[0]!.keys('hubcheck:connections:*')).sort()).toEqual([]);
  });

  test('admissions at once from two workers are counted one at a time: each sees a different total', async () => {
    const [w0, w1] = [await tally('h:0'), await tally('h:1')];
    const counts = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? w0 : w1).add('127.0.0.4')));
    expect(counts.map((c) => c.total).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(counts.every((c) => c.here === c.total)).toBe(true);
  });
});
