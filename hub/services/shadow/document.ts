// The shadow document and its pure operations: merge an update (null deletes), compute the delta, check depth, size and arrays.

/** A JSON object as parsed from a device or the API. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Section = { [k: string]: Json };
/** Per top-level attribute: the time (ms) it was last written. */
export type MetaSection = { [k: string]: { timestamp: number } };

/** The stored document; all times in milliseconds (MQTT shows seconds, the API milliseconds: SHADOW-020). */
export interface ShadowDoc {
  state: { reported?: Section; desired?: Section };
  metadata: { reported?: MetaSection; desired?: MetaSection };
  version: number;
  timestamp: number;
}

/** What an update touches: a section object to merge, or null to clear the section. */
export interface ShadowUpdate {
  reported?: Section | null;
  desired?: Section | null;
}

/**
 * Deliberate mistakes the fault switches turn on (hub/faults.ts: shadow-delta-by-reference, shadow-delta-key-order,
 * shadow-shallow-merge, shadow-nested-null-kept); a correct hub passes none.
 */
export interface DocFaults {
  /** The delta compares desired and reported values with === (equal arrays and objects differ). */
  deltaByReference?: boolean;
  /** The delta compares values by their JSON text (equal objects with another key order differ). */
  deltaKeyOrder?: boolean;
  /** An object in an update replaces the stored object whole instead of merging member by member. */
  shallowMerge?: boolean;
  /** A null below the top level is stored as null instead of deleting that member. */
  nestedNullKept?: boolean;
}

/** Nesting of a section: the section object counts as level 1 (state.reported{a{b{c{d{x:1}}}}} is 5). */
export const MAX_DEPTH = 5;
/** Maximum stored document size in bytes of JSON (protocol.md §11, newer limit; the older 8 KB is the API's error text). */
export const MAX_BYTES = 16 * 1024;

export function emptyDoc(now: number): ShadowDoc {
  return { state: {}, metadata: {}, version: 0, timestamp: now };
}

export function isObject(v: unknown): v is Section {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Depth of a JSON value: 0 for a scalar, 1 for an object or array of scalars. */
export function depth(v: Json | undefined): number {
  if (v === null || typeof v !== 'object') return 0;
  let deepest = 0;
  for (const child of Array.isArray(v) ? v : Object.values(v)) deepest = Math.max(deepest, depth(child));
  return deepest + 1;
}

/** True when some array anywhere in v holds a null (not allowed: protocol.md §3.1, SHADOW-015). */
export function hasNullInArray(v: Json | undefined): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => x === null || hasNullInArray(x));
  return Object.values(v).some(hasNullInArray);
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a as Section);
  const kb = Object.keys(b as Section);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Section)[k], (b as Section)[k]));
}

/**
 * Merges `patch` into `base` at every depth: objects merge member by member, null deletes the member it names
 * (at any depth), anything else (arrays included) replaces (SHADOW-009, SHADOW-015, SHADOW-027).
 */
export function mergeSection(base: Section, patch: Section, f: DocFaults = {}, top = true): Section {
  const out: Section = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null && (top || !f.nestedNullKept)) delete out[k];
    else if (isObject(v) && isObject(out[k]) && !f.shallowMerge) out[k] = mergeSection(out[k] as Section, v, f, false);
    else out[k] = f.nestedNullKept ? v : stripNulls(v);
  }
  return out;
}

/** A new value written where nothing was: nulls inside it mean "absent". */
function stripNulls(v: Json): Json {
  if (!isObject(v)) return v;
  const out: Section = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
  return out;
}

/** Applies an update at time `now`; returns the new document (version + 1) and the reply's touched metadata. */
export function applyUpdate(doc: ShadowDoc, update: ShadowUpdate, now: number, f: DocFaults = {}): { doc: ShadowDoc; touchedMeta: ShadowDoc['metadata'] } {
  const next: ShadowDoc = { state: { ...doc.state }, metadata: { ...doc.metadata }, version: doc.version + 1, timestamp: now };
  const touchedMeta: ShadowDoc['metadata'] = {};
  for (const section of ['reported', 'desired'] as const) {
    if (!(section in update)) continue;
    const patch = update[section];
    const meta: MetaSection = {};
    if (patch === null || patch === undefined) {
      // "desired": null clears the section; the reply has a metadata entry per cleared attribute (S-SHADOWFLOW example)
      for (const k of Object.keys(doc.state[section] ?? {})) meta[k] = { timestamp: now };
      delete next.state[section];
      delete next.metadata[section];
    } else {
      const merged = mergeSection(doc.state[section] ?? {}, patch, f);
      const nextMeta: MetaSection = { ...(doc.metadata[section] ?? {}) };
      for (const k of Object.keys(patch)) {
        meta[k] = { timestamp: now };
        if (k in merged) nextMeta[k] = { timestamp: now };
        else delete nextMeta[k];
      }
      if (Object.keys(merged).length) {
        next.state[section] = merged;
        next.metadata[section] = nextMeta;
      } else {
        delete next.state[section];
        delete next.metadata[section];
      }
    }
    touchedMeta[section] = meta;
  }
  return { doc: next, touchedMeta };
}

