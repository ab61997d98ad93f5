// Evaluates a compiled rule against one message: WHERE, then the field list (semantics in hub/README.md, "Rules engine").

import { createHash } from 'node:crypto';
import type { BinaryOp, CompiledSql, Expr, Json } from './sql.js';

/** What a rule sees of one message (a device PUBLISH or a $state/report event). */
export interface RuleInput {
  topic: string;
  payload: Buffer;
  productId: string;
  deviceName: string;
  nowMs: number;
  requestId: string;
}

/** The result of a rule on a message: a JSON object, the raw payload (SELECT * of a non-JSON message), or nothing. */
export type RuleOutput = { kind: 'json'; value: Record<string, Json> } | { kind: 'raw'; value: Buffer };

type Val = Json | undefined; // undefined: missing

/** A JSON object payload, or undefined for anything else (binary, invalid JSON, arrays, scalars). */
export function jsonObject(payload: Buffer): Record<string, Json> | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8')) as Json;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function evaluate(sql: CompiledSql, input: RuleInput, opts: { ignoreWhere?: boolean } = {}): RuleOutput | null {
  const doc = jsonObject(input.payload);
  if (doc === undefined) return sql.passThrough ? { kind: 'raw', value: input.payload } : null; // §10.1: non-JSON dropped
  const ev = new Evaluator(doc, input);
  if (sql.where && !opts.ignoreWhere && ev.run(sql.where) !== true) return null;
  const out: Record<string, Json> = {};
  for (const c of sql.columns) {
    if (c.star) Object.assign(out, doc);
    else {
      const v = ev.run(c.expr);
      if (v !== undefined) out[c.key] = v;
    }
  }
  return { kind: 'json', value: out };
}

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

function num(v: Val): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** SQL comparison: missing or null operands make every comparison false; numbers meet numeric strings numerically. */
function compare(op: BinaryOp, a: Val, b: Val): boolean {
  if (a === undefined || b === undefined || a === null || b === null) return false;
  let x: number | string | boolean;
  let y: number | string | boolean;
  if (typeof a === 'number' || typeof b === 'number') {
    const na = num(a);
    const nb = num(b);
    if (na === undefined || nb === undefined) return op === '<>';
    x = na;
    y = nb;
  } else if (typeof a === 'string' && typeof b === 'string') {
    x = a;
    y = b;
  } else if (typeof a === 'boolean' && typeof b === 'boolean') {
    if (op === '=') return a === b;
    if (op === '<>') return a !== b;
    return false;
  } else {
    return op === '<>';
  }
  switch (op) {
    case '=': return x === y;
    case '<>': return x !== y;
    case '<': return x < y;
    case '<=': return x <= y;
    case '>': return x > y;
    case '>=': return x >= y;
    default: return false;
  }
}

function text(v: Val): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

class Evaluator {
  constructor(private readonly doc: Record<string, Json>, private readonly input: RuleInput) {}

  run(e: Expr): Val {
    switch (e.k) {
      case 'lit':
        return e.v;
      case 'field': {
        let cur: Val = this.doc;
        for (const key of e.path) {
          if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
          cur = (cur as Record<string, Json>)[key];
        }
        return cur;
      }
      case 'neg': {
        const n = num(this.run(e.e));
        return n === undefined ? undefined : -n;
      }
      case 'bin':
        return this.binary(e.op, e.l, e.r);
      case 'in': {
        const v = this.run(e.e);
        return e.list.some((item) => compare('=', v, this.run(item)));
      }
      case 'case': {
        const subject = e.subject ? this.run(e.subject) : undefined;
        for (const w of e.whens) {
          const hit = e.subject ? compare('=', subject, this.run(w.when)) : this.run(w.when) === true;
          if (hit) return this.run(w.then);
        }
        return e.otherwise ? this.run(e.otherwise) : undefined;
      }
      case 'call':
        return this.call(e.name, e.args);
    }
  }

  private binary(op: BinaryOp, l: Expr, r: Expr): Val {
    if (op === 'AND') return this.run(l) === true && this.run(r) === true;
    if (op === 'OR') return this.run(l) === true || this.run(r) === true;
    const a = this.run(l);
    const b = this.run(r);
    if (op === '=' || op === '<>' || op === '<' || op === '<=' || op === '>' || op === '>=') return compare(op, a, b);
    const x = num(a);
    const y = num(b);
    if (x === undefined || y === undefined) return undefined;
    switch (op) {
      case '+': return finite(x + y);
      case '-': return finite(x - y);
      case '*': return finite(x * y);
      case '/': return y === 0 ? undefined : finite(x / y);
      case '%': return y === 0 ? undefined : finite(x % y);
    }
  }

  private call(name: string, args: Expr[]): Val {
    const v = args.map((a) => this.run(a));
    const input = this.input;
    switch (name) {
      case 'productid': return input.productId;
      case 'devicename': return input.deviceName;
      case 'timestamp': return Math.floor(input.nowMs / 1000);
      case 'payloadlen': return input.payload.length;
      case 'requestid': return input.requestId;
      case 'topic': {
        if (v.length === 0) return input.topic;
        const n = num(v[0]);
        if (n === undefined || !Number.isInteger(n) || n < 1) return undefined;
        return input.topic.split('/')[n - 1];
      }
      case 'random': return Math.random();
      case 'randint': {
        const lo = num(v[0]);
        const hi = num(v[1]);
        if (lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) return undefined;
        return lo + Math.floor(Math.random() * (hi - lo + 1));
      }
      case 'abs': {
        const n = num(v[0]);
        return n === undefined ? undefined : Math.abs(n);
      }
      case 'upper': return typeof v[0] === 'string' ? v[0].toUpperCase() : undefined;
      case 'lower': return typeof v[0] === 'string' ? v[0].toLowerCase() : undefined;
      case 'concat': {
        const parts = v.map(text);
        return parts.every((p) => p !== undefined) ? parts.join('') : undefined;
      }
      case 'to_hex': {
        const x = v[0];
        if (typeof x === 'number') return Number.isSafeInteger(x) && x >= 0 ? x.toString(16) : undefined;
        if (typeof x === 'string') return Buffer.from(x, 'utf8').toString('hex');
        return undefined;
      }
      case 'bin_to_dec': {
        const x = v[0];
        return typeof x === 'string' && /^[01]{1,53}$/.test(x) ? parseInt(x, 2) : undefined;
      }
      case 'crypto': {
        const t = text(v[0]);
        const alg = String(v[1]).toLowerCase();
        return t === undefined ? undefined : createHash(alg).update(t, 'utf8').digest('hex');
      }
      default:
        return undefined;
    }
  }
}
