// Connection counts of a cluster (LIM-014): two workers' tallies on one Redis see each other's connections, a
// restarted worker of the same slot forgets what its killed predecessor counted, and admissions racing for the last
// place cannot both win; the guard judges a socket when such counts answer, and counts the close of one it let in.

import { Redis } from 'ioredis';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createConnectionGuard, localTally } from '../../hub/bounds/connections.js';
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

describe('the connection guard with counts that answer later (a cluster asks Redis)', () => {
  const bounds = { maxConnections: 2, maxConnectionsPerAddress: 2, connectDeadlineMs: 5000 };
  /** A tally of this process whose answers come a few milliseconds later, like a round trip. */
  const laterTally = () => {
    const t = localTally();
    let open = 0;
    return {
      get open() {
        return open;
      },
      add: async (address: string) => {
        await new Promise((r) => setTimeout(r, 5));
        open++;
        return t.add(address);
      },
      remove: async (address: string) => {
        await new Promise((r) => setTimeout(r, 5));
        open--;
        t.remove(address);
      },
    };
  };

  test('a socket closed while it is being counted is not admitted and leaves no count', async () => {
    const tally = laterTally();
    const guard = createConnectionGuard({ ...bounds, tally }, new Set(), () => {});
    const socket = new PassThrough();
    const verdict = guard.admit(socket, '127.0.0.5');
    socket.destroy();
    expect(await verdict).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(tally.open).toBe(0);
    expect(guard.open).toBe(0);
  });

  test('past the bound the answer is a refusal and the socket is closed; a close of an admitted one is counted', async () => {
    const tally = laterTally();
    const guard = createConnectionGuard({ ...bounds, tally }, new Set(), () => {});
    const sockets = [new PassThrough(), new PassThrough(), new PassThrough()];
    const verdicts = await Promise.all(sockets.map((s) => guard.admit(s, '127.0.0.6')));
    expect(verdicts.map((v) => typeof v)).toEqual(['function', 'function', 'boolean']);
    expect(sockets[2]!.destroyed).toBe(true);
    sockets[0]!.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(tally.open).toBe(1);
    expect(guard.open).toBe(1);
    expect(typeof (await guard.admit(new PassThrough(), '127.0.0.6'))).toBe('function');
  });
});