/**
 * Desired attributes (top level) whose value differs from reported (SHADOW-012: differing ones only, compared as JSON
 * values: arrays element by element, objects member by member whatever their key order); a differing object is sent whole.
 */
export function computeDelta(doc: ShadowDoc, f: DocFaults = {}): { state: Section; metadata: MetaSection } | undefined {
  const desired = doc.state.desired;
  if (!desired) return undefined;
  const reported = doc.state.reported ?? {};
  const state: Section = {};
  const metadata: MetaSection = {};
  for (const [k, v] of Object.entries(desired)) {
    const same = f.deltaByReference ? v === reported[k] : f.deltaKeyOrder ? JSON.stringify(v) === JSON.stringify(reported[k]) : deepEqual(v, reported[k]);
    if (same) continue;
    state[k] = v;
    metadata[k] = doc.metadata.desired?.[k] ?? { timestamp: doc.timestamp };
  }
  return Object.keys(state).length ? { state, metadata } : undefined;
}

/** Size in bytes of the stored document's JSON. */
export function docBytes(doc: ShadowDoc): number {
  return Buffer.byteLength(JSON.stringify(doc), 'utf8');
}

/** Converts every metadata timestamp with `f` (ms → s for MQTT). */
export function mapMeta(meta: ShadowDoc['metadata'] | { [section: string]: MetaSection | undefined }, f: (ms: number) => number): Record<string, MetaSection> {
  const out: Record<string, MetaSection> = {};
  for (const [section, entries] of Object.entries(meta)) {
    if (!entries) continue;
    out[section] = {};
    for (const [k, m] of Object.entries(entries)) out[section]![k] = { timestamp: f(m.timestamp) };
  }
  return out;
}

export type ViewUnit = 'ms' | 's';
const conv = (unit: ViewUnit) => (unit === 's' ? (ms: number) => Math.floor(ms / 1000) : (ms: number) => ms);

/** The document as a get reply's payload: state and metadata plus delta when desired differs from reported. */
export function getPayload(doc: ShadowDoc, unit: ViewUnit, faults: DocFaults = {}): Record<string, Json> {
  const f = conv(unit);
  const state: Section = { ...(doc.state as Section) };
  const metadata: Record<string, MetaSection> = mapMeta(doc.metadata, f);
  const delta = computeDelta(doc, faults);
  if (delta) {
    state.delta = delta.state;
    metadata.delta = mapMeta({ delta: delta.metadata }, f).delta!;
  }
  return { state, metadata: metadata as unknown as Json, version: doc.version, timestamp: f(doc.timestamp) };
}

/** The whole stored document (the 5005 reply's payload): no delta. */
export function fullPayload(doc: ShadowDoc, unit: ViewUnit): Record<string, Json> {
  const f = conv(unit);
  return { state: doc.state as Section, metadata: mapMeta(doc.metadata, f) as unknown as Json, version: doc.version, timestamp: f(doc.timestamp) };
}

/** A successful update reply's payload: only what the update touched (nulls echoed), its metadata and the new version. */
export function updatePayload(update: ShadowUpdate, touchedMeta: ShadowDoc['metadata'], doc: ShadowDoc, unit: ViewUnit): Record<string, Json> {
  const f = conv(unit);
  return { state: update as unknown as Json, metadata: mapMeta(touchedMeta, f) as unknown as Json, version: doc.version, timestamp: f(doc.timestamp) };
}

/** Why a section may not be stored, or undefined when it may. */
export function sectionProblem(name: string, v: Json | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return `${name} must be an object or null`;
  if (hasNullInArray(v)) return `${name} holds an array with a null element; arrays must not contain null`;
  if (depth(v) > MAX_DEPTH) return `${name} nests ${depth(v)} levels; at most ${MAX_DEPTH} are allowed`;
  return undefined;
}
