/** Mutated valid payloads are refused: a required field dropped, a field given the wrong type, an unknown field in a closed message. */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { validatePayload } from '../../src/schema/index.js';
import { MAPPED_EXAMPLES } from './example-map.js';
import { readCatalogue } from './examples/catalogue.js';

type Json = Record<string, unknown>;
const files = new Map<string, Json>();
const file = (name: string): Json => {
  let s = files.get(name);
  if (!s) { s = JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')) as Json; files.set(name, s); }
  return s;
};

/** The schema a `file#/$defs/name` (or `$id#/$defs/name`, or local `#/$defs/name`) reference points at. */
function resolve(ref: string, from: string): { schema: Json; file: string } {
  const [target, pointer] = ref.replace('https://hubcheck.dev/schemas/', '').split('#');
  const f = target || from;
  const name = (pointer ?? '').replace('/$defs/', '');
  return { schema: ((file(f).$defs as Json)[name] ?? file(f)) as Json, file: f };
}

/** Walks schema and value together through $ref, allOf and properties, calling visit for each object schema met. */
function walk(schema: Json, f: string, value: unknown, path: string[], visit: (s: Json, v: Json, p: string[]) => void): void {
  if (typeof schema.$ref === 'string') { const r = resolve(schema.$ref, f); walk(r.schema, r.file, value, path, visit); }
  for (const sub of (schema.allOf as Json[] | undefined) ?? []) walk(sub, f, value, path, visit);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  visit(schema, value as Json, path);
  for (const [k, sub] of Object.entries((schema.properties as Json | undefined) ?? {})) {
    if (k in (value as Json)) walk(sub as Json, f, (value as Json)[k], [...path, k], visit);
  }
}

const catalogue = new Map(readCatalogue().map((e) => [e.id, e.value]));
const validExamples = MAPPED_EXAMPLES.filter((m) => !m.deviation).map((m) => ({ id: m.id, ref: m.ref, value: catalogue.get(m.id) }));

interface Site { id: string; ref: string; value: unknown; path: string[]; key: string; known: string[] }

function sites(kind: 'required' | 'closed'): Site[] {
  const out: Site[] = [];
  for (const ex of validExamples) {
    const root = resolve(ex.ref, '');
    walk(root.schema, root.file, ex.value, [], (s, v, p) => {
      const known = Object.keys((s.properties as Json | undefined) ?? {});
      if (kind === 'required') for (const key of (s.required as string[] | undefined) ?? []) { if (key in v) out.push({ ...ex, path: p, key, known }); }
      else if (s.additionalProperties === false) out.push({ ...ex, path: p, key: '', known });
    });
  }
  return out;
}

function mutate(value: unknown, path: string[], change: (o: Json) => void): unknown {
  const copy = structuredClone(value) as Json;
  let node = copy;
  for (const seg of path) node = node[seg] as Json;
  change(node);
  return copy;
}

const pointer = (path: string[]) => (path.length ? `/${path.join('/')}` : '');
const requiredSites = sites('required');
const closedSites = sites('closed');

describe('mutations of documented examples', () => {
  it('found plenty of places to mutate', () => {
    expect(requiredSites.length).toBeGreaterThan(150);
    expect(closedSites.length).toBeGreaterThan(80);
  });

  it('dropping a required field is refused, naming the field', () => {
    fc.assert(fc.property(fc.constantFrom(...requiredSites), (site) => {
      const payload = mutate(site.value, site.path, (o) => { delete o[site.key]; });
      const r = validatePayload(site.ref, payload, `mutation of ${site.id}`);
      expect(r.ok, `${site.id}: dropped ${pointer(site.path)}/${site.key}`).toBe(false);
      if (!r.ok) expect(r.text).toContain(`missing required property "${site.key}"`);
    }), { numRuns: 300 });
  });

  it('an unknown field in a closed (hub-sent) message is refused', () => {
    const key = fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,11}$/);
    fc.assert(fc.property(fc.constantFrom(...closedSites), key, fc.jsonValue(), (site, k, v) => {
      fc.pre(!site.known.includes(k));
      const payload = mutate(site.value, site.path, (o) => { o[k] = v; });
      const r = validatePayload(site.ref, payload, `mutation of ${site.id}`);
      expect(r.ok, `${site.id}: added ${pointer(site.path)}/${k}`).toBe(false);
      if (!r.ok) expect(r.errors).toContainEqual({ path: pointer(site.path), message: `has unexpected property "${k}"` });
    }), { numRuns: 300 });
  });
});

