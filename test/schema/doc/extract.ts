/** Finds the JSON examples in protocol.md (§2.6–§9 and Appendix A) and the seed notes, each keyed by document, heading and ordinal. */
import { exampleRequestToJson, parseAppendix } from './appendix.js';

export type DocName = 'protocol' | 'seed';

export interface Candidate {
  doc: DocName;
  /** The heading the example sits under (without #), or `Appendix A <Action>` for the official API examples. */
  heading: string;
  /** Position among the JSON examples under the same heading, from 0 (Appendix A: 0 request, 1 response). */
  ordinal: number;
  kind: 'fenced' | 'inline' | 'api-request' | 'api-response';
  /** The example as the document writes it. */
  text: string;
  value: unknown;
}

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try { return { ok: true, value: JSON.parse(text) as unknown }; } catch { return { ok: false }; }
}

/** Drops `// comment` lines (the seed annotates its JSON that way). */
function stripComments(text: string): string {
  return text.split('\n').filter((l) => !l.trim().startsWith('//')).join('\n');
}

/** The body of a raw `POST ...` request block: from its first line that opens a JSON object. */
function httpBody(text: string): string | undefined {
  if (!/^\s*POST /.test(text)) return undefined;
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim().startsWith('{'));
  return at < 0 ? undefined : lines.slice(at).join('\n').trim();
}

/**
 * JSON examples of a Markdown text between two headings: fenced blocks that parse (after dropping `//` lines,
 * or the body of a raw POST), and inline `{...}` code spans that parse. `headingLevels` says which headings group them.
 */
export function markdownCandidates(doc: DocName, text: string, headingLevels: number): Candidate[] {
  const out: Candidate[] = [];
  const counts = new Map<string, number>();
  const push = (heading: string, kind: Candidate['kind'], raw: string, value: unknown) => {
    const ordinal = counts.get(heading) ?? 0;
    counts.set(heading, ordinal + 1);
    out.push({ doc, heading, ordinal, kind, text: raw, value });
  };
  const headingRe = new RegExp(`^#{1,${headingLevels}} (.*)$`);
  let heading = '';
  let fence: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('```')) {
      if (fence === undefined) { fence = []; continue; }
      const raw = fence.join('\n');
      fence = undefined;
      const body = httpBody(raw) ?? stripComments(raw).trim();
      if (!body.startsWith('{') && !body.startsWith('[')) continue;
      const parsed = parse(body);
      if (parsed.ok) push(heading, 'fenced', raw, parsed.value);
      continue;
    }
    if (fence !== undefined) { fence.push(line); continue; }
    const h = headingRe.exec(line);
    if (h) { heading = (h[1] ?? '').trim(); continue; }
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      const raw = (m[1] ?? '').trim();
      if (!raw.startsWith('{')) continue;
      const parsed = parse(raw);
      if (parsed.ok) push(heading, 'inline', raw, parsed.value);
    }
  }
  return out;
}

/** protocol.md §2.6 up to (not including) §10, grouped by its `###`/`##` headings. */
export function protocolSectionCandidates(doc: string): Candidate[] {
  const start = doc.indexOf('\n### 2.6 ');
  const end = doc.indexOf('\n## 10. ');
  if (start < 0 || end < 0) throw new Error('protocol.md: §2.6 or §10 heading not found');
  return markdownCandidates('protocol', doc.slice(start, end), 3);
}

/** Appendix A's official examples: the request (URL or POST body, turned into JSON) and the response of each action. */
export function appendixCandidates(doc: string): Candidate[] {
  const app = parseAppendix(doc);
  const out: Candidate[] = [];
  for (const action of app.actions.values()) {
    const heading = `Appendix A ${action.name}`;
    if (action.requestExample !== undefined) {
      out.push({ doc: 'protocol', heading, ordinal: 0, kind: 'api-request', text: action.requestExample, value: exampleRequestToJson(app, action, action.requestExample) });
    }
    if (action.responseExample !== undefined) {
      out.push({ doc: 'protocol', heading, ordinal: 1, kind: 'api-response', text: action.responseExample, value: JSON.parse(action.responseExample) as unknown });
    }
  }
  return out;
}

/** Every example hubcheck tracks: protocol.md §2.6–§9, Appendix A, and the seed notes. */
export function allCandidates(protocol: string, seed: string | undefined): Candidate[] {
  return [
    ...protocolSectionCandidates(protocol),
    ...appendixCandidates(protocol),
    ...(seed === undefined ? [] : markdownCandidates('seed', seed, 6)),
  ];
}

export function candidateKey(c: { doc: DocName; heading: string; ordinal: number }): string {
  return `${c.doc} | ${c.heading} | #${c.ordinal}`;
}
