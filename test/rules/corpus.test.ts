// The golden corpus holds for both the harness's reference evaluator and the hub's compiler/evaluator (no sockets), and vector C3.
import { describe, expect, test } from 'vitest';
import { compileSql, RuleSqlError } from '../../hub/services/rules/sql.js';
import { evaluate } from '../../hub/services/rules/eval.js';
import { filterMatches } from '../../hub/services/rules/topic.js';
import { decodeSql } from '../../hub/services/rules/model.js';
import { forwardSignature as hubSignature } from '../../hub/services/rules/forward.js';
import { forwardSignature, instantiate, loadCorpus, mismatch, parseRule, runRule, topicMatches, type RuleResult } from '../../src/protocol/rules/index.js';

const names = { pid: 'ABCDE12345', src: 'src_dev' };
const corpus = loadCorpus();
const message = (topic: string, payload: Buffer) => ({ topic, payload, productId: names.pid, deviceName: names.src, nowMs: 1_700_000_000_500, requestId: 'req-1' });

function judge(expectSpec: ReturnType<typeof instantiate>['expect'], got: RuleResult | 'error'): string | null {
  if ('error' in expectSpec) return got === 'error' ? null : `expected a refusal, got ${JSON.stringify(got)}`;
  if (got === 'error') return 'refused a valid statement';
  if ('none' in expectSpec) return got === null ? null : `expected no output, got ${JSON.stringify(got)}`;
  if (got === null) return 'expected an output, got none';
  if ('outputRaw' in expectSpec) return got.kind === 'raw' && got.value.toString('utf8') === expectSpec.outputRaw ? null : `expected raw ${expectSpec.outputRaw}`;
  return got.kind === 'json' ? mismatch(expectSpec.output, got.value) : 'expected JSON, got raw';
}

describe('rules corpus', () => {
  test('has 60+ cases covering every function and the refusals', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    const text = corpus.map((c) => c.sql.toLowerCase()).join('\n');
    for (const fn of ['productid(', 'devicename(', 'timestamp(', 'topic(', 'payloadlen(', 'requestid(', 'bin_to_dec(', 'to_hex(', 'abs(', 'upper(', 'lower(', 'random(', 'randint(', 'crypto(', 'concat(']) {
      expect(text, fn).toContain(fn);
    }
    expect(corpus.filter((c) => 'error' in c.expect).length).toBeGreaterThanOrEqual(10);
  });

  test.each(corpus.map((c) => [c.id, c] as const))('reference evaluator: %s', (_id, c) => {
    const k = instantiate(c, names);
    const sqlText = c.sqlBase64 !== undefined ? null : k.sql;
    const parsed = sqlText === null ? { error: 'not base64' } : parseRule(sqlText);
    const got: RuleResult | 'error' = 'error' in parsed ? 'error' : topicMatches(parsed.filter, k.topic) ? runRule(parsed, message(k.topic, k.payload)) : null;
    expect(judge(k.expect, got), c.title).toBeNull();
  });

  test.each(corpus.map((c) => [c.id, c] as const))('hub evaluator: %s', (_id, c) => {
    const k = instantiate(c, names);
    let got: RuleResult | 'error';
    try {
      const sql = decodeSql(k.sqlBase64);
      got = filterMatches(sql.filter, k.topic.split('/')) ? evaluate(sql, message(k.topic, k.payload)) : null;
    } catch {
      got = 'error';
    }
    expect(judge(k.expect, got), c.title).toBeNull();
  });
});

describe('hub SQL compiler', () => {
  test('errors name the problem', () => {
    expect(() => compileSql("SELECT a FROM 'p/#/x'")).toThrow(/# is allowed only as the last level/);
    expect(() => compileSql("SELECT a FROM 'p/d/e' WHERE a LIKE 'x'")).toThrow(/operator LIKE/);
    expect(() => compileSql("SELECT nope(a) FROM 'p/d/e'")).toThrow(/unknown function nope/);
    expect(() => compileSql('SELECT a')).toThrow(RuleSqlError);
  });
  test('a FROM inside a string or a sub-select is not taken for the clause', () => {
    const c = compileSql("SELECT 'from x' AS f FROM 'p/d/e'");
    expect(c.filter).toEqual(['p', 'd', 'e']);
  });
  test('+ is one level unless the fault is on', () => {
    expect(filterMatches(['p', '+'], ['p', 'd', 'e'])).toBe(false);
    expect(filterMatches(['p', '+'], ['p', 'd', 'e'], true)).toBe(true);
    expect(filterMatches(['+', '+', '+', '+'], ['$state', 'report', 'p', 'd'])).toBe(false);
  });
});

test('forward token: vector C3 (protocol.md §10.7), harness and hub', () => {
  const expected = 'c259ed29ec13ba7c649fe0893007401a36e70453';
  expect(forwardSignature('aaa', '1604458421', 'IkOaKMDalrAzUTxC')).toBe(expected);
  expect(hubSignature('aaa', '1604458421', 'IkOaKMDalrAzUTxC')).toBe(expected);
});
