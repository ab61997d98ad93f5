// Typed, strict readers for cloud API parameters: a missing field is MissingParameter, a wrong one InvalidParameterValue naming it.

import { PAGE_LIMIT_MAX, PAGE_LIMIT_MIN } from '../limits.js';
import { ApiError, invalid, missing } from './errors.js';

export type Params = Record<string, unknown>;

/** Any parameter not declared for the action is refused, with a hint for a near miss such as ProductId/ProductID. */
export function checkKnown(action: string, params: Params, known: readonly string[]): void {
  for (const name of Object.keys(params)) {
    if (known.includes(name)) continue;
    const near = known.find((k) => k.toLowerCase() === name.toLowerCase());
    throw new ApiError(
      'UnknownParameter',
      `${action} has no parameter ${name}` + (near ? ` (did you mean ${near}?)` : `; it takes ${known.join(', ')}`),
    );
  }
}

interface StringRule {
  pattern?: RegExp;
  expected?: string;
  maxLength?: number;
}

export function optString(p: Params, name: string, rule: StringRule = {}): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  const expected = rule.expected ?? 'a string';
  if (typeof v !== 'string') throw invalid(name, expected, v);
  if (rule.maxLength !== undefined && v.length > rule.maxLength) throw invalid(name, expected, v);
  if (rule.pattern && !rule.pattern.test(v)) throw invalid(name, expected, v);
  return v;
}

export function reqString(p: Params, name: string, rule: StringRule = {}): string {
  const v = optString(p, name, rule);
  if (v === undefined) throw missing(name);
  return v;
}

interface IntRule {
  min?: number;
  max?: number;
  oneOf?: readonly number[];
  expected?: string;
}

export function optInt(p: Params, name: string, rule: IntRule = {}): number | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  const expected =
    rule.expected ??
    (rule.oneOf
      ? `one of ${rule.oneOf.join(', ')}`
      : `an integer${rule.min !== undefined ? ` from ${rule.min}` : ''}${rule.max !== undefined ? ` to ${rule.max}` : ''}`);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(name, expected, v);
  if (rule.min !== undefined && v < rule.min) throw invalid(name, expected, v);
  if (rule.max !== undefined && v > rule.max) throw invalid(name, expected, v);
  if (rule.oneOf && !rule.oneOf.includes(v)) throw invalid(name, expected, v);
  return v;
}

export function reqInt(p: Params, name: string, rule: IntRule = {}): number {
  const v = optInt(p, name, rule);
  if (v === undefined) throw missing(name);
  return v;
}

export function reqStringArray(p: Params, name: string, item: StringRule & { expected: string }): string[] {
  const v = p[name];
  if (v === undefined || v === null) throw missing(name);
  if (!Array.isArray(v) || v.length === 0) throw invalid(name, `a non-empty array of ${item.expected}`, v);
  return v.map((x, i) => {
    if (typeof x !== 'string' || (item.pattern && !item.pattern.test(x))) throw invalid(`${name}.${i}`, item.expected, x);
    return x;
  });
}

export function optObject(p: Params, name: string): Params | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(name, 'an object', v);
  return v as Params;
}

/** Name rules shared by several actions (protocol.md Appendix A). */
/** Product IDs are only looked up (an unknown one is ResourceNotFound.ProductNotExist), so any short string is accepted. */
export const PRODUCT_ID = { pattern: /^.{1,64}$/su, expected: 'a product ID (1–64 characters)' };
export const PRODUCT_NAME = { pattern: /^[a-zA-Z0-9:_-]{1,32}$/, expected: '1–32 characters of [a-zA-Z0-9:_-]' };
export const DEVICE_NAME = { pattern: /^[a-zA-Z0-9:_-]{1,48}$/, expected: '1–48 characters of [a-zA-Z0-9:_-]' };
export const PAGE = { offset: { min: 0 }, limit: { min: PAGE_LIMIT_MIN, max: PAGE_LIMIT_MAX } };
