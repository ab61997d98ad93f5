// The cloud API's rates held by a cluster as a whole (API-035): the token bucket in Redis that every worker takes
// from, against a private redis-server.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RATE_KEY_PREFIX, redisBuckets } from '../../hub/bounds/shared-rates.js';
import { redisMissing, usePrivateRedis } from './redis-server.js';

const missing = redisMissing();
if (missing) console.warn(`cluster-rates: skipped: ${missing}`);

describe.skipIf(missing !== undefined)('API rates in Redis', () => {
  const redis = usePrivateRedis();
  // two connections, as two workers hold
  let a: Redis;
  let b: Redis;
  beforeAll(() => {
    a = new Redis(redis.url);
    b = new Redis(redis.url);
  });
  afterAll(() => {
    a.disconnect();
    b.disconnect();
  });

  test('two workers together get one bucket: a second\'s worth at once, then the rate', async () => {
    const rate = 50;
    const [ba, bb] = [redisBuckets(a, () => {})('TestActionA', rate), redisBuckets(b, () => {})('TestActionA', rate)];
    const started = performance.now();
    const taken = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? ba : bb).take()));
    const seconds = (performance.now() - started) / 1000;
    const served = taken.filter(Boolean).length;
    expect(served, 'served of 200 taken at once by two workers').toBeGreaterThanOrEqual(rate);
    expect(served).toBeLessThanOrEqual(Math.ceil(rate * (1 + seconds)) + 1);
    await new Promise((r) => setTimeout(r, 250)); // a quarter second refills about rate / 4
    const after = await Promise.all(Array.from({ length: rate }, () => ba.take()));
    const refilled = after.filter(Boolean).length;
    expect(refilled, 'refilled in 250 ms at 50/s').toBeGreaterThanOrEqual(10);
    expect(refilled).toBeLessThanOrEqual(16);
    expect(await a.pttl(RATE_KEY_PREFIX + 'TestActionA'), 'an idle bucket expires').toBeGreaterThan(0);
  });

  test('actions have buckets of their own', async () => {
    const buckets = redisBuckets(a, () => {});
    const one = buckets('TestActionB', 2);
    const other = buckets('TestActionC', 2);
    expect(await Promise.all([one.take(), one.take(), one.take()])).toEqual([true, true, false]);
    expect(await other.take()).toBe(true);
  });

  test('when Redis fails, the worker judges the rate alone and says so', async () => {
    const dead = new Redis('redis://127.0.0.1:1/0', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const lines: string[] = [];
    const bucket = redisBuckets(dead, (l) => lines.push(l))('TestActionD', 3);
    expect(await Promise.all([1, 2, 3, 4].map(() => bucket.take()))).toEqual([true, true, true, false]);
    expect(lines.length, 'logged once, not per request').toBe(1);
    expect(lines[0]).toMatch(/rate of TestActionD cannot be judged in Redis .*this worker alone/);
    dead.disconnect();
  });
});
