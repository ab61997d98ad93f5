// The hub's shadow document operations against the harness's model: merge with null deletion, versions, delta, limits.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  applyUpdate, computeDelta, depth, emptyDoc, getPayload, hasNullInArray, sectionProblem, updatePayload, type Section,
} from '../../hub/services/shadow/document.js';
import { jsonEqual, ShadowModel, type Attrs } from '../../suites/support/shadow-model.js';

describe('shadow document', () => {
  test('an update merges objects, replaces arrays, deletes nulls and raises the version', () => {
    let doc = emptyDoc(1_000);
    doc = applyUpdate(doc, { reported: { a: 1, o: { x: 1, y: 2 }, l: [1, 2] } }, 2_000).doc;
    const r = applyUpdate(doc, { reported: { a: null, o: { y: null, z: 3 }, l: [9] } }, 3_000);
    expect(r.doc.state.reported).toEqual({ o: { x: 1, z: 3 }, l: [9] });
    expect(r.doc.version).toBe(2);
    expect(Object.keys(r.doc.metadata.reported!).sort()).toEqual(['l', 'o']);
    expect(r.touchedMeta.reported).toEqual({ a: { timestamp: 3_000 }, o: { timestamp: 3_000 }, l: { timestamp: 3_000 } });
  });

  test('desired: null clears desired and reports a metadata entry per cleared attribute', () => {
    let doc = applyUpdate(emptyDoc(0), { desired: { t: 25, f: 'on' } }, 1_000).doc;
    const r = applyUpdate(doc, { desired: null }, 2_000);
    doc = r.doc;
    expect(doc.state.desired).toBeUndefined();
    expect(Object.keys(r.touchedMeta.desired!).sort()).toEqual(['f', 't']);
    expect(updatePayload({ desired: null }, r.touchedMeta, doc, 's')).toMatchObject({ state: { desired: null }, version: 2, timestamp: 2 });
  });

  test('the delta holds desired attributes that differ from reported, and none once they agree', () => {
    let doc = applyUpdate(emptyDoc(0), { reported: { t: 27, c: 'red', o: { a: 1 } } }, 1_000).doc;
    doc = applyUpdate(doc, { desired: { t: 25, c: 'red', o: { a: 1 } } }, 2_000).doc;
    expect(computeDelta(doc)?.state).toEqual({ t: 25 });
    expect(getPayload(doc, 's')).toMatchObject({ state: { delta: { t: 25 } }, metadata: { delta: { t: { timestamp: 2 } } } });
    doc = applyUpdate(doc, { reported: { t: 25 } }, 3_000).doc;
    expect(computeDelta(doc)).toBeUndefined();
    expect((getPayload(doc, 'ms').state as Section).delta).toBeUndefined();
  });

  test('depth counts the section object as level 1; nulls in arrays are found at any depth', () => {
    expect(depth({ a: { b: { c: { d: 1 } } } })).toBe(4);
    expect(sectionProblem('reported', { a: { b: { c: { d: { e: 1 } } } } })).toBeUndefined();
    expect(sectionProblem('reported', { a: { b: { c: { d: { e: { f: 1 } } } } } })).toMatch(/nests 6 levels/);
    expect(hasNullInArray({ a: [1, [2, null]] })).toBe(true);
    expect(sectionProblem('desired', { a: [1, null] })).toMatch(/null element/);
    expect(sectionProblem('desired', [1] as never)).toMatch(/must be an object/);
  });

  test('random update sequences agree with the harness model (state, version, delta)', () => {
    const leaf = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('on', 'off'), fc.constant(null), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }), fc.record({ x: fc.integer({ min: 0, max: 2 }) }));
    const patch = fc.option(fc.dictionary(fc.constantFrom('a', 'b', 'c'), leaf, { maxKeys: 3 }), { freq: 8 });
    const steps = fc.array(fc.tuple(fc.constantFrom('reported' as const, 'desired' as const), patch), { maxLength: 12 });
    fc.assert(fc.property(steps, (list) => {
      let doc = emptyDoc(0);
      const model = new ShadowModel();
      for (const [i, [section, p]] of list.entries()) {
        doc = applyUpdate(doc, { [section]: p as Section | null }, i * 1000).doc;
        model.update(section, p as Attrs | null);
      }
      expect(doc.version).toBe(model.version);
      expect(jsonEqual(doc.state.reported ?? {}, model.reported)).toBe(true);
      expect(jsonEqual(doc.state.desired ?? {}, model.desired)).toBe(true);
      expect(jsonEqual(computeDelta(doc)?.state ?? {}, model.delta() ?? {})).toBe(true);
    }), { numRuns: 300 });
  });
});
