// Numbers unique across every process writing the registry file (the workers of a hub cluster): one statement that
// increments a meta row and returns the new value, so two workers never draw the same number.

import type Database from 'better-sqlite3';
import type { Registry } from '../registry/index.js';

const STATEMENTS = new WeakMap<Database.Database, Database.Statement<[string], { value: string }>>();

/** The next number of the sequence `key` (1, 2, ...), kept in the registry's meta table. */
export function nextInSequence(registry: Registry, key: string): number {
  let st = STATEMENTS.get(registry.db);
  if (!st) {
    st = registry.db.prepare<[string], { value: string }>("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value");
    STATEMENTS.set(registry.db, st);
  }
  return Number(st.get(key)!.value);
}
