// Sessions in Redis under load: a kill -9 in the middle of a QoS 1 run loses no acknowledged message, and a full
// session does not reorder deliveries (Redis writes are asynchronous, unlike SQLite's).

import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { provision } from './helpers.js';
import { SessionClient, useHubChildren } from './durable-process.js';
import { ackedSurviveKill, topicOf } from './durable-scenarios.js';
import { redisMissing, usePrivateRedis } from './redis-server.js';

const missing = redisMissing();
if (missing) console.warn(`durable-redis-run: skipped: ${missing}`);

describe.skipIf(missing !== undefined)('sessions in Redis under load', () => {
  const redis = usePrivateRedis();
  const { start, tempDir } = useHubChildren(['--offline-pace', '0']);

  test('kill -9 during a QoS 1 run: every PUBLISH the hub acknowledged reaches the persistent subscriber', async () => {
    const file = path.join(tempDir(), 'hub.db');
    const args = ['--redis', redis.url];
    await ackedSurviveKill(await start(file, args), () => start(file, args), 'redis');
  }, 30_000);

  test('a full session does not reorder deliveries: 160 PUBLISHes left unacknowledged, the first 150 delivered in order', async () => {
    // The PUBLISHes past the 150th store nothing, so they wait for no Redis reply; they must still be routed after
    // the earlier ones (the outbox drops a broker counter lower than one it has seen as a duplicate).
    const h = await start(path.join(tempDir(), 'hub.db'), ['--redis', redis.url]);
    const [d] = await provision(h.hub, ['full']);
    const topic = topicOf(d!);
    const s = await SessionClient.open(h.hub, d!, { autoAck: false });
    await s.subscribe(topic, 1, 60_000);
    for (let i = 1; i <= 160; i++) s.send({ cmd: 'publish', topic, payload: `w${i}`, qos: 1, messageId: i });
    expect(await s.pump(() => s.acked.size === 160 && s.deliveries.length >= 150, 10_000), `${s.acked.size} PUBACKs, ${s.deliveries.length} deliveries`).toBe(true);
    expect(s.deliveries.map((m) => m.payload)).toEqual(Array.from({ length: 150 }, (_, i) => `w${i + 1}`));
    s.close();
  }, 30_000);
});
