// Compiles a rule's SQL (protocol.md §10.2) into a small expression tree: node-sql-parser parses, this file checks the dialect.

import sqlParser from 'node-sql-parser';
import { parseFilter } from './topic.js';

/** The SELECT field list is at most 300 characters (protocol.md §10.2, §11 S-RULE-PROC). */
export const MAX_FIELD_LIST_CHARS = 300;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '=' | '<>' | '<' | '<=' | '>' | '>=' | 'AND' | 'OR';

export type Expr =
  | { k: 'lit'; v: Json }
  | { k: 'field'; path: string[] }
  | { k: 'neg'; e: Expr }
  | { k: 'bin'; op: BinaryOp; l: Expr; r: Expr }
  | { k: 'in'; e: Expr; list: Expr[] }
  | { k: 'case'; subject: Expr | null; whens: { when: Expr; then: Expr }[]; otherwise: Expr | null }
  | { k: 'call'; name: FunctionName; args: Expr[] };

export type Column = { star: true } | { star: false; key: string; expr: Expr };

export interface CompiledSql {
  text: string;
  /** The FROM topic filter, split into levels. */
  filter: string[];
  columns: Column[];
  where: Expr | null;
  /** Exactly `SELECT *` with no WHERE: the only form that passes non-JSON payloads through (§10.1). */
  passThrough: boolean;
}

export class RuleSqlError extends Error {}

/** Function names (lower case) with their accepted argument counts (protocol.md §10.2, S-RULE-FUNC). */
export const FUNCTIONS = {
  productid: [0, 0], devicename: [0, 0], timestamp: [0, 0], topic: [0, 1], payloadlen: [0, 0], requestid: [0, 0],
  bin_to_dec: [1, 1], to_hex: [1, 1], abs: [1, 1], upper: [1, 1], lower: [1, 1], random: [0, 0], randint: [2, 2],
  crypto: [2, 2], concat: [2, 16],
} as const satisfies Record<string, readonly [number, number]>;
export type FunctionName = keyof typeof FUNCTIONS;
export const DIGESTS = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'] as const;

const BINARY: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '=', '<>', '<', '<=', '>', '>=', 'AND', 'OR']);
const TOPIC_TABLE = '__rule_topic__';
const parser = new sqlParser.Parser();

/**
 * The one pre-processing step before the SQL parser: the topic filter after the top-level FROM is
 * quoted (`FROM 'pid/+/event'`, the API form) or bare (`FROM pid/dev/event`, the console form),
 * neither of which is a table name to SQL, so it is cut out and replaced by a placeholder table.
 * Only the FROM clause is touched; quotes and parentheses are tracked so a `from` inside a string
 * or a sub-select is not taken for it.
 */
export function splitFrom(sql: string): { head: string; filter: string; tail: string; fieldList: string } {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /^from\s/i.test(sql.slice(i, i + 5)) && i > 0 && /\s/.test(sql[i - 1]!)) {
      let j = i + 4;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      let filter: string;
      let end: number;
      const open = sql[j];
      if (open === "'" || open === '"') {
        end = sql.indexOf(open, j + 1);
        if (end < 0) throw new RuleSqlError('the topic after FROM has no closing quote');
        filter = sql.slice(j + 1, end);
        end++;
      } else {
        end = j;
        while (end < sql.length && !/\s/.test(sql[end]!)) end++;
        filter = sql.slice(j, end);
      }
      const select = /^\s*select\s/i.exec(sql);
      return { head: sql.slice(0, i), filter, tail: sql.slice(end), fieldList: select ? sql.slice(select[0].length, i).trim() : '' };
    }
  }
  throw new RuleSqlError("the statement has no FROM '<topic filter>' clause");
}

