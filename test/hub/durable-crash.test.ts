// A --data hub killed with SIGKILL in the middle of a QoS 1 run loses no acknowledged message; a session offline for
// more than 24 h is gone after a restart too.

import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { api, callApi, provision } from './helpers.js';
import { SessionClient, useHubChildren } from './durable-process.js';
import { ackedSurviveKill, topicOf } from './durable-scenarios.js';

const HUB_ARGS = ['--offline-pace', '0', '--test-clock'];

const { start, tempDir } = useHubChildren(HUB_ARGS);

describe('kill -9 during a QoS 1 run', () => {
  test('every PUBLISH the hub acknowledged reaches the persistent subscriber, before or after the restart', async () => {
    const file = path.join(tempDir(), 'hub.db');
    await ackedSurviveKill(await start(file), () => start(file), 'sqlite');
  }, 30_000);
});

describe('24 h expiry across a restart', () => {
  test('a session offline for more than 24 h on the hub clock is gone after the restart, and its rows are deleted', async () => {
    const file = path.join(tempDir(), 'hub.db');
    const h1 = await start(file);
    const [d, kept] = await provision(h1.hub, ['old', 'kept']);
    const topic = topicOf(d!);
    const s1 = await SessionClient.open(h1.hub, d!, { autoAck: true });
    await s1.subscribe(topic, 1, 60_000);
    await s1.disconnect();
    for (let i = 0; i < 5; i++) {
      const r = await callApi(h1.hub, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: topic, Payload: `stale${i}`, Qos: 1 });
      expect(r.Response.Error?.Code).toBe('LimitExceeded.MessageSaved');
    }
    await api(h1.hub, 'AdvanceTestClock', { Seconds: 25 * 3600 });
    // a session that goes offline after the jump has its 24 h still ahead of it
    const k1 = await SessionClient.open(h1.hub, kept!, { autoAck: true });
    await k1.subscribe(topicOf(kept!), 1, 60_000);
    await k1.disconnect();
    await h1.kill9();

    const h2 = await start(file);
    const k2 = await SessionClient.open(h2.hub, kept!, { autoAck: true });
    expect(k2.sessionPresent, 'the session offline for less than 24 h').toBe(true);
    k2.close();
    const s2 = await SessionClient.open(h2.hub, d!, { autoAck: true });
    expect(s2.sessionPresent, 'the session offline for 25 h').toBe(false);
    await s2.subscribe(topic, 1, 60_000);
    s2.send({ cmd: 'publish', topic, payload: 'barrier', qos: 1, messageId: 1 });
    expect(await s2.pump(() => s2.deliveries.some((m) => m.payload === 'barrier'), 5000)).toBe(true);
    expect(s2.deliveries.map((m) => m.payload), 'nothing of the expired session arrives before the barrier').toEqual(['barrier']);
    await s2.disconnect();
    expect(await h2.stop()).toBe(0);

    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT COUNT(*) AS n FROM mqtt_messages WHERE payload LIKE 'stale%'").get(), 'rows of the expired messages').toEqual({ n: 0 });
      expect(db.prepare("SELECT value FROM meta WHERE key = 'clock-offset-ms'").get(), 'the test clock offset is kept').toEqual({ value: String(25 * 3600 * 1000) });
    } finally {
      db.close();
    }
  }, 30_000);
});
