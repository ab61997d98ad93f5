// The registry writes of one event-loop turn go in one transaction, in the order queued; a file another process holds
// locked delays them without blocking this process' event loop, and they land once it is free.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { TurnWrites } from '../../hub/registry/turn-writes.js';

let dir: string;
const open: Database.Database[] = [];
const db = () => {
  const d = new Database(path.join(dir, 'registry.sqlite'));
  d.pragma('journal_mode = WAL');
  open.push(d);
  return d;
};
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-turn-writes-'));
  db().exec('CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT NOT NULL)');
});
afterEach(() => {
  for (const d of open.splice(0)) d.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the writes of a turn commit in one transaction, in the order they were queued', async () => {
  const d = db();
  const commits: number[] = [];
  d.function('mark', () => commits.push(commits.length));
  const insert = d.prepare('INSERT INTO t (v) VALUES (?)');
  const writes = new TurnWrites(d, () => {});
  const done = ['a', 'b', 'c'].map((v) => writes.add(() => void insert.run(v)));
  expect(d.prepare('SELECT COUNT(*) AS n FROM t').get(), 'nothing before the check phase').toEqual({ n: 0 });
  const changes = d.prepare('SELECT total_changes() AS n');
  const before = (changes.get() as { n: number }).n;
  await Promise.all(done);
  expect(d.prepare('SELECT v FROM t ORDER BY seq').all()).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
  expect((changes.get() as { n: number }).n - before).toBe(3);
  await writes.add(() => void insert.run('d')); // a later turn: its own transaction
  expect(d.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 4 });
});

test('a file locked by another connection delays the batch without blocking the event loop, then it commits', async () => {
  const other = db();
  const d = db();
  const insert = d.prepare('INSERT INTO t (v) VALUES (?)');
  const writes = new TurnWrites(d, () => {});
  other.prepare('BEGIN IMMEDIATE').run(); // holds the write lock, as another worker's transaction would
  let committed = false;
  const first = writes.add(() => void insert.run('x')).then(() => (committed = true));
  // timers keep firing while the batch waits: the event loop is not asleep in SQLite's busy handler
  const ticks: number[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      ticks.push(performance.now());
      if (ticks.length === 10) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  // ten 5 ms ticks; a loop asleep in the busy handler would take its whole 5 s timeout first
  expect(performance.now() - started, 'the event loop kept turning').toBeLessThan(2000);
  expect(committed, 'not committed while the file is locked').toBe(false);
  const second = writes.add(() => void insert.run('y')); // queued behind the waiting one
  other.prepare('COMMIT').run();
  await Promise.all([first, second]);
  expect(d.prepare('SELECT v FROM t ORDER BY seq').all()).toEqual([{ v: 'x' }, { v: 'y' }]);
  // other statements on the connection wait on a lock as before
  expect(d.pragma('busy_timeout', { simple: true })).toBe(5000);
});

test('a write that fails alone fails alone; close() commits what is queued and refuses more', async () => {
  const d = db();
  const insert = d.prepare('INSERT INTO t (v) VALUES (?)');
  const writes = new TurnWrites(d, () => {});
  const results = await Promise.allSettled([
    writes.add(() => void insert.run('ok')),
    writes.add(() => void insert.run(null)), // NOT NULL
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  const queued = writes.add(() => void insert.run('at close'));
  writes.close();
  await queued;
  await expect(writes.add(() => void insert.run('late'))).rejects.toThrow(/closed/);
  expect(d.prepare('SELECT v FROM t ORDER BY seq').all()).toEqual([{ v: 'ok' }, { v: 'at close' }]);
});
