// Persistent sessions survive a restart of a hub with --data: kill -9 and a clean SIGTERM, stored messages counted by
// payload, messages that were in flight resent with DUP = 1 and their packet identifier (QOS-018).

import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { useHubChildren } from './durable-process.js';
import { storedAcrossRestart } from './durable-scenarios.js';

const { start, tempDir } = useHubChildren(['--offline-pace', '0', '--test-clock']);

describe.each([
  ['kill -9', 'SIGKILL'],
  ['SIGTERM', 'SIGTERM'],
] as const)('a --data hub restarted after %s', (_name, signal) => {
  test('keeps the session, its subscription and every stored message; in-flight ones come back with DUP = 1 and their packet id', async () => {
    const file = path.join(tempDir(), 'hub.db');
    const { topic } = await storedAcrossRestart(await start(file), signal, () => start(file));

    // all acknowledged: the file holds the session and its subscription, and no message
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM mqtt_messages').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT topic, qos FROM mqtt_subscriptions').all()).toEqual([{ topic, qos: 1 }]);
      expect((db.prepare('SELECT disconnected_at FROM mqtt_sessions').get() as { disconnected_at: number | null }).disconnected_at).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 30_000);
});
