// Typed, strict readers for cloud API parameters: a missing field is MissingParameter, a wrong one InvalidParameterValue naming it.

import { AsyncLocalStorage } from 'node:async_hooks';
import { PAGE_LIMIT_MAX, PAGE_LIMIT_MIN } from '../limits.js';
import { ApiError, invalid, missing } from './errors.js';

export type Params = Record<string, unknown>;

/**
 * Set while a signature v1 request (GET query or form body) is served: its values are all strings, so an integer
 * parameter arrives as decimal text (protocol.md §9.1); JSON requests keep strict types.
 */
export const formRequest = new AsyncLocalStorage<boolean>();

/** `A.B.0.C=x` pairs as nested objects and arrays (protocol.md §9.1: lists `Name.N`, 0-based; objects with dots). */
export function unflatten(pairs: Readonly<Record<string, string>>): Params {
  const root: Params = {};
  for (const [key, value] of Object.entries(pairs)) {
    const path = key.split('.');
    if (path.some((part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype')) {
      throw new ApiError('InvalidParameter', `the parameter name ${JSON.stringify(key)} is not a valid flattened name`);
    }
    let node: Record<string, unknown> = root;
    for (let i = 0; i < path.length - 1; i++) {
      const part = path[i]!;
      const nextIsIndex = /^\d+$/.test(path[i + 1]!);
      const existing = node[part];
      if (existing === undefined) node[part] = nextIsIndex ? [] : {};
      else if (typeof existing !== 'object' || existing === null || Array.isArray(existing) !== nextIsIndex) {
        throw new ApiError('InvalidParameter', `the parameter ${path.slice(0, i + 1).join('.')} is given both as a value and as a ${nextIsIndex ? 'list' : 'structure'}`);
      }
      node = node[part] as Record<string, unknown>;
    }
    const last = path[path.length - 1]!;
    if (node[last] !== undefined) throw new ApiError('InvalidParameter', `the parameter ${key} is given twice`);
    node[last] = value;
  }
  // lists must be dense: Name.0, Name.1, ... with no gap
  const check = (v: unknown, at: string): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) throw new ApiError('InvalidParameter', `the list ${at} has no element ${at}.${i}`);
        check(v[i], `${at}.${i}`);
      }
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) check(x, at ? `${at}.${k}` : k);
    }
  };
  check(root, '');
  return root;
}

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
  const n = typeof v === 'string' && formRequest.getStore() === true && /^-?\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw invalid(name, expected, v);
  if (rule.min !== undefined && n < rule.min) throw invalid(name, expected, v);
  if (rule.max !== undefined && n > rule.max) throw invalid(name, expected, v);
  if (rule.oneOf && !rule.oneOf.includes(n)) throw invalid(name, expected, v);
  return n;
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