/** Parses and checks a rule statement; every refusal is a RuleSqlError whose message names the problem. */
export function compileSql(text: string): CompiledSql {
  if (!/^\s*select\s/i.test(text)) throw new RuleSqlError('the statement must be SELECT <fields> FROM \'<topic filter>\' [WHERE <condition>]');
  const { head, filter, tail, fieldList } = splitFrom(text);
  if (!fieldList) throw new RuleSqlError('the field list between SELECT and FROM is empty');
  if (fieldList.length > MAX_FIELD_LIST_CHARS) throw new RuleSqlError(`the field list is ${fieldList.length} characters; at most ${MAX_FIELD_LIST_CHARS} are allowed`);
  const levels = parseFilter(filter);
  if (typeof levels === 'string') throw new RuleSqlError(`FROM '${filter}': ${levels}`);
  let ast: unknown;
  try {
    // BigQuery mode: AND binds tighter than OR (the MySQL grammar of node-sql-parser 5.4 parses them left to right),
    // "..." is a string literal as in the docs' examples, and dotted paths may be any depth.
    ast = parser.astify(`${head} FROM ${TOPIC_TABLE}${tail}`, { database: 'BigQuery' });
  } catch (err) {
    const found = /but (.+) found/.exec((err as Error).message);
    throw new RuleSqlError(`syntax error${found ? `: unexpected ${found[1]!.slice(0, 40)}` : ''}`);
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) throw new RuleSqlError('only one statement is allowed');
    ast = ast[0];
  }
  const s = ast as Record<string, any>;
  if (s.type !== 'select') throw new RuleSqlError('only SELECT statements are allowed');
  for (const clause of ['with', 'distinct', 'groupby', 'having', 'orderby', 'window'] as const) {
    if (s[clause]) throw new RuleSqlError(`${clause.toUpperCase()} is not part of the rules dialect`);
  }
  if (s.limit && (s.limit.value?.length ?? 1) > 0) throw new RuleSqlError('LIMIT is not part of the rules dialect');
  if (s.into?.position) throw new RuleSqlError('INTO is not part of the rules dialect');
  if (s.having || s.qualify) throw new RuleSqlError('HAVING is not part of the rules dialect');
  if (!Array.isArray(s.from) || s.from.length !== 1 || s.from[0].table !== TOPIC_TABLE || s.from[0].as || s.from[0].join) {
    throw new RuleSqlError("FROM takes exactly one quoted topic filter, e.g. FROM 'pid/+/event'");
  }
  const columns: Column[] = (s.columns as any[]).map((c, i) => column(c, i));
  const where = s.where ? expr(s.where) : null;
  const passThrough = columns.length === 1 && columns[0]!.star && where === null;
  return { text, filter: levels, columns, where, passThrough };
}

function column(c: any, index: number): Column {
  const e = c.expr;
  if (e?.type === 'column_ref' && e.column === '*') {
    if (e.table) throw new RuleSqlError(`${e.table}.* is not allowed; use * or name the fields`);
    if (c.as) throw new RuleSqlError('* cannot have an alias');
    return { star: true };
  }
  const compiled = expr(e);
  const alias = typeof c.as === 'string' ? c.as : c.as?.value;
  // Unaliased fields keep their last key (b.c → c); other expressions are named by position (_1, _2...): see hub/README.md.
  const key = alias ?? (compiled.k === 'field' ? compiled.path[compiled.path.length - 1]! : `_${index + 1}`);
  return { star: false, key, expr: compiled };
}

/** The key path of a column reference: table.column.subFields...; an [index] is refused (no JSON-array indexing, §10.2). */
function columnPath(n: any): string[] {
  const c = n.column;
  let name: unknown = c;
  if (c !== null && typeof c === 'object') {
    if (Array.isArray(c.offset) && c.offset.length > 0) throw new RuleSqlError('JSON array indexing ([n]) is not part of the rules dialect');
    name = c.expr?.type === 'default' || c.expr?.type === 'backticks_quote_string' ? c.expr.value : undefined;
  }
  if (typeof name !== 'string') throw new RuleSqlError('unsupported column reference');
  const sub: unknown[] = Array.isArray(n.subFields) ? n.subFields : [];
  const path = [n.table, name, ...sub];
  if (path.some((x) => x !== null && x !== undefined && typeof x !== 'string')) throw new RuleSqlError('unsupported column reference');
  return path.filter((x): x is string => typeof x === 'string' && x !== '');
}

