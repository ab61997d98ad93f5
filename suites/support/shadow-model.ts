/**
 * The harness's own model of a shadow document (protocol.md §3): reported and desired sections, the version, and the
 * delta (desired attributes whose value differs from reported). Pure; the reference hub has a separate implementation.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type Attrs = Record<string, JsonValue>;

function isPlainObject(v: unknown): v is Attrs {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

/** One section patch: objects merge member by member at every depth, null removes at any depth, other values (arrays too) replace (§3.1, §3.2). */
export function patchAttrs(base: Attrs, patch: Attrs): Attrs {
  const out: Attrs = { ...base };
  for (const key of Object.keys(patch)) {
    const value = patch[key]!;
    if (value === null) {
      delete out[key];
      continue;
    }
    const old = out[key];
    out[key] = isPlainObject(value) ? patchAttrs(isPlainObject(old) ? old : {}, value) : value;
  }
  return out;
}

/** True when v holds an object without members anywhere (v itself included): what an update leaves then is not specified. */
export function hasEmptyObject(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasEmptyObject);
  if (!isPlainObject(v)) return false;
  const values = Object.values(v);
  return values.length === 0 || values.some(hasEmptyObject);
}

/** True when v holds a null anywhere (a stored shadow never does: null means "delete"). */
export function hasNull(v: unknown): boolean {
  if (v === null) return true;
  if (Array.isArray(v)) return v.some(hasNull);
  return isPlainObject(v) && Object.values(v).some(hasNull);
}

/** The patch that turns `from` into `to`: nulls for members `to` lacks (at every depth), `to`'s values elsewhere. */
export function patchTo(from: JsonValue | undefined, to: JsonValue): JsonValue {
  if (!isPlainObject(from) || !isPlainObject(to)) return to;
  const out: Attrs = {};
  for (const k of Object.keys(from)) if (!(k in to)) out[k] = null;
  for (const [k, v] of Object.entries(to)) out[k] = patchTo(from[k], v);
  return out;
}

/** The same JSON value with the keys of every object in reverse order. */
export function reverseKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (!isPlainObject(v)) return v;
  const out: Attrs = {};
  for (const k of Object.keys(v).reverse()) out[k] = reverseKeys(v[k]!);
  return out;
}

/**
 * Whether `got` is an acceptable delta value for desired value d over reported value r: d whole, or (both objects)
 * exactly the members of d that differ from r, each again whole or reduced the same way (the AWS form).
 */
function deltaValueOk(got: unknown, d: JsonValue, r: JsonValue | undefined): boolean {
  if (jsonEqual(got, d)) return true;
  if (!isPlainObject(got) || !isPlainObject(d) || !isPlainObject(r)) return false;
  const differing = Object.keys(d).filter((k) => !jsonEqual(d[k], r[k]));
  return jsonEqual(Object.keys(got).sort(), differing.sort()) && differing.every((k) => deltaValueOk(got[k], d[k]!, r[k]));
}

/**
 * Why `actual` (a delta's state) is not the delta of desired over reported, or undefined when it is (SHADOW-012): exactly
 * the desired properties whose value differs from reported (JSON equality, key order ignored); a differing object may
 * be sent whole or reduced to its differing members.
 */
export function deltaProblem(actual: unknown, desired: Attrs, reported: Attrs): string | undefined {
  const got = actual === undefined ? {} : actual;
  if (!isPlainObject(got)) return `the delta ${JSON.stringify(actual)} is not an object`;
  const show = (v: unknown) => JSON.stringify(v) ?? 'absent';
  for (const [k, v] of Object.entries(desired)) {
    if (jsonEqual(v, reported[k])) {
      if (k in got) return `"${k}" is in the delta (${show(got[k])}) although desired ${show(v)} equals reported ${show(reported[k])}`;
      continue;
    }
    if (!(k in got)) return `"${k}" is missing from the delta although desired ${show(v)} differs from reported ${show(reported[k])}`;
    if (!deltaValueOk(got[k], v, reported[k])) {
      return `"${k}" is ${show(got[k])} in the delta; expected desired's ${show(v)} or only its members that differ from reported ${show(reported[k])}`;
    }
  }
  for (const k of Object.keys(got)) if (!(k in desired)) return `"${k}" is in the delta but not in desired ${show(desired)}`;
  return undefined;
}

export class ShadowModel {
  reported: Attrs = {};
  desired: Attrs = {};
  version = 0;

  /** A successful update: the section is patched, or cleared by null; the version rises by one (SHADOW-004). */
  update(section: 'reported' | 'desired', patch: Attrs | null): void {
    this[section] = patch === null ? {} : patchAttrs(this[section], patch);
    this.version += 1;
  }

  /** Whether a device update with this version is applied (SHADOW-005, SHADOW-006). */
  accepts(version: number | undefined): boolean {
    return version === undefined || version === 0 || version === this.version;
  }

  /** Desired attributes whose value differs from reported (SHADOW-012); undefined when none. */
  delta(): Attrs | undefined {
    const out: Attrs = {};
    for (const [k, v] of Object.entries(this.desired)) if (!jsonEqual(v, this.reported[k])) out[k] = v;
    return Object.keys(out).length ? out : undefined;
  }

  /** The state a get must show: reported/desired only when non-empty, plus delta (SHADOW-001, SHADOW-013). */
  expectedState(): Attrs {
    const state: Attrs = {};
    if (Object.keys(this.reported).length) state.reported = this.reported;
    if (Object.keys(this.desired).length) state.desired = this.desired;
    const d = this.delta();
    if (d) state.delta = d;
    return state;
  }
}
