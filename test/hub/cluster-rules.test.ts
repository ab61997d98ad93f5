// Rules shared by the workers of a cluster: two registries on one file, as two workers hold it. A change through
// one is seen by the other's next look, without a restart; a single hub keeps its rules across a restart.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { Registry } from '../../hub/registry/index.js';
import { decodeSql, parseActions, type Rule } from '../../hub/services/rules/model.js';
import { RuleStore } from '../../hub/services/rules/store.js';

let dir: string;
const open: Registry[] = [];
const registry = (shared: boolean) => {
  const r = new Registry(path.join(dir, 'registry.sqlite'), shared);
  open.push(r);
  return r;
};
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-rules-'));
  productId = '';
});
afterEach(() => {
  for (const r of open.splice(0)) r.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The republish target must be a topic of an existing product. */
let productId = '';
const PROPS = { ProductDescription: '', EncryptionType: '2', Region: 'gz', ProductType: 0, Format: 'json' } as const;

function rule(r: Registry, name: string, topic: string, disabled = false): Rule {
  productId ||= r.createProduct(`p${Date.now()}`, PROPS, 1).productId;
  const sqlBase64 = Buffer.from(`SELECT * FROM '${topic}'`).toString('base64');
  const sql = decodeSql(sqlBase64);
  const actionsText = JSON.stringify([{ republish: { topic: `${productId}/d/out` } }]);
  return { name, sqlBase64, sql, actionsText, actions: parseActions(actionsText, sql, r), description: '', disabled, createdAt: 1 };
}

test('a rule created, replaced, disabled and deleted through one worker holds at once on the other', () => {
  const [ra, rb] = [registry(true), registry(true)];
  const [a, b] = [new RuleStore(ra, true, () => {}), new RuleStore(rb, true, () => {})];
  expect(a.create(rule(ra, 'r1', 'P1/d/in'), 1000)).toBe('created');
  expect(b.all().get('r1')?.sql.filter.join('/')).toBe('P1/d/in');
  expect(b.create(rule(rb, 'r1', 'P1/d/other'), 1000), 'the name is taken on every worker').toBe('exists');
  expect(b.replace({ ...rule(rb, 'r1', 'P1/d/two'), disabled: true })).toBe(true);
  expect(a.all().get('r1')?.sql.filter.join('/')).toBe('P1/d/two');
  expect(a.all().get('r1')?.disabled).toBe(true);
  expect(a.create(rule(ra, 'r2', 'P1/d/in'), 2)).toBe('created');
  expect(b.create(rule(rb, 'r3', 'P1/d/in'), 2), 'the limit counts every worker\'s rules').toBe('full');
  expect([...b.all().keys()], 'creation order').toEqual(['r1', 'r2']);
  expect(a.delete('r1')).toBe(true);
  expect([...b.all().keys()]).toEqual(['r2']);
  expect(b.delete('r1'), 'deleted already').toBe(false);
});

test('an unchanged rule is not compiled again when another changes', () => {
  const [ra, rb] = [registry(true), registry(true)];
  const [a, b] = [new RuleStore(ra, true, () => {}), new RuleStore(rb, true, () => {})];
  a.create(rule(ra, 'r1', 'P1/d/in'), 1000);
  const before = b.all().get('r1');
  a.create(rule(ra, 'r2', 'P1/d/in'), 1000);
  expect(b.all().get('r1'), 'the same compiled rule').toBe(before);
  expect(b.all().size).toBe(2);
});

test('rules kept by an older hub as a meta list move into the table, once, and survive a restart', () => {
  const r1 = registry(false);
  r1.setMeta('rules', JSON.stringify([{ name: 'old', sql: rule(r1, 'x', 'P1/d/in').sqlBase64, actions: JSON.stringify([{ republish: { topic: `${productId}/d/out` } }]), description: 'd', disabled: true, createdAt: 7 }]));
  const s1 = new RuleStore(r1, false, () => {});
  expect(s1.all().get('old')).toMatchObject({ description: 'd', disabled: true, createdAt: 7 });
  expect(r1.getMeta('rules')).toBeUndefined();
  s1.create(rule(r1, 'new', 'P1/d/in'), 1000);
  r1.close();
  const again = new RuleStore(registry(false), false, () => {});
  expect([...again.all().keys()]).toEqual(['old', 'new']);
});
