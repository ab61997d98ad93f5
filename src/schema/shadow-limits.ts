/** Shadow limits JSON Schema can state only partly: nesting depth (measured here too) and the 16 KB document size (only here). */

/** Maximum nesting of a reported/desired section, the section object itself counting as level 1 (protocol.md §3.1, §11). */
export const SHADOW_MAX_DEPTH = 5;
/** Maximum size of a shadow document in bytes of UTF-8 JSON (protocol.md §11: 16 KB, superseding the older 8 KB). */
export const SHADOW_MAX_BYTES = 16 * 1024;

/** Nesting depth of a JSON value: 0 for a scalar, 1 for an object or array holding only scalars, and so on. */
export function shadowDepth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const child of Array.isArray(value) ? value : Object.values(value)) deepest = Math.max(deepest, shadowDepth(child));
  return deepest + 1;
}

/** Size in bytes of the JSON text: the exact text when given a string, else its compact serialisation. */
export function shadowBytes(document: unknown): number {
  const text = typeof document === 'string' ? document : JSON.stringify(document) ?? '';
  return Buffer.byteLength(text, 'utf8');
}

export type SizeCheck = { ok: true; bytes: number } | { ok: false; bytes: number; message: string };

/** Whether a shadow document (or its JSON text) fits the 16 KB limit. */
export function checkShadowSize(document: unknown, limit = SHADOW_MAX_BYTES): SizeCheck {
  const bytes = shadowBytes(document);
  return bytes <= limit ? { ok: true, bytes } : { ok: false, bytes, message: `shadow document is ${bytes} bytes, over the ${limit}-byte limit` };
}
