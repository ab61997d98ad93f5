/** Plain-text transcripts of tests (every failure, and the sampled passes that kept theirs) for a bundle's transcripts/ folder. */
import { createHash } from 'node:crypto';
import type { TestResult } from '../report/model.js';

export interface Transcript { path: string; text: string }

/** transcripts/<failed|passed>/<first ids>-<hash of the title>.txt: readable, unique, the same on every run. */
function fileName(t: TestResult): string {
  const ids = t.requirements.slice(0, 3).join('_') || 'no-id';
  const hash = createHash('sha256').update(`${t.file}\0${t.name}`).digest('hex').slice(0, 8);
  return `${ids.replace(/[^A-Za-z0-9_-]/g, '-')}-${hash}.txt`;
}

function render(t: TestResult): string {
  const lines = [
    `test: ${t.name}`,
    `file: ${t.file}`,
    `requirements: ${t.requirements.join(', ')}`,
    `verdict: ${t.verdict}`,
    `duration: ${t.durationMs} ms`,
  ];
  if (t.error) lines.push('', 'error:', ...t.error.message.split('\n').map((l) => `  ${l}`));
  for (const e of t.evidence) lines.push('', `== ${e.kind}: ${e.title}`, ...e.lines);
  return `${lines.join('\n')}\n`;
}

export function transcriptsOf(tests: readonly TestResult[]): Transcript[] {
  const out: Transcript[] = [];
  for (const t of tests) {
    const failed = t.verdict === 'fail' || t.verdict === 'error';
    if (!failed && !(t.verdict === 'pass' && t.evidence.length > 0)) continue;
    out.push({ path: `transcripts/${failed ? 'failed' : 'passed'}/${fileName(t)}`, text: render(t) });
  }
  return out;
}
