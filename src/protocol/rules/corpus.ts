/** Loads the rules golden corpus (specs/vectors/rules-corpus.json), checks it against its schema, and judges outputs against it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { JsonValue } from './model.js';

export type CorpusExpect = { output: Record<string, JsonValue> } | { outputRaw: string } | { none: true } | { error: string };

export interface CorpusCase {
  id: string;
  title: string;
  requirements: string[];
  sql: string;
  sqlBase64?: string;
  topic?: string;
  payload?: JsonValue;
  payloadText?: string;
  expect: CorpusExpect;
}

export interface Names { pid: string; src: string }

const dir = new URL('../../../specs/vectors/', import.meta.url);

/** The corpus, schema-checked; a malformed file throws naming the case and the path. */
export function loadCorpus(): CorpusCase[] {
  const data = JSON.parse(readFileSync(fileURLToPath(new URL('rules-corpus.json', dir)), 'utf8')) as { cases: CorpusCase[] };
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('rules-corpus.schema.json', dir)), 'utf8')) as object;
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);
  if (!validate(data)) {
    throw new Error(`specs/vectors/rules-corpus.json does not match its schema: ${(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ')}`);
  }
  const ids = new Set<string>();
  for (const c of data.cases) {
    if (ids.has(c.id)) throw new Error(`specs/vectors/rules-corpus.json: case id ${c.id} appears twice`);
    ids.add(c.id);
  }
  return data.cases;
}

const fill = (s: string, n: Names): string => s.replaceAll('{pid}', n.pid).replaceAll('{src}', n.src);

/** The case with the suite's names filled in: statement, topic, payload bytes and expectation. */
export function instantiate(c: CorpusCase, n: Names): { sql: string; sqlBase64: string; topic: string; payload: Buffer; expect: CorpusExpect } {
  const sql = fill(c.sql, n);
  const payload = c.payloadText !== undefined ? Buffer.from(c.payloadText, 'utf8') : Buffer.from(JSON.stringify(c.payload ?? {}));
  const fillDeep = (v: JsonValue): JsonValue =>
    typeof v === 'string' ? fill(v, n) : Array.isArray(v) ? v.map(fillDeep) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillDeep(x)])) : v;
  const expect = 'output' in c.expect ? { output: fillDeep(c.expect.output) as Record<string, JsonValue> } : c.expect;
  return { sql, sqlBase64: c.sqlBase64 ?? Buffer.from(sql, 'utf8').toString('base64'), topic: fill(c.topic ?? '{pid}/{src}/event', n), payload, expect };
}

/** Deep equality where an expected {"$type": "string" | "integer" | "number"} matches any value of that type. Returns a mismatch path or null. */
export function mismatch(expected: JsonValue, actual: unknown, path = '$'): string | null {
  if (expected && typeof expected === 'object' && !Array.isArray(expected) && Object.keys(expected).length === 1 && typeof expected.$type === 'string') {
    const t = expected.$type;
    const ok = t === 'string' ? typeof actual === 'string' : t === 'integer' ? Number.isInteger(actual) : t === 'number' ? typeof actual === 'number' : false;
    return ok ? null : `${path}: expected any ${t}, got ${JSON.stringify(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(expected[i]!, actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    const a = actual as Record<string, unknown>;
    const keys = new Set([...Object.keys(expected), ...Object.keys(a)]);
    for (const k of keys) {
      if (!(k in expected)) return `${path}.${k}: unexpected key (value ${JSON.stringify(a[k])})`;
      if (!(k in a)) return `${path}.${k}: missing (expected ${JSON.stringify(expected[k])})`;
      const m = mismatch(expected[k]!, a[k], `${path}.${k}`);
      if (m) return m;
    }
    return null;
  }
  return Object.is(expected, actual) || expected === actual ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
