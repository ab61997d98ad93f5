// The durable store's failures: a QoS 1 PUBLISH is acknowledged only once it is in the data file, and a data file
// the hub cannot use is refused naming the file and the fix.

import Database from 'better-sqlite3';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { hubcheck } from '../cli/helpers.js';
import { provision, type Device } from './helpers.js';
import { SessionClient, useHubChildren } from './durable-process.js';

const { start, tempDir } = useHubChildren(['--offline-pace', '0']);
const topicOf = (d: Device) => `${d.productId}/${d.deviceName}/data`;

describe('acknowledged only once stored', () => {
  test('a QoS 1 PUBLISH the hub cannot write to the data file gets no PUBACK, and the hub keeps running', async () => {
    const file = path.join(tempDir(), 'hub.db');
    const h = await start(file, ['--verbose']);
    const [d] = await provision(h.hub, ['locked']);
    const topic = topicOf(d!);
    const s = await SessionClient.open(h.hub, d!, { autoAck: true });
    await s.subscribe(topic, 1, 60_000);
    // Another connection holds the file's write lock: the hub's write of the message waits for it (better-sqlite3's
    // 5 s busy timeout) and then fails. Aedes' own order (PUBACK, then store) would acknowledge at once.
    const lock = new Database(file);
    lock.exec('BEGIN IMMEDIATE');
    try {
      s.send({ cmd: 'publish', topic, payload: 'unstored', qos: 1, messageId: 7 });
      // the hub closes the connection when the store fails: the close is the barrier after which no PUBACK can come
      expect(await s.pump(() => s.closed, 15_000), 'the connection closed after the failed store').toBe(true);
      expect(s.acked.has(7), 'PUBACK for a message that was not stored').toBe(false);
      expect(s.deliveries.map((m) => m.payload), 'the unstored message was not delivered either').toEqual([]);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    const again = await SessionClient.open(h.hub, d!, { autoAck: true });
    again.send({ cmd: 'publish', topic, payload: 'stored', qos: 1, messageId: 8 });
    expect(await again.pump(() => again.acked.has(8) && again.deliveries.some((m) => m.payload === 'stored'), 15_000), 'a PUBLISH once the lock is gone').toBe(true);
    expect(h.output()).toContain('not stored, so not acknowledged');
    await again.disconnect();
  }, 30_000);
});

describe('a --data file the hub cannot use', () => {
  const ports = ['--mqtt-port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0', '--api-port', '0', '--https-port', '0'];

  test('a file that is not an SQLite database is refused naming the file and the fix', async () => {
    const file = path.join(tempDir(), 'not-a-db.db');
    writeFileSync(file, 'this is not a database '.repeat(100));
    const r = await hubcheck(['hub', '--data', file, ...ports], 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--data ${file}: it is not an SQLite database the hub wrote`);
    expect(r.stderr).toContain('move it away to start with an empty file, or restore it from a backup');
  }, 30_000);

  test('a file in a folder that does not exist, or one the hub may not write, is refused naming the file', async () => {
    const dir = tempDir();
    const missing = path.join(dir, 'missing', 'hub.db');
    const r = await hubcheck(['hub', '--data', missing, ...ports], 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--data ${missing}: its folder ${path.join(dir, 'missing')} does not exist; create it`);
    if (process.getuid?.() === 0) return; // root may write any file
    const readOnly = path.join(dir, 'read-only.db');
    writeFileSync(readOnly, '');
    chmodSync(readOnly, 0o444);
    const w = await hubcheck(['hub', '--data', readOnly, ...ports], 30_000);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(new RegExp(`--data ${readOnly.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*check the permissions`));
  }, 30_000);
});
