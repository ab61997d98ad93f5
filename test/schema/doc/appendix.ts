/** Parses protocol.md Appendix A (actions) and Appendix B (data types) into tables, and turns an official example request into JSON. */

export interface ParamRow { name: string; type: string; required: boolean; nullable: boolean; description: string }
export interface ActionSpec { name: string; request: ParamRow[]; response: ParamRow[]; requestExample?: string; responseExample?: string }
export interface TypeSpec { name: string; usage: 'in' | 'out' | 'both'; fields: ParamRow[] }
export interface Appendix { actions: Map<string, ActionSpec>; types: Map<string, TypeSpec> }

const NULLABLE = /可能返回 null/;

/** Rows of the first Markdown table in `text` (header and separator dropped). */
function firstTable(text: string): string[][] {
  const rows: string[][] = [];
  let started = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('|')) {
      started = true;
      const cells = line.split('|').slice(1, -1).map((c) => c.trim());
      if (!/^-+$/.test(cells[0] ?? '')) rows.push(cells);
    } else if (started) break;
  }
  return rows.slice(1);
}

function fences(text: string): { lang: string; body: string }[] {
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] ?? '', body: m[2] ?? '' }));
}

/** Appendix A and B of protocol.md; throws if either is missing. */
export function parseAppendix(doc: string): Appendix {
  const a = doc.indexOf('\n# Appendix A');
  const b = doc.indexOf('\n# Appendix B');
  if (a < 0 || b < 0) throw new Error('protocol.md: Appendix A or B not found');
  const actions = new Map<string, ActionSpec>();
  for (const part of doc.slice(a, b).split('\n## ').slice(1)) {
    const name = part.split(/\s/)[0] ?? '';
    const reqAt = part.indexOf('\nRequest:');
    const resAt = part.indexOf('\nResponse:');
    const errAt = part.indexOf('\nError codes');
    const request = reqAt >= 0 ? firstTable(part.slice(reqAt, resAt)).map(paramRow) : [];
    const response = firstTable(part.slice(resAt, errAt >= 0 ? errAt : undefined)).map((r) =>
      ({ name: r[0] ?? '', type: r[1] ?? '', required: true, nullable: NULLABLE.test(r[2] ?? ''), description: r[2] ?? '' }));
    const blocks = fences(part.slice(part.indexOf('\nExample')));
    actions.set(name, {
      name, request, response,
      requestExample: blocks.find((x) => x.lang !== 'json')?.body,
      responseExample: blocks.find((x) => x.lang === 'json')?.body,
    });
  }
  const types = new Map<string, TypeSpec>();
  for (const part of doc.slice(b).split('\n### ').slice(1)) {
    const name = part.split(/\s/)[0] ?? '';
    const usage = /\(usage: (in|out|both)\)/.exec(part)?.[1] as TypeSpec['usage'] | undefined;
    types.set(name, { name, usage: usage ?? 'both', fields: firstTable(part).map(paramRow) });
  }
  return { actions, types };
}

function paramRow(r: string[]): ParamRow {
  return { name: r[0] ?? '', type: r[1] ?? '', required: r[2] === 'Y', nullable: NULLABLE.test(r[3] ?? ''), description: r[3] ?? '' };
}

/** Field type of `path` (dotted, list indexes as numbers) in an action's request, or undefined if not documented. */
function typeAt(app: Appendix, rows: ParamRow[], path: string[]): string | undefined {
  const [head, ...rest] = path;
  const row = rows.find((r) => r.name === head);
  if (!row) return undefined;
  let type = row.type;
  for (let i = 0; i < rest.length; i++) {
    const seg = rest[i] ?? '';
    const list = /^list<(.+)>$/.exec(type);
    if (list && /^\d+$/.test(seg)) { type = list[1] ?? ''; continue; }
    const obj = app.types.get(type);
    const field = obj?.fields.find((f) => f.name === seg);
    if (!field) return undefined;
    type = field.type;
  }
  return type;
}

/**
 * The JSON body an official request example stands for: a GET URL with one `&Name=value` per line
 * (flattened `A.B.0.C` keys, values typed by the request table) or a POST whose body is already JSON.
 */
export function exampleRequestToJson(app: Appendix, action: ActionSpec, example: string): Record<string, unknown> {
  const brace = example.indexOf('{');
  if (example.startsWith('POST') && brace >= 0) return JSON.parse(example.slice(brace)) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const raw of example.split('\n')) {
    const line = raw.trim().replace(/^https?:\/\/[^?]*\?/, '').replace(/^&/, '');
    if (!line || line.startsWith('<') || line.startsWith('Action=')) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const text = line.slice(eq + 1);
    const path = key.split('.');
    const type = typeAt(app, action.request, path);
    const value: unknown = type === 'int' ? Number(text) : type === 'bool' ? text === 'true' : text;
    let node: Record<string, unknown> | unknown[] = out;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = /^\d+$/.test(path[i + 1] ?? '');
      const k: string | number = Array.isArray(node) ? Number(seg) : seg;
      const container = node as Record<string | number, unknown>;
      if (last) container[k] = value;
      else {
        container[k] ??= nextIsIndex ? [] : {};
        node = container[k] as Record<string, unknown> | unknown[];
      }
    });
  }
  return out;
}
