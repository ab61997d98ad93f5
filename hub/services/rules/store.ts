// The rules in the registry file (table topic_rules), so that they survive a restart with --data and the workers of a
// hub cluster share them: a change through one worker's API is committed before the API answers, and every worker
// sees it on its next message, since it compares the rules' version (a meta row, bumped by every change) with the
// one it compiled. Compiled rules are kept by revision: a change recompiles only the rule that changed.

import type Database from 'better-sqlite3';
import type { Registry } from '../../registry/index.js';
import { decodeSql, parseActions, type Rule, type StoredRule } from './model.js';

const VERSION_KEY = 'rules-version';
/** Where the rules were kept before they had a table (a JSON list in the meta table); moved into the table once. */
const LEGACY_META_KEY = 'rules';

interface RuleRow { name: string; sql: string; actions: string; description: string; disabled: number; created_at: number; rev: number }

export class RuleStore {
  private readonly compiled = new Map<string, { rev: number; rule: Rule | undefined }>();
  private rules = new Map<string, Rule>();
  private version = -1;
  private readonly st;

  /** `shared`: other processes write the same file (a cluster), so the version is read from it before each use. */
  constructor(private readonly registry: Registry, private readonly shared: boolean, private readonly log: (line: string) => void) {
    const db: Database.Database = registry.db;
    db.exec(`CREATE TABLE IF NOT EXISTS topic_rules (
      seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order, the order rules run in
      name        TEXT NOT NULL UNIQUE,
      sql         TEXT NOT NULL,                      -- Base64, as given
      actions     TEXT NOT NULL,                      -- JSON text, as given
      description TEXT NOT NULL,
      disabled    INTEGER NOT NULL,
      created_at  INTEGER NOT NULL,
      rev         INTEGER NOT NULL                    -- the rules' version this row was last written at
    )`);
    this.st = {
      version: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      bump: db.prepare<[string], { value: string }>("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value"),
      revs: db.prepare<[], { name: string; rev: number }>('SELECT name, rev FROM topic_rules ORDER BY seq'),
      row: db.prepare<[string], RuleRow>('SELECT * FROM topic_rules WHERE name = ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM topic_rules'),
      insert: db.prepare('INSERT OR IGNORE INTO topic_rules (name, sql, actions, description, disabled, created_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE topic_rules SET sql = ?, actions = ?, description = ?, disabled = ?, rev = ? WHERE name = ?'),
      delete: db.prepare('DELETE FROM topic_rules WHERE name = ?'),
      legacy: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      dropLegacy: db.prepare('DELETE FROM meta WHERE key = ?'),
    };
    this.importLegacy();
    this.refresh(true);
  }

  /** The rules in creation order, as committed now (in a cluster: by any worker). */
  all(): ReadonlyMap<string, Rule> {
    if (this.shared) this.refresh(false);
    return this.rules;
  }

  /** Adds a rule: 'exists' when the name is taken, 'full' when `max` rules exist already (checked in the same transaction). */
  create(rule: Rule, max: number): 'created' | 'exists' | 'full' {
    return this.write(() => {
      if (this.st.row.get(rule.name)) return 'exists';
      if (this.st.count.get()!.n >= max) return 'full';
      this.st.insert.run(rule.name, rule.sqlBase64, rule.actionsText, rule.description, rule.disabled ? 1 : 0, rule.createdAt, this.bump());
      return 'created' as const;
    });
  }

  /** Rewrites an existing rule (its name, creation time and place in the order stay); false when it is gone. */
  replace(rule: Rule): boolean {
    return this.write(() => this.st.update.run(rule.sqlBase64, rule.actionsText, rule.description, rule.disabled ? 1 : 0, this.bump(), rule.name).changes > 0);
  }

  delete(name: string): boolean {
    return this.write(() => {
      if (this.st.delete.run(name).changes === 0) return false;
      this.bump();
      return true;
    });
  }

  private bump(): number {
    return Number(this.st.bump.get(VERSION_KEY)!.value);
  }

  /** One immediate transaction (no other worker writes in between), then this process' view brought up to date. */
  private write<T>(change: () => T): T {
    const result = this.registry.db.transaction(change).immediate();
    this.refresh(true);
    return result;
  }

  private refresh(force: boolean): void {
    const version = Number(this.st.version.get(VERSION_KEY)?.value ?? 0);
    if (!force && version === this.version) return;
    this.version = version;
    const next = new Map<string, Rule>();
    const live = new Set<string>();
    for (const { name, rev } of this.st.revs.all()) {
      live.add(name);
      let entry = this.compiled.get(name);
      if (entry?.rev !== rev) {
        const row = this.st.row.get(name);
        this.compiled.set(name, (entry = { rev, rule: row && this.compile(row) }));
      }
      if (entry.rule) next.set(name, entry.rule);
    }
    for (const name of this.compiled.keys()) if (!live.has(name)) this.compiled.delete(name);
    this.rules = next;
  }

  /** A stored rule that no longer compiles (a hub of another version wrote it) is logged and left out. */
  private compile(r: RuleRow): Rule | undefined {
    try {
      const sql = decodeSql(r.sql);
      return { name: r.name, sqlBase64: r.sql, sql, actionsText: r.actions, actions: parseActions(r.actions, sql, this.registry), description: r.description, disabled: r.disabled !== 0, createdAt: r.created_at };
    } catch (err) {
      this.log(`rules: stored rule ${r.name} skipped: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** A registry file from before the table: its rules move into the table, in their order, once. */
  private importLegacy(): void {
    this.registry.db.transaction(() => {
      const stored = this.st.legacy.get(LEGACY_META_KEY);
      if (!stored) return;
      const rev = this.bump();
      for (const r of JSON.parse(stored.value) as StoredRule[]) this.st.insert.run(r.name, r.sql, r.actions, r.description, r.disabled ? 1 : 0, r.createdAt, rev);
      this.st.dropLegacy.run(LEGACY_META_KEY);
    }).immediate();
  }
}