/** Undoes SQL string escapes: a doubled quote and backslash escapes. */
export function unescapeSql(raw: string, quote: "'" | '"'): string {
  return raw.replace(/\\(.)|''|""/g, (m, ch: string | undefined) => {
    if (ch === undefined) return m[0] === quote ? quote : m;
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[ch] ?? ch;
  });
}

function expr(n: any): Expr {
  if (n === null || typeof n !== 'object') throw new RuleSqlError('unsupported expression');
  if (n.ast) throw new RuleSqlError('sub-SELECTs are not allowed');
  switch (n.type) {
    case 'number':
    case 'bigint': {
      const v = Number(n.value);
      if (!Number.isFinite(v)) throw new RuleSqlError(`bad number ${String(n.value)}`);
      return { k: 'lit', v };
    }
    case 'single_quote_string':
      return { k: 'lit', v: unescapeSql(String(n.value), "'") };
    case 'string': // BigQuery's name for "..."
    case 'double_quote_string':
      return { k: 'lit', v: unescapeSql(String(n.value), '"') };
    case 'bool':
      return { k: 'lit', v: Boolean(n.value) };
    case 'null':
      return { k: 'lit', v: null };
    case 'column_ref': {
      if (n.column === '*') throw new RuleSqlError('* is only allowed alone as a field');
      return { k: 'field', path: columnPath(n) };
    }
    case 'unary_expr':
      if (n.operator === '-') return { k: 'neg', e: expr(n.expr) };
      throw new RuleSqlError(`operator ${String(n.operator)} is not part of the rules dialect`);
    case 'binary_expr': {
      const op = String(n.operator).toUpperCase();
      if (op === 'IN') {
        if (n.right?.type !== 'expr_list' || !Array.isArray(n.right.value)) throw new RuleSqlError('IN takes a list of values, e.g. IN (1, 2)');
        return { k: 'in', e: expr(n.left), list: n.right.value.map(expr) };
      }
      if (!BINARY.has(op)) throw new RuleSqlError(`operator ${op} is not part of the rules dialect (=, <>, <, <=, >, >=, +, -, *, /, %, AND, OR, IN, CASE)`);
      return { k: 'bin', op: op as BinaryOp, l: expr(n.left), r: expr(n.right) };
    }
    case 'case': {
      const whens: { when: Expr; then: Expr }[] = [];
      let otherwise: Expr | null = null;
      for (const a of n.args as any[]) {
        if (a.type === 'when') whens.push({ when: expr(a.cond), then: expr(a.result) });
        else if (a.type === 'else') otherwise = expr(a.result);
      }
      if (whens.length === 0) throw new RuleSqlError('CASE needs at least one WHEN');
      return { k: 'case', subject: n.expr ? expr(n.expr) : null, whens, otherwise };
    }
    case 'function': {
      const raw = n.name?.name?.[0]?.value ?? n.name?.schema?.value ?? n.name;
      if (typeof raw !== 'string') throw new RuleSqlError('unsupported function call');
      const name = raw.toLowerCase();
      if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, name)) throw new RuleSqlError(`unknown function ${raw}(); the dialect has ${Object.keys(FUNCTIONS).join(', ')}`);
      const args = ((n.args?.value ?? []) as any[]).map(expr);
      const [min, max] = FUNCTIONS[name as FunctionName];
      if (args.length < min || args.length > max) throw new RuleSqlError(`${raw}() takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}`);
      if (name === 'crypto') {
        const alg = args[1]!;
        if (alg.k !== 'lit' || typeof alg.v !== 'string' || !(DIGESTS as readonly string[]).includes(alg.v.toLowerCase())) {
          throw new RuleSqlError('crypto(field, algorithm) takes "MD5", "SHA1", "SHA256", "SHA384" or "SHA512"');
        }
      }
      return { k: 'call', name: name as FunctionName, args };
    }
    default:
      throw new RuleSqlError(`${String(n.type)} expressions are not part of the rules dialect`);
  }
}
