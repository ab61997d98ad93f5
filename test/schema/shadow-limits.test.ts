/** The shadow depth (schema and shadowDepth agree) and the 16 KB size check. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { SHADOW_MAX_BYTES, SHADOW_MAX_DEPTH, checkShadowSize, shadowDepth, validatePayload } from '../../src/schema/index.js';

/** A reported section whose nesting follows `kinds` below the section object: depth = kinds.length + 1. */
function nested(kinds: ('obj' | 'arr')[], leaf: string | number | boolean): Record<string, unknown> {
  let value: unknown = leaf;
  for (const kind of [...kinds].reverse()) value = kind === 'obj' ? { k: value } : [value];
  return { attr: value };
}

const update = (reported: unknown) => ({ type: 'update', state: { reported }, clientToken: 'P-1' });
const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean());
const kinds = (min: number, max: number) => fc.array(fc.constantFrom<'obj' | 'arr'>('obj', 'arr'), { minLength: min, maxLength: max });

describe('shadowDepth', () => {
  it('counts container levels', () => {
    expect(shadowDepth(1)).toBe(0);
    expect(shadowDepth(null)).toBe(0);
    expect(shadowDepth({})).toBe(1);
    expect(shadowDepth({ a: 1 })).toBe(1);
    expect(shadowDepth({ a: { b: [1] } })).toBe(3);
    expect(shadowDepth([[], [[{}]]])).toBe(4);
  });

  it('matches the constructed depth', () => {
    fc.assert(fc.property(kinds(0, 10), leaf, (k, l) => shadowDepth(nested(k, l)) === k.length + 1));
  });
});

describe('shadow depth limit in the schema', () => {
  it(`accepts sections up to ${SHADOW_MAX_DEPTH} levels and refuses deeper ones, exactly where shadowDepth says`, () => {
    fc.assert(fc.property(kinds(0, 9), leaf, (k, l) => {
      const reported = nested(k, l);
      const ok = validatePayload('shadow.schema.json#/$defs/updateRequest', update(reported), 'test').ok;
      expect(ok).toBe(shadowDepth(reported) <= SHADOW_MAX_DEPTH);
    }));
  });

  it('applies to the hub side too (delta, document)', () => {
    const deep = nested(['obj', 'obj', 'obj', 'obj', 'obj'], 1);
    const delta = { type: 'delta', timestamp: 1, payload: { state: deep, metadata: {}, version: 1, timestamp: 1 } };
    expect(validatePayload('shadow.schema.json#/$defs/delta', delta, 'test').ok).toBe(false);
    const doc = { state: { desired: deep }, metadata: {}, version: 1 };
    expect(validatePayload('shadow.schema.json#/$defs/document', doc, 'test').ok).toBe(false);
  });

  it('refuses null array elements but accepts null attributes (deletion)', () => {
    expect(validatePayload('shadow.schema.json#/$defs/updateRequest', update({ a: [1, null] }), 'test').ok).toBe(false);
    expect(validatePayload('shadow.schema.json#/$defs/updateRequest', update({ a: null }), 'test').ok).toBe(true);
    expect(validatePayload('shadow.schema.json#/$defs/deleteRequest', update({ a: null, b: 1 }), 'test').ok).toBe(true);
    expect(validatePayload('shadow.schema.json#/$defs/deleteRequest', update({ a: 1 }), 'test').ok).toBe(false);
    const clearDesired = { type: 'update', state: { desired: null }, clientToken: 'P-2' };
    expect(validatePayload('shadow.schema.json#/$defs/deleteRequest', clearDesired, 'test').ok).toBe(true);
  });
});

describe('checkShadowSize', () => {
  it('passes 16 KB and refuses one byte more, counting UTF-8 bytes', () => {
    expect(SHADOW_MAX_BYTES).toBe(16384);
    const at = (n: number) => JSON.stringify({ s: 'x'.repeat(n - 8) });
    expect(at(16384).length).toBe(16384);
    expect(checkShadowSize(at(16384))).toEqual({ ok: true, bytes: 16384 });
    const over = checkShadowSize(at(16385));
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.message).toMatch(/16385 bytes, over the 16384-byte limit/);
    expect(checkShadowSize({ s: 'é' }).bytes).toBe(Buffer.byteLength('{"s":"é"}'));
  });
});
