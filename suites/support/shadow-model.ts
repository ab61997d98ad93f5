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

/** One section patch: objects merge member by member, null removes, other values (arrays too) replace (§3.1, §3.2). */
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
