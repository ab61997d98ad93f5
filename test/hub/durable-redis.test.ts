// Persistent sessions in Redis (--redis URL): they survive kill -9 of the hub as they do in the --data file, and a
// Redis that cannot be reached stops the hub at start with a message naming the URL and the fix.

import { Redis } from 'ioredis';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { hubcheck } from '../cli/helpers.js';
import { useHubChildren } from './durable-process.js';
import { storedAcrossRestart } from './durable-scenarios.js';
import { redisMissing, usePrivateRedis } from './redis-server.js';

const missing = redisMissing();
if (missing) console.warn(`durable-redis: skipped: ${missing}`);

describe.skipIf(missing !== undefined)('sessions in Redis', () => {
  const redis = usePrivateRedis();
  const { start, tempDir } = useHubChildren(['--offline-pace', '0']);

  test('a hub restarted after kill -9 keeps the session, its subscription and every stored message (DUP = 1 and packet id for in-flight ones)', async () => {
    const file = path.join(tempDir(), 'hub.db'); // the registry: the devices must still exist after the restart
    const args = ['--redis', redis.url];
    const { device, topic } = await storedAcrossRestart(await start(file, args), 'SIGKILL', () => start(file, args));

    const r = new Redis(redis.url);
    try {
      const clientId = device.productId + device.deviceName;
      expect(await r.hgetall(`hubcheck:session:subs:${clientId}`), 'the subscription, in Redis').toEqual({ [topic]: '1' });
      expect(Number(await r.hget('hubcheck:session:sessions', clientId)), 'the session, offline since its disconnect').toBeGreaterThan(0);
      // no message left: all acknowledged (a message stored before the CONNACK and routed after it is sent once)
      expect(await r.zrange(`hubcheck:session:order:${clientId}`, 0, -1), 'messages left in Redis').toEqual([]);
      expect(await r.hgetall(`hubcheck:session:msgs:${clientId}`)).toEqual({});
      expect(await r.hgetall(`hubcheck:session:mids:${clientId}`)).toEqual({});
    } finally {
      r.disconnect();
    }
  }, 30_000);

  test('a Redis that cannot be reached, or a URL that is not redis://, is refused at start naming it', async () => {
    const ports = ['--mqtt-port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0', '--api-port', '0', '--https-port', '0'];
    const closed = new URL(redis.url);
    closed.port = String(Number(closed.port) === 65535 ? 65534 : Number(closed.port) + 1); // nothing listens there
    const r = await hubcheck(['hub', '--redis', closed.href, ...ports], 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--redis ${closed.href}: cannot reach Redis`);
    expect(r.stderr).toContain('start redis-server there or give the right URL');
    const bad = await hubcheck(['hub', '--redis', 'http://127.0.0.1:6379', ...ports], 30_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--redis must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0');
  }, 30_000);
});
