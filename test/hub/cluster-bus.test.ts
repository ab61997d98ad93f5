// Questions between the workers of a cluster (hub/cluster/bus.ts) over a private Redis: the named workers answer,
// this worker answers its own in-process, and a worker that is gone costs the asker only the timeout.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clusterBus, soloBus, type ClusterBus } from '../../hub/cluster/bus.js';
import { clusterEmitter, type ClusterEmitter } from '../../hub/cluster/mq.js';
import { redisMissing, usePrivateRedis } from './redis-server.js';

const missing = redisMissing();
if (missing) console.warn(`cluster-bus: skipped: ${missing}`);

test('the solo bus answers only its own questions', async () => {
  const bus = soloBus();
  bus.answer('q', (d) => `solo ${String(d)}`);
  expect(await bus.ask([''], 'q', 1)).toEqual(new Map([['', 'solo 1']]));
  expect(await bus.ask([], 'q', 1)).toEqual(new Map());
});

describe.skipIf(missing !== undefined)('the cluster bus', () => {
  const redis = usePrivateRedis();
  const emitters: ClusterEmitter[] = [];
  const buses: ClusterBus[] = [];
  beforeAll(async () => {
    for (const id of ['w0', 'w1', 'w2']) {
      const mq = await clusterEmitter(redis.url);
      emitters.push(mq);
      buses.push(clusterBus({ mq } as never, id, () => {}));
    }
    for (const bus of buses) bus.answer('who', async (d) => `${bus.workerId} got ${String(d)}`);
    await new Promise((r) => setTimeout(r, 200)); // the Redis subscriptions are made asynchronously
  });
  afterAll(async () => {
    await Promise.all(emitters.map((mq) => new Promise<void>((resolve) => mq.close(() => resolve()))));
  });

  test('the named workers answer, this one included; the others keep quiet', async () => {
    const answers = await buses[0]!.ask(['w0', 'w2'], 'who', 'x');
    expect(answers).toEqual(new Map([['w0', 'w0 got x'], ['w2', 'w2 got x']]));
  });

  test('a worker that does not answer is left out after the timeout', async () => {
    const started = performance.now();
    const answers = await buses[1]!.ask(['w0', 'gone'], 'who', 'y', 300);
    expect(answers).toEqual(new Map([['w0', 'w0 got y']]));
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('events reach the other workers, not the sender', async () => {
    const heard: string[] = [];
    for (const bus of buses) bus.on('ping', (d, from) => heard.push(`${bus.workerId}<-${from}:${String(d)}`));
    await new Promise((r) => setTimeout(r, 200));
    buses[2]!.send('ping', 'hello');
    const until = Date.now() + 3000;
    while (heard.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(heard.sort()).toEqual(['w0<-w2:hello', 'w1<-w2:hello']);
  });
});