/** Values of any JSON type except those in `not`. */
function otherType(...not: ('string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null')[]): fc.Arbitrary<unknown> {
  const all: [string, fc.Arbitrary<unknown>][] = [
    ['string', fc.string()], ['integer', fc.integer()], ['number', fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d))],
    ['boolean', fc.boolean()], ['object', fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer(), { maxKeys: 2 })],
    ['array', fc.array(fc.integer(), { maxLength: 2 })], ['null', fc.constant(null)],
  ];
  return fc.oneof(...all.filter(([t]) => !not.includes(t as never)).map(([, a]) => a));
}

/** Fields whose type the protocol pins down, each with values of the wrong type. */
const WRONG_TYPES: { id: string; path: string[]; values: fc.Arbitrary<unknown>; note: string }[] = [
  { id: 'ota-downloading', path: ['report', 'progress', 'percent'], values: fc.integer({ min: 0, max: 100 }), note: 'OTA percent is a string, not a number' },
  { id: 'ota-downloading', path: ['report', 'progress', 'result_code'], values: fc.constant(0), note: 'OTA result_code is the string "0"' },
  { id: 'ota-fail', path: ['report', 'progress', 'result_code'], values: fc.integer({ min: -5, max: -1 }), note: 'fail codes are strings "-1".."-5"' },
  { id: 'ota-report-version-rsp', path: ['result_code'], values: fc.constantFrom('0', '1'), note: 'report_version_rsp result_code is a number' },
  { id: 'ota-report-version', path: ['report', 'version'], values: otherType('string'), note: 'versions are strings' },
  { id: 'shadow-update-request', path: ['version'], values: otherType('integer'), note: 'shadow version is an integer' },
  { id: 'shadow-get-reply', path: ['result'], values: fc.oneof(otherType('integer'), fc.integer().filter((n) => n !== 0)), note: 'a get reply has result 0 exactly' },
  { id: 'shadow-delta', path: ['payload', 'version'], values: otherType('integer'), note: 'delta version is an integer' },
  { id: 'shadow-get-request', path: ['clientToken'], values: otherType('string'), note: 'clientToken is a string' },
  { id: 'log-get-level-reply', path: ['log_level'], values: fc.constantFrom('0', '1', '2', '3', '4'), note: 'log_level is a number' },
  { id: 'ntp-reply', path: ['ntptime1'], values: otherType('integer'), note: 'ntptime1 is integer milliseconds' },
  { id: 'config-get', path: ['type'], values: otherType('string'), note: 'type is a string' },
  { id: 'seed-gateway-publish-body', path: ['Qos'], values: fc.constantFrom('0', '1'), note: 'Qos is an integer' },
  { id: 'log-reportlog-body', path: ['Message'], values: fc.string(), note: 'Message is an array of strings' },
  { id: 'api-PublishBroadcastMessage-response', path: ['Response', 'TaskId'], values: otherType('integer'), note: 'TaskId is an int' },
  { id: 'api-DescribeProducts-response', path: ['Response', 'Products', '0', 'ProductProperties', 'EncryptionType'], values: fc.integer({ min: 1, max: 2 }), note: 'EncryptionType is a string' },
  { id: 'api-DescribeDevice-request', path: ['ProductID'], values: otherType('string'), note: 'ProductID is a string' },
  { id: 'api-DescribeDevices-response', path: ['Response', 'Devices', '0', 'Online'], values: otherType('integer'), note: 'Online is an int' },
  { id: 'api-PublishRRPCMessage-response', path: ['Response', 'MessageId'], values: otherType('integer'), note: 'MessageId is an int' },
];

describe('wrong types are refused', () => {
  for (const w of WRONG_TYPES) {
    it(`${w.id} ${pointer(w.path)}: ${w.note}`, () => {
      const m = MAPPED_EXAMPLES.find((x) => x.id === w.id);
      expect(m && !m.deviation).toBe(true);
      const value = catalogue.get(w.id);
      expect(validatePayload(m!.ref, value, 'original').ok).toBe(true);
      fc.assert(fc.property(w.values, (bad) => {
        const payload = mutate(value, w.path.slice(0, -1), (o) => { o[w.path.at(-1)!] = bad; });
        const r = validatePayload(m!.ref, payload, `mutation of ${w.id}`);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.errors.some((e) => e.path.startsWith(pointer(w.path)))).toBe(true);
      }), { numRuns: 50 });
    });
  }
});
