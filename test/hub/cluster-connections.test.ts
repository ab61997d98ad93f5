// Connection counts of a cluster (LIM-014): two workers' tallies on one registry file see each other's connections,
// and a restarted worker of the same slot forgets what its killed predecessor counted.

import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { sharedTally } from '../../hub/bounds/shared-connections.js';

let dir: string;
const open: Database.Database[] = [];
const db = () => {
  const d = new Database(path.join(dir, 'registry.sqlite'));
  d.pragma('journal_mode = WAL');
  open.push(d);
  return d;
};
beforeEach(() => void (dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-tally-'))));
afterEach(() => {
  for (const d of open.splice(0)) d.close();
  rmSync(dir, { recursive: true, force: true });
});

test('counts by address and in total are the sums over the workers', () => {
  const w0 = sharedTally(db(), 'h:0');
  const w1 = sharedTally(db(), 'h:1');
  expect(w0.add('127.0.0.2')).toEqual({ total: 1, here: 1 });
  expect(w1.add('127.0.0.2')).toEqual({ total: 2, here: 2 });
  expect(w1.add('127.0.0.3')).toEqual({ total: 3, here: 1 });
  w0.remove('127.0.0.2');
  expect(w0.add('127.0.0.3')).toEqual({ total: 3, here: 2 });
  w1.remove('127.0.0.2');
  expect(w1.add('127.0.0.2')).toEqual({ total: 3, here: 1 });
});

test('a worker restarted in the same slot (after kill -9) clears what its predecessor counted; the others stay', () => {
  const killed = sharedTally(db(), 'h:0');
  const other = sharedTally(db(), 'h:1');
  for (let i = 0; i < 5; i++) killed.add('127.0.0.9');
  other.add('127.0.0.9');
  const restarted = sharedTally(db(), 'h:0'); // no remove() ever came for the killed worker's connections
  expect(restarted.add('127.0.0.9')).toEqual({ total: 2, here: 2 });
});

test('closed connections leave no rows for their addresses', () => {
  const d = db();
  const w = sharedTally(d, 'h:0');
  for (let i = 0; i < 100; i++) w.add(`127.0.1.${i}`);
  for (let i = 0; i < 100; i++) w.remove(`127.0.1.${i}`);
  expect(d.prepare("SELECT address, n FROM connection_counts").all()).toEqual([{ address: '*', n: 0 }]);
});
