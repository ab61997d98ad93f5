/**
 * The harness's own reading of the rules dialect (protocol.md §10.2): parse a statement, match its FROM filter, evaluate it on a
 * message. Pure and independent of hub/ — it walks node-sql-parser's tree itself. The semantics where the docs are silent
 * (missing fields, coercion, output keys) are the ones written in hub/README.md "Rules engine".
 */
import { createHash } from 'node:crypto';
import sqlParser from 'node-sql-parser';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface RuleMessage {
  topic: string;
  payload: Buffer;
  productId: string;
  deviceName: string;
  nowMs: number;
  requestId: string;
}

export type RuleResult = { kind: 'json'; value: Record<string, JsonValue> } | { kind: 'raw'; value: Buffer } | null;

export interface ParsedRule {
  filter: string;
  fieldList: string;
  ast: any;
}

const NONE = Symbol('missing');
type V = JsonValue | typeof NONE;

const PLACEHOLDER = 'hubcheck_topic_table';
const parser = new sqlParser.Parser();
const FN_ARITY: Record<string, [number, number]> = {
  productid: [0, 0], devicename: [0, 0], timestamp: [0, 0], topic: [0, 1], payloadlen: [0, 0], requestid: [0, 0], random: [0, 0],
  randint: [2, 2], abs: [1, 1], upper: [1, 1], lower: [1, 1], concat: [2, 16], to_hex: [1, 1], bin_to_dec: [1, 1], crypto: [2, 2],
};
const ALGS = new Set(['MD5', 'SHA1', 'SHA256', 'SHA384', 'SHA512']);
const OPS = new Set(['=', '<>', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', 'AND', 'OR', 'IN']);

/** Finds the top-level FROM and the topic after it, by walking characters (quotes and parentheses tracked). */
function locateFrom(sql: string): { start: number; end: number; filter: string } | undefined {
  let quote = '';
  let depth = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql.charAt(i);
    if (quote) {
      if (ch === '\\') i += 1;
      else if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    else if (depth === 0 && i > 0 && sql.slice(i, i + 4).toUpperCase() === 'FROM' && /\s/.test(sql.charAt(i - 1)) && /\s/.test(sql.charAt(i + 4))) {
      let j = i + 4;
      while (/\s/.test(sql.charAt(j))) j += 1;
      const q = sql.charAt(j);
      if (q === "'" || q === '"') {
        const close = sql.indexOf(q, j + 1);
        return close < 0 ? undefined : { start: i, end: close + 1, filter: sql.slice(j + 1, close) };
      }
      let k = j;
      while (k < sql.length && !/\s/.test(sql.charAt(k))) k += 1;
      return { start: i, end: k, filter: sql.slice(j, k) };
    }
  }
  return undefined;
}

function filterProblem(filter: string): string | undefined {
  if (!filter || /\s/.test(filter)) return 'empty or blank topic filter';
  const parts = filter.split('/');
  for (const [i, p] of parts.entries()) {
    if (!p) return 'empty level';
    if (p === '#') { if (i < parts.length - 1) return '# not last'; continue; }
    if (p !== '+' && (p.includes('+') || p.includes('#'))) return 'wildcard inside a level';
  }
  return undefined;
}

/** A column's key path (BigQuery grammar: table, column, subFields), or undefined for an [index] or anything unusual. */
function keyPath(n: any): string[] | undefined {
  const col = n.column;
  const name = typeof col === 'string' ? col : col && Array.isArray(col.offset) && col.offset.length === 0 && ['default', 'backticks_quote_string'].includes(col.expr?.type) ? col.expr.value : undefined;
  if (typeof name !== 'string') return undefined;
  const parts = [n.table, name, ...(n.subFields ?? [])].filter((x) => x !== null && x !== undefined && x !== '');
  return parts.every((x) => typeof x === 'string') ? parts : undefined;
}

const fnName = (n: any): string => String(n.name?.name?.[0]?.value ?? n.name?.schema?.value ?? n.name).toLowerCase();

/** Every node the dialect allows; anything else makes the statement invalid. */
function checkNode(n: any): string | undefined {
  if (!n || typeof n !== 'object') return 'bad node';
  if (n.ast) return 'sub-select';
  switch (n.type) {
    case 'number': case 'bigint': case 'single_quote_string': case 'double_quote_string': case 'string': case 'bool': case 'null': return undefined;
    case 'column_ref': return n.column === '*' ? 'star inside expression' : keyPath(n) ? undefined : 'array index or odd column';
    case 'unary_expr': return n.operator === '-' ? checkNode(n.expr) : `unary ${n.operator}`;
    case 'binary_expr': {
      const op = String(n.operator).toUpperCase();
      if (!OPS.has(op)) return `operator ${op}`;
      if (op === 'IN') return n.right?.type === 'expr_list' ? [n.left, ...n.right.value].map(checkNode).find(Boolean) : 'IN without list';
      return checkNode(n.left) ?? checkNode(n.right);
    }
    case 'case': {
      if (!n.args.some((a: any) => a.type === 'when')) return 'CASE without WHEN';
      return [n.expr, ...n.args.flatMap((a: any) => [a.cond, a.result])].filter((x) => x).map(checkNode).find(Boolean);
    }
    case 'function': {
      const name = fnName(n);
      const arity = FN_ARITY[name];
      const args = n.args?.value ?? [];
      if (!arity) return `function ${name}`;
      if (args.length < arity[0] || args.length > arity[1]) return `arity of ${name}`;
      if (name === 'crypto') {
        const a = args[1];
        if (!a || !/^(single_quote_string|double_quote_string|string)$/.test(a.type) || !ALGS.has(String(a.value).toUpperCase())) return 'crypto algorithm';
      }
      return args.map(checkNode).find(Boolean);
    }
    default: return `node ${n.type}`;
  }
}

/** Parses a statement, or says why it is not in the dialect. */
export function parseRule(sql: string): ParsedRule | { error: string } {
  if (!/^\s*select\s/i.test(sql)) return { error: 'not a SELECT' };
  const from = locateFrom(sql);
  if (!from) return { error: 'no FROM' };
  const fieldList = sql.slice(sql.search(/select/i) + 6, from.start).trim();
  if (!fieldList) return { error: 'empty field list' };
  if (fieldList.length > 300) return { error: 'field list over 300 characters' };
  const bad = filterProblem(from.filter);
  if (bad) return { error: bad };
  let ast: any;
  try {
    ast = parser.astify(`${sql.slice(0, from.start)} FROM ${PLACEHOLDER}${sql.slice(from.end)}`, { database: 'BigQuery' });
  } catch {
    return { error: 'syntax' };
  }
  if (Array.isArray(ast)) { if (ast.length !== 1) return { error: 'several statements' }; ast = ast[0]; }
  if (ast.type !== 'select' || ast.with || ast.distinct || ast.groupby || ast.having || ast.qualify || ast.orderby || ast.window || (ast.limit?.value?.length ?? 0) > 0 || ast.into?.position) return { error: 'clause outside the dialect' };
  if (ast.from?.length !== 1 || ast.from[0].table !== PLACEHOLDER || ast.from[0].as) return { error: 'FROM' };
  for (const c of ast.columns) {
    if (c.expr?.type === 'column_ref' && c.expr.column === '*') { if (c.expr.table || c.as) return { error: 'qualified or aliased *' }; continue; }
    const why = checkNode(c.expr);
    if (why) return { error: why };
  }
  if (ast.where) { const why = checkNode(ast.where); if (why) return { error: why }; }
  return { filter: from.filter, fieldList, ast };
}

/** MQTT filter matching; a leading wildcard does not reach `$` topics. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (t[0]!.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

function unquote(raw: string, q: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw.charAt(++i);
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n;
    } else if (c === q && raw.charAt(i + 1) === q) {
      out += q;
      i++;
    } else out += c;
  }
  return out;
}

function asNumber(v: V): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

function cmp(op: string, a: V, b: V): boolean {
  if (a === NONE || b === NONE || a === null || b === null) return false;
  const order = (x: number | string, y: number | string): boolean =>
    op === '=' ? x === y : op === '<>' ? x !== y : op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = asNumber(a);
    const y = asNumber(b);
    return x === undefined || y === undefined ? op === '<>' : order(x, y);
  }
  if (typeof a === 'string' && typeof b === 'string') return order(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return op === '=' ? a === b : op === '<>' ? a !== b : false;
  return op === '<>';
}

function str(v: V): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function evalNode(n: any, doc: Record<string, JsonValue>, m: RuleMessage): V {
  switch (n.type) {
    case 'number': case 'bigint': return Number(n.value);
    case 'single_quote_string': return unquote(String(n.value), "'");
    case 'double_quote_string': case 'string': return unquote(String(n.value), '"');
    case 'bool': return Boolean(n.value);
    case 'null': return null;
    case 'column_ref': {
      let cur: JsonValue = doc;
      for (const key of keyPath(n)!) {
        if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return NONE;
        cur = cur[key]!;
      }
      return cur;
    }
    case 'unary_expr': { const x = asNumber(evalNode(n.expr, doc, m)); return x === undefined ? NONE : -x; }
    case 'case': {
      const subject = n.expr ? evalNode(n.expr, doc, m) : NONE;
      for (const a of n.args) {
        if (a.type === 'else') return evalNode(a.result, doc, m);
        const hit = n.expr ? cmp('=', subject, evalNode(a.cond, doc, m)) : evalNode(a.cond, doc, m) === true;
        if (hit) return evalNode(a.result, doc, m);
      }
      return NONE;
    }
    case 'binary_expr': {
      const op = String(n.operator).toUpperCase();
      if (op === 'AND') return evalNode(n.left, doc, m) === true && evalNode(n.right, doc, m) === true;
      if (op === 'OR') return evalNode(n.left, doc, m) === true || evalNode(n.right, doc, m) === true;
      const a = evalNode(n.left, doc, m);
      if (op === 'IN') return n.right.value.some((x: any) => cmp('=', a, evalNode(x, doc, m)));
      const b = evalNode(n.right, doc, m);
      if (['=', '<>', '<', '<=', '>', '>='].includes(op)) return cmp(op, a, b);
      const x = asNumber(a);
      const y = asNumber(b);
      if (x === undefined || y === undefined || ((op === '/' || op === '%') && y === 0)) return NONE;
      const r = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
      return Number.isFinite(r) ? r : NONE;
    }
    case 'function': {
      const name = fnName(n);
      const args: V[] = (n.args?.value ?? []).map((a: any) => evalNode(a, doc, m));
      return FNS[name]!(args, m);
    }
  }
  return NONE;
}

const FNS: Record<string, (a: V[], m: RuleMessage) => V> = {
  productid: (_a, m) => m.productId,
  devicename: (_a, m) => m.deviceName,
  timestamp: (_a, m) => Math.floor(m.nowMs / 1000),
  payloadlen: (_a, m) => m.payload.length,
  requestid: (_a, m) => m.requestId,
  topic: (a, m) => {
    if (a.length === 0) return m.topic;
    const i = asNumber(a[0]!);
    const level = i !== undefined && Number.isInteger(i) && i >= 1 ? m.topic.split('/')[i - 1] : undefined;
    return level ?? NONE;
  },
  random: () => Math.random(),
  randint: (a) => {
    const [lo, hi] = [asNumber(a[0]!), asNumber(a[1]!)];
    if (lo === undefined || hi === undefined || !Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) return NONE;
    return lo + Math.floor(Math.random() * (hi - lo + 1));
  },
  abs: (a) => { const x = asNumber(a[0]!); return x === undefined ? NONE : Math.abs(x); },
  upper: (a) => (typeof a[0] === 'string' ? a[0].toUpperCase() : NONE),
  lower: (a) => (typeof a[0] === 'string' ? a[0].toLowerCase() : NONE),
  concat: (a) => { const s = a.map(str); return s.includes(undefined) ? NONE : s.join(''); },
  to_hex: (a) => {
    const x = a[0];
    if (typeof x === 'string') return Buffer.from(x).toString('hex');
    return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x.toString(16) : NONE;
  },
  bin_to_dec: (a) => (typeof a[0] === 'string' && /^[01]+$/.test(a[0]) && a[0].length <= 53 ? parseInt(a[0], 2) : NONE),
  crypto: (a) => { const s = str(a[0]!); return s === undefined ? NONE : createHash(String(a[1]).toLowerCase()).update(Buffer.from(s)).digest('hex'); },
};

/** Runs a parsed rule on a message whose topic its filter matches: the output, or null when the rule does not fire. */
export function runRule(rule: ParsedRule, m: RuleMessage): RuleResult {
  let doc: unknown;
  try { doc = JSON.parse(m.payload.toString('utf8')); } catch { doc = undefined; }
  const cols: any[] = rule.ast.columns;
  const onlyStar = cols.length === 1 && cols[0].expr?.column === '*' && cols[0].expr.type === 'column_ref';
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return onlyStar && !rule.ast.where ? { kind: 'raw', value: m.payload } : null;
  const obj = doc as Record<string, JsonValue>;
  if (rule.ast.where && evalNode(rule.ast.where, obj, m) !== true) return null;
  const out: Record<string, JsonValue> = {};
  cols.forEach((c, i) => {
    if (c.expr.type === 'column_ref' && c.expr.column === '*') { Object.assign(out, obj); return; }
    const v = evalNode(c.expr, obj, m);
    const alias = typeof c.as === 'string' ? c.as : c.as?.value;
    const key = alias ?? (c.expr.type === 'column_ref' ? keyPath(c.expr)!.at(-1)! : `_${i + 1}`);
    if (v !== NONE) out[key] = v;
  });
  return { kind: 'json', value: out };
}

/** Forward token (protocol.md §10.7, vector C3): lowercase hex SHA-1 of sort([token, timestamp, nonce]).join(''). */
export function forwardSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}
